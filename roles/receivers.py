"""Security events from Django, allauth and django-axes, written to the audit
trail (roles.audit). Connected in RolesConfig.ready."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from axes.signals import user_locked_out
from django.contrib.auth import signals as auth_signals

from . import audit
from .auth import remember_two_factor
from .middleware import mark_seen
from .models import AuditEvent, User


def signed_in(sender, request, user, **kwargs):
    if request is None:
        return
    audit.record_for_login(AuditEvent.SIGN_IN, request, user)
    if hasattr(request, "session"):
        remember_two_factor(request, user)
        mark_seen(request)


def signed_out(sender, request, user, **kwargs):
    if request is not None and user is not None:
        audit.record_for_login(AuditEvent.SIGN_OUT, request, user)


def login_of(email):
    if not isinstance(email, str) or not email.strip():
        return None
    return User.objects.filter(email__iexact=email.strip()).first()


def sign_in_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    email = credentials.get("email") or credentials.get("username") or ""
    email = email if isinstance(email, str) else ""
    audit.record_for_login(AuditEvent.SIGN_IN_FAILED, request, login_of(email), actor=email)


def locked_out(sender, request, username, ip_address, **kwargs):
    audit.record_for_login(AuditEvent.LOCKED_OUT, request, login_of(username), actor=username or "")


def password_changed(sender, request, user, **kwargs):
    audit.record_for_login(AuditEvent.PASSWORD_CHANGED, request, user)


def password_reset(sender, request, user, **kwargs):
    audit.record_for_login(AuditEvent.PASSWORD_RESET, request, user)


def two_factor_changed(change):
    def receiver(sender, request, user, authenticator, **kwargs):
        audit.record_for_login(
            AuditEvent.MFA_CHANGED, request, user, detail=f"{authenticator.type} {change}"
        )
        if request is not None and hasattr(request, "session"):
            remember_two_factor(request, user)

    return receiver


def two_factor_failed(sender, request, user, authenticator, **kwargs):
    audit.record_for_login(
        AuditEvent.SIGN_IN_FAILED, request, user, detail=f"{authenticator.type} code"
    )


# Receivers are kept here so that the weak references of the signals stay alive.
MFA_ADDED = two_factor_changed("added")
MFA_REMOVED = two_factor_changed("removed")
MFA_RESET = two_factor_changed("reset")


def connect():
    auth_signals.user_logged_in.connect(signed_in, dispatch_uid="audit_signed_in")
    auth_signals.user_logged_out.connect(signed_out, dispatch_uid="audit_signed_out")
    auth_signals.user_login_failed.connect(sign_in_failed, dispatch_uid="audit_failed")
    user_locked_out.connect(locked_out, dispatch_uid="audit_locked_out")
    account_signals.password_changed.connect(password_changed, dispatch_uid="audit_pw_changed")
    account_signals.password_set.connect(password_changed, dispatch_uid="audit_pw_set")
    account_signals.password_reset.connect(password_reset, dispatch_uid="audit_pw_reset")
    mfa_signals.authenticator_added.connect(MFA_ADDED, dispatch_uid="audit_mfa_added")
    mfa_signals.authenticator_removed.connect(MFA_REMOVED, dispatch_uid="audit_mfa_removed")
    mfa_signals.authenticator_reset.connect(MFA_RESET, dispatch_uid="audit_mfa_reset")
    mfa_signals.authentication_failed.connect(two_factor_failed, dispatch_uid="audit_mfa_failed")
