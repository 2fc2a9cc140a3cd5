from django.db import models
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

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["org", "area", "position"])]

    def __str__(self):
        return self.name


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
