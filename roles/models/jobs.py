"""Background jobs as a user sees them, and the workers' heartbeats.

The task queue (django.tasks, django-tasks-db by default) only runs code; a Job is
the organisation's record of one piece of long work: who started it, how far it
has come, and its result file."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, org_field


def job_storage():
    """Where result files go: the storage named by JOB_STORAGE (see settings).
    Code calls this rather than `job.result.storage`, which the field resolves
    once, when the models load."""
    return storages[settings.JOB_STORAGE]


class Job(OrgOwned):
    HANDBOOK, XLSX, CSV, BACKUP, IMPORT_READ, IMPORT_APPLY = (
        "handbook",
        "xlsx",
        "csv",
        "backup",
        "import_read",
        "import_apply",
    )
    NUMBERS_READ, NUMBERS_APPLY = "numbers_read", "numbers_apply"
    KINDS = [
        (HANDBOOK, _("Handbook (PDF)")),
        (XLSX, _("Matrix as Excel (.xlsx)")),
        (CSV, _("Matrix as CSV")),
        (BACKUP, _("Backup (JSON)")),
        (IMPORT_READ, _("Import: reading the file")),
        (IMPORT_APPLY, _("Import: applying the changes")),
        (NUMBERS_READ, _("Numbers import: reading the file")),
        (NUMBERS_APPLY, _("Numbers import: saving the values")),
    ]
    QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
    STATES = [
        (QUEUED, _("Waiting")),
        (RUNNING, _("Running")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
        (CANCELLED, _("Cancelled")),
    ]
    ACTIVE = (QUEUED, RUNNING)
    ONE_TRANSACTION = (IMPORT_APPLY, NUMBERS_APPLY)

    org = org_field("jobs")
    started_by = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    state = models.CharField(_("state"), max_length=10, choices=STATES, default=QUEUED)
    params = models.JSONField(_("inputs"), default=dict, blank=True)
    fingerprint = models.CharField(_("inputs fingerprint"), max_length=64, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    result = models.FileField(_("result"), storage=job_storage, blank=True, max_length=300)
    result_name = models.CharField(_("file name"), max_length=200, blank=True)
    data = models.JSONField(_("data"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["org", "-created"], name="job_org_recent"),
            models.Index(fields=["state", "heartbeat"], name="job_state_heartbeat"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self):
        return self.state in self.ACTIVE

    @property
    def can_cancel(self):
        """Waiting jobs can be cancelled, running ones too, except an import's
        save: all or nothing in one short transaction, it is let finish, so
        that its page never says "nothing was saved" about values it saved."""
        if self.state == self.QUEUED:
            return True
        return self.state == self.RUNNING and self.kind not in self.ONE_TRANSACTION

    @property
    def percent(self):
        if self.state == self.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))

    @property
    def duration(self):
        if not self.started:
            return None
        return (self.finished or timezone.now()) - self.started

    def estimate(self):
        """Seconds left, from the pace so far; None before there is a pace."""
        if self.state != self.RUNNING or not self.started or not self.done or not self.total:
            return None
        elapsed = (timezone.now() - self.started).total_seconds()
        return max(0, int(elapsed / self.done * (self.total - self.done)))


class WorkerBeat(models.Model):
    """One row per running worker process, touched every few seconds."""

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("process id"), default=0)
    seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.host}:{self.pid}"


class OutgoingEmail(models.Model):
    """One email, rendered when it was asked for and sent by a job; retried with
    backoff while the mail server is down, so nothing is lost."""

    PENDING, SENT, FAILED = "pending", "sent", "failed"
    STATES = [(PENDING, _("Not delivered yet")), (SENT, _("Sent")), (FAILED, _("Failed"))]

    org = models.ForeignKey(
        "roles.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
        verbose_name=_("organisation"),
    )
    person = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    to = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    # Extra headers (List-Unsubscribe of notifications).
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=STATES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    sent = models.DateTimeField(_("sent"), null=True, blank=True)
    next_try = models.DateTimeField(_("next try"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [models.Index(fields=["person", "kind", "-created"], name="email_person_kind")]

    def __str__(self):
        return f"{self.to}: {self.subject}"
