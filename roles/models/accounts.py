"""Consent to join an organisation, and the audit trail of security events."""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, OrgQuerySet, org_field

INVITATION_VALID_FOR = timedelta(days=14)


def invitation_expiry():
    return timezone.now() + INVITATION_VALID_FOR


class Invitation(OrgOwned):
    """An organisation asks an existing login to join as one of its people. Until
    the login's owner accepts, the person has no login and they are not a member."""

    PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"
    STATUS_CHOICES = [
        (PENDING, _("Pending")),
        (ACCEPTED, _("Accepted")),
        (DECLINED, _("Declined")),
    ]

    org = org_field("invitations")
    person = models.ForeignKey(
        "roles.Person",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("person"),
    )
    user = models.ForeignKey(
        "roles.User",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("login"),
    )
    invited_by = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=PENDING)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"), default=invitation_expiry)
    answered = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "declined"]),
                name="invitation_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.org}"

    @property
    def expired(self):
        return self.expires <= timezone.now()


class AuditEvent(models.Model):
    """One security-relevant event. `org` is empty only for events that belong to
    no organisation (a failed sign-in for an unknown email)."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKED_OUT = "locked_out"
    SIGN_OUT = "sign_out"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  # nosec B105
    PASSWORD_RESET = "password_reset"  # noqa: S105  # nosec B105
    MFA_CHANGED = "mfa_changed"
    ACCESS_CHANGED = "access_changed"
    INVITATION_SENT = "invitation_sent"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_DECLINED = "invitation_declined"
    EXPORT = "export"
    IMPORT = "import"
    SETTINGS_CHANGED = "settings_changed"
    KIND_CHOICES = [
        (SIGN_IN, _("Signed in")),
        (SIGN_IN_FAILED, _("Failed sign-in")),
        (LOCKED_OUT, _("Locked out")),
        (SIGN_OUT, _("Signed out")),
        (PASSWORD_CHANGED, _("Password changed")),
        (PASSWORD_RESET, _("Password reset")),
        (MFA_CHANGED, _("Two-factor changed")),
        (ACCESS_CHANGED, _("Access level changed")),
        (INVITATION_SENT, _("Invitation sent")),
        (INVITATION_ACCEPTED, _("Invitation accepted")),
        (INVITATION_DECLINED, _("Invitation declined")),
        (EXPORT, _("Downloaded")),
        (IMPORT, _("Import applied")),
        (SETTINGS_CHANGED, _("Security settings changed")),
    ]

    org = models.ForeignKey(
        "roles.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
        verbose_name=_("organisation"),
    )
    when = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=24, choices=KIND_CHOICES)
    user = models.ForeignKey(
        "roles.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("login"),
    )
    # Kept as typed, so the trail still says who after the login is gone.
    actor = models.CharField(_("who"), max_length=254, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-when", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["org", "-when"], name="audit_org_when")]

    def __str__(self):
        return f"{self.when:%Y-%m-%d %H:%M} {self.kind} {self.actor}"
