"""Sign-in on django-allauth: no open sign-up, the username and the limits of
the brute-force lockout, the set-password link of an invitation, and the
two-factor requirement."""

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.forms import ResetPasswordForm
from allauth.account.utils import filter_users_by_email, user_pk_to_url_str
from allauth.mfa.models import Authenticator
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import messages
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Person
from .network import client_address

# Session key: the signed-in login has an authenticator (see two_factor_ready).
TWO_FACTOR_SESSION_KEY = "hatta_two_factor"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        """Logins are made by an organisation's admin inviting someone."""
        return False

    def get_client_ip(self, request):
        return client_address(request) or "0.0.0.0"  # noqa: S104  # nosec B104

    def get_login_redirect_url(self, request):
        """Admins, and everyone in an organisation that requires it, are asked to
        set up two-factor each time they sign in until they have."""
        if not two_factor_ready(request) and needs_two_factor_prompt(request.user):
            messages.info(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Protect your account with two-factor sign-in."),
                    reverse("mfa_index"),
                    _("Add an authenticator app or a security key"),
                ),
            )
        return super().get_login_redirect_url(request)


def has_authenticator(user):
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def remember_two_factor(request, user):
    """Note in the session whether the login has an authenticator, so that
    organisation pages can check the organisation's requirement without a query."""
    request.session[TWO_FACTOR_SESSION_KEY] = has_authenticator(user)


def two_factor_ready(request):
    """The login has an authenticator: read from the session once known, so an
    organisation that requires two-factor costs its pages no query."""
    if request.session.get(TWO_FACTOR_SESSION_KEY):
        return True
    remember_two_factor(request, request.user)
    return request.session[TWO_FACTOR_SESSION_KEY]


def needs_two_factor_prompt(user):
    """An admin somewhere, or a member of an organisation that requires two-factor."""
    return (
        Person.objects.filter(user=user, active=True)
        .filter(Q(access=Person.ADMIN) | Q(org__require_two_factor=True))
        .exists()
    )


def axes_username(request, credentials=None):
    """The username django-axes counts failures against: the email as the sign-in
    matches it (trimmed, lower case), so varying its case cannot dodge the lockout."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if value is None:
        post = getattr(request, "POST", {}) or {}
        value = post.get("login") or post.get("username")
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


def set_password_path(user):
    """A single-use, expiring link path to choose a password (allauth's reset)."""
    key = account_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    return reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": key},
    )


class QueuedResetPasswordForm(ResetPasswordForm):
    """allauth's reset form, with the look-up and the email moved to the worker:
    the request only queues a job, so its answer and its work are the same for a
    known and an unknown address, and for a mail server that is up or down."""

    def clean_email(self):
        return get_adapter().clean_email(self.cleaned_data["email"].lower())

    def save(self, request, **kwargs):
        from .tasks import send_password_reset  # noqa: PLC0415 - tasks import this module

        email = self.cleaned_data["email"]
        send_password_reset.enqueue(
            email=email, base_url=request.build_absolute_uri("/")[:-1], language=get_language()
        )
        return email


def mail_password_reset(email, base_url, language):
    """In the worker: a single-use reset link to each active login with this
    email, through roles.mail (stored, retried while the mail server is down)."""
    from . import mail  # noqa: PLC0415 - mail imports models, loaded after this module

    for user in filter_users_by_email(email, is_active=True):
        context = {
            "user": user,
            "password_reset_url": base_url + set_password_path(user),
            "current_site": {"name": "hatta", "domain": base_url.split("://", 1)[-1]},
        }
        mail.send_email(
            user.email,
            "account/email/password_reset_key_subject.txt",
            "account/email/password_reset_key_message.txt",
            context,
            language or settings.LANGUAGE_CODE,
            kind="password_reset",
        )
