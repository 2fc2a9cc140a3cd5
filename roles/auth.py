"""Sign in with email, whatever its case; the brute-force limits around it."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import PasswordResetForm
from django.db.models import Sum
from django.utils import timezone

from .models import User
from .network import client_address


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username or kwargs.get(User.USERNAME_FIELD)
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email__iexact=email.strip())
        except (User.DoesNotExist, User.MultipleObjectsReturned):
            User().set_password(password)  # same cost whether or not the user exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request, credentials=None):
    """The username django-axes counts failures against: the email as the backend
    matches it (trimmed, lower case), so varying its case cannot dodge the lockout."""
    source = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") if source else None
    return value.strip().lower() if isinstance(value, str) else value


class SignInHandler(AxesDatabaseHandler):
    """django-axes' database handler, which locks an (account, address) pair
    after AXES_FAILURE_LIMIT failures, plus a limit per address over all
    accounts: an address with SIGN_IN_ADDRESS_LIMIT failures within the
    cool-off time may not try again until it has passed. Trying one password
    on many accounts (spraying) is slowed to that many guesses per cool-off,
    and the failures are the ones axes already stores in the database, so every
    app server counts the same."""

    def is_locked(self, request, credentials=None):
        return (
            super().is_locked(request, credentials)
            or self.address_failures(request) >= settings.SIGN_IN_ADDRESS_LIMIT
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out:
            return
        if self.address_failures(request) >= settings.SIGN_IN_ADDRESS_LIMIT:
            # As axes does for a locked account: its lockout page, and the signal.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def address_failures(self, request):
        address = client_address(request)
        if address is None:
            return 0
        since = timezone.now() - get_cool_off(request)
        failures = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=since
        ).aggregate(n=Sum("failures_since_start"))["n"]
        return failures or 0


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, run in the worker: its email goes through roles.mail
    (stored, retried while the mail server is down) in the asker's language."""

    language = None

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from . import mail  # noqa: PLC0415

        mail.send_email(
            to_email,
            subject_template_name,
            email_template_name,
            context,
            self.language or settings.LANGUAGE_CODE,
            html_email_template_name,
            kind="password_reset",
        )
