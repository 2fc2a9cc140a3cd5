"""Notifications: what a person hears about (a new revision of their hat, a new
hat to wear, a task moving, numbers due, the weekly digest), how they want to
hear it, and which periodic reminders have gone out."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, org_field

REVISION, WELCOME, NEW_WEARER, DUTY, NUMBERS_DUE, DIGEST = (
    "revision",
    "welcome",
    "new_wearer",
    "duty",
    "numbers_due",
    "digest",
)
KINDS = [
    (REVISION, _("A hat I wear has a new revision")),
    (WELCOME, _("I start wearing a hat")),
    (NEW_WEARER, _("Someone I manage starts wearing a hat")),
    (DUTY, _("A task moves to or from a hat I wear")),
    (NUMBERS_DUE, _("My weekly numbers are due")),
    (DIGEST, _("Weekly digest (managers)")),
]
EMAIL, APP, OFF = "email", "app", "off"
CHANNELS = [(EMAIL, _("Email and in the app")), (APP, _("In the app only")), (OFF, _("Off"))]


class Notification(OrgOwned):
    """One item for one person. Its words are rendered when shown (in the
    reader's language) from `payload`; `url` is the page of its object."""

    org = org_field("notifications")
    person = models.ForeignKey(
        "roles.Person",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    url = models.CharField(_("link"), max_length=300)
    payload = models.JSONField(_("payload"), default=dict)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Set when the item waits for an email; emailed_at once it went out.
    email_due = models.BooleanField(_("to be emailed"), default=False)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["person", "read_at"], name="notification_unread"),
            models.Index(fields=["person", "kind", "email_due"], name="notification_email_due"),
        ]

    def __str__(self):
        return f"{self.person} {self.kind} {self.url}"


class NotificationPreference(OrgOwned):
    """A person's own choice for one kind; without one the organisation's
    default applies (Organisation.notification_defaults)."""

    org = org_field("notification_preferences")
    person = models.ForeignKey(
        "roles.Person",
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="preference_one_per_kind")
        ]

    def __str__(self):
        return f"{self.person} {self.kind}: {self.channel}"


class ReminderRun(OrgOwned):
    """A periodic message (numbers due, second reminder, digest) made for one
    person and period: the unique row makes the scheduler idempotent. The
    digest keeps what it listed, so the next week can say what is new."""

    org = org_field("reminder_runs")
    person = models.ForeignKey(
        "roles.Person",
        on_delete=models.CASCADE,
        related_name="reminder_runs",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=20)
    period = models.DateField(_("period"))
    created = models.DateTimeField(_("created"), default=timezone.now)
    payload = models.JSONField(_("payload"), default=dict)

    class Meta:
        verbose_name = _("reminder run")
        verbose_name_plural = _("reminder runs")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "kind", "period", "person"], name="reminder_once_per_period"
            )
        ]

    def __str__(self):
        return f"{self.person} {self.kind} {self.period}"
