from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, org_field

LETTERS = ("R", "A", "C", "I")


class Area(OrgOwned):
    """A section or stage that groups tasks."""

    org = org_field("areas")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint("org", Lower("name"), name="area_name_ci_unique_per_org"),
        ]
        # The matrix reads a page of tasks area by area in this order.
        indexes = [models.Index(fields=["org", "position", "id"])]

    def __str__(self):
        return self.name


class Task(OrgOwned):
    """An activity or deliverable, optionally in an area."""

    org = org_field("tasks")
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="tasks",
        verbose_name=_("area"),
    )
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # The task's status counts (raci.status_counts of its cells), kept by
    # roles.services.task_status.refresh whenever letters change, so that the
    # matrix filters, counts and pages tasks by status in SQL. The letters are
    # the truth; a task without letters has all three 0.
    a_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    r_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    unusual_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    STATUS_FIELDS = ("a_count", "r_count", "unusual_count")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["org", "area", "position"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # An edited task (name, area, position) never writes its status counts:
        # they were read with the task and may be stale by now.
        if not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in self.STATUS_FIELDS
                and f.attname not in deferred
            ]
        super().save(*args, **kwargs)


class Responsibility(OrgOwned):
    """One RACI letter of one hat on one task."""

    LETTER_CHOICES = [
        ("R", _("Responsible")),
        ("A", _("Accountable")),
        ("C", _("Consulted")),
        ("I", _("Informed")),
    ]

    org = org_field("responsibilities")
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="responsibilities", verbose_name=_("task")
    )
    hat = models.ForeignKey(
        "roles.Hat",
        on_delete=models.CASCADE,
        related_name="responsibilities",
        verbose_name=_("hat"),
    )
    letter = models.CharField(_("letter"), max_length=1, choices=LETTER_CHOICES)

    class Meta:
        ordering = ["task", "hat", "letter"]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.UniqueConstraint(fields=["task", "hat", "letter"], name="one_letter_per_cell"),
            models.CheckConstraint(condition=models.Q(letter__in=LETTERS), name="letter_is_raci"),
        ]
        indexes = [models.Index(fields=["org", "hat", "letter"])]

    def __str__(self):
        return f"{self.task} · {self.hat}: {self.letter}"

    # One letter saved or deleted on its own (the admin, tests) keeps its task's
    # status counts, locking the task first as a cell write does; bulk writes
    # call task_status.refresh themselves.
    def save(self, *args, **kwargs):
        from ..services import task_status

        with transaction.atomic():
            tasks = [self.task_id]
            if not self._state.adding:  # the letter may move from another task
                tasks += (
                    type(self)
                    ._base_manager.filter(pk=self.pk)
                    .values_list("task_id", flat=True)[:1]
                )
            task_status.lock(tasks)
            super().save(*args, **kwargs)
            task_status.refresh(tasks)

    def delete(self, *args, **kwargs):
        from ..services import task_status

        with transaction.atomic():
            tasks = [self.task_id]
            task_status.lock(tasks)
            result = super().delete(*args, **kwargs)
            task_status.refresh(tasks)
        return result


class CellChange(OrgOwned):
    """History of the matrix: a cell went from `old` to `new` letters."""

    org = org_field("cell_changes")
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="cell_changes", verbose_name=_("task")
    )
    hat = models.ForeignKey(
        "roles.Hat", on_delete=models.CASCADE, related_name="cell_changes", verbose_name=_("hat")
    )
    author = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    old = models.CharField(_("before"), max_length=20, blank=True)
    new = models.CharField(_("after"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("cell change")
        verbose_name_plural = _("cell changes")
        indexes = [models.Index(fields=["task", "-at"])]

    def __str__(self):
        return f"{self.task} · {self.hat}: {self.old or '∅'} → {self.new or '∅'}"


class HealthSnapshot(OrgOwned):
    """The day's hatting score, for the trend on the map."""

    org = org_field("health_snapshots")
    date = models.DateField(_("date"))
    score = models.FloatField(_("score"))
    passing = models.PositiveIntegerField(_("passing"))
    total = models.PositiveIntegerField(_("total"))
    checks = models.JSONField(_("checks"), default=list)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("health snapshot")
        verbose_name_plural = _("health snapshots")
        constraints = [
            models.UniqueConstraint(fields=["org", "date"], name="one_snapshot_per_day"),
        ]

    def __str__(self):
        return f"{self.org} {self.date}: {self.score:.0%}"
