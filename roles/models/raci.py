from collections import defaultdict

from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .. import raci
from .base import OrgOwned, OrgQuerySet, org_field

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


STATUS_FIELDS = ("a_count", "r_count", "unusual_count")
BATCH = 1000  # tasks per query: a fixed number of queries per batch on any database


def _batches(ids):
    ids = sorted({i for i in ids if i is not None})
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _cells_by_task(letters):
    """{task id: {hat id: set of letters}} of (task_id, hat_id, letter) rows."""
    cells = defaultdict(lambda: defaultdict(set))
    for task_id, hat_id, letter in letters:
        cells[task_id][hat_id].add(letter)
    return cells


class TaskQuerySet(OrgQuerySet):
    """Each task's status counts (cells with A, cells with R, cells in an
    unusual combination: raci.status_counts) are stored on its row, so that
    the matrix filters, counts and pages tasks by status in SQL instead of
    reading every letter. The letters are the truth and the counts a cache.

    New tasks get their counts as they are inserted (the import, the benchmark
    generator, with raci.status_counts); every other write of letters stores
    (Task.store_status) or recomputes (`refresh_status`) the counts of the
    tasks it touched in its own transaction: a cell write, a letter saved or
    deleted, a hat deleted, the import, the backup restore and the demo.
    `status_mismatches` finds drift and `manage.py refresh_task_status`
    repairs it."""

    def lock(self, task_ids):
        """Lock the tasks, in id order (so two writers never wait on each other
        in a cycle), until the end of the caller's transaction. A writer that
        deletes or inserts letters of tasks another request may be editing
        locks them first, as a cell write does, then refreshes."""
        for batch in _batches(task_ids):
            list(
                self.model.objects.select_for_update()
                .filter(pk__in=batch)
                .order_by("pk")
                .values_list("pk", flat=True)
            )

    def ids_of_hats(self, hat_ids):
        """Ids of the tasks with a letter of one of `hat_ids`."""
        return list(
            Responsibility.objects.filter(hat_id__in=list(hat_ids))
            .values_list("task_id", flat=True)
            .distinct()
            .order_by()
        )

    def lock_for_hats(self, hat_ids):
        """Lock hats about to be deleted, then the tasks they have letters on;
        the ids of those tasks, to refresh after the delete. With the hats
        locked first, no letter of theirs can be written on another task
        meanwhile (it waits for the hat, then fails when the hat is gone), so
        the tasks read here are all the delete touches. Call inside the
        deleting transaction."""
        hat_ids = list(hat_ids)
        hat_model = Responsibility._meta.get_field("hat").related_model
        list(
            hat_model.objects.select_for_update()
            .filter(pk__in=hat_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        tasks = self.ids_of_hats(hat_ids)
        self.lock(tasks)
        return tasks

    def refresh_status(self, task_ids=None):
        """Recompute the stored counts of `task_ids` (default: the tasks of
        this queryset) from their letters.

        Each task is locked (in id order) before its letters are read, by a
        statement of their own: on PostgreSQL the read then sees every write
        committed before the lock was granted, so of two transactions writing
        one task's letters, the one that refreshes last stores counts that
        include the other's. Two queries per BATCH tasks, and a third when a
        count changed."""
        if task_ids is None:
            task_ids = self.values_list("pk", flat=True)
        with transaction.atomic(savepoint=False):
            for batch in _batches(task_ids):
                stored = {
                    pk: tuple(counts)
                    for pk, *counts in self.model.objects.select_for_update()
                    .filter(pk__in=batch)
                    .order_by("pk")
                    .values_list("pk", *STATUS_FIELDS)
                }
                if not stored:
                    continue
                cells = _cells_by_task(
                    Responsibility.objects.filter(task_id__in=list(stored))
                    .order_by()
                    .values_list("task_id", "hat_id", "letter")
                )
                changed = []
                for pk, old in stored.items():
                    new = raci.status_counts(cells[pk].values()) if pk in cells else (0, 0, 0)
                    if new != old:
                        changed.append(
                            self.model(pk=pk, **dict(zip(STATUS_FIELDS, new, strict=True)))
                        )
                self.model.objects.bulk_update(changed, STATUS_FIELDS)

    def status_mismatches(self):
        """{task id: (stored, computed)} of the tasks of this queryset whose
        stored counts disagree with their letters: empty unless a write forgot
        to refresh them."""
        cells = _cells_by_task(
            Responsibility.objects.filter(task__in=self.values("pk"))
            .order_by()
            .values_list("task_id", "hat_id", "letter")
        )
        out = {}
        for pk, *stored in self.values_list("pk", *STATUS_FIELDS):
            computed = raci.status_counts(cells[pk].values()) if pk in cells else (0, 0, 0)
            if tuple(stored) != computed:
                out[pk] = (tuple(stored), computed)
        return out


class Task(OrgOwned):
    """An activity or deliverable, optionally in an area."""

    objects = TaskQuerySet.as_manager()

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
    # TaskQuerySet.refresh_status whenever letters change, so that the matrix
    # filters, counts and pages tasks by status in SQL. The letters are the
    # truth; a task without letters has all three 0.
    a_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    r_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    unusual_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    STATUS_FIELDS = STATUS_FIELDS

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

    def store_status(self, cells):
        """Store the counts of this task, locked by the caller, whose cells
        (letter sets) the caller knows after its write. One UPDATE, none when
        they are unchanged (as the counts loaded with the task say, if they were)."""
        new = raci.status_counts(cells)
        deferred = self.get_deferred_fields()
        if (
            not deferred.intersection(STATUS_FIELDS)
            and tuple(getattr(self, f) for f in STATUS_FIELDS) == new
        ):
            return
        values = dict(zip(STATUS_FIELDS, new, strict=True))
        type(self).objects.filter(pk=self.pk).update(**values)
        for name, value in values.items():
            setattr(self, name, value)


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
    # call Task.objects.refresh_status themselves.
    def save(self, *args, **kwargs):
        with transaction.atomic():
            tasks = [self.task_id]
            if not self._state.adding:  # the letter may move from another task
                tasks += (
                    type(self)
                    ._base_manager.filter(pk=self.pk)
                    .values_list("task_id", flat=True)[:1]
                )
            Task.objects.lock(tasks)
            super().save(*args, **kwargs)
            Task.objects.refresh_status(tasks)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            tasks = [self.task_id]
            Task.objects.lock(tasks)
            result = super().delete(*args, **kwargs)
            Task.objects.refresh_status(tasks)
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
