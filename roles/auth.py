"""Sign in with email, whatever its case."""

from django.contrib.auth.backends import ModelBackend

from .models import User


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
