"""Each task's status counts (cells with A, cells with R, cells in an unusual
combination: raci.status_counts), stored on its row so that the matrix pages,
filters and totals tasks by status in SQL instead of reading every letter.

The letters are the truth and these counts a cache of them. New tasks get
their counts as they are inserted (the import, the benchmark generator, with
raci.status_counts); every other write of letters stores or recomputes the
counts of the tasks it touched in its own transaction: set_cell and saving a
letter through `store`/`refresh`, the import, the backup restore, deleting a
hat or a letter, and the demo through `refresh`. `mismatches` finds drift and
`manage.py refresh_task_status` repairs it."""

from collections import defaultdict

from django.db import transaction

from .. import raci
from ..models import Hat, Responsibility, Task

FIELDS = Task.STATUS_FIELDS
BATCH = 1000  # tasks per query: a fixed number of queries per batch on any database


def batches(ids):
    ids = sorted({i for i in ids if i is not None})
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def lock(task_ids):
    """Lock the tasks, in id order (so two writers never wait on each other in
    a cycle), until the end of the caller's transaction. A writer that deletes
    or inserts letters of tasks another request may be editing locks them
    first, as set_cell does, then refreshes."""
    for batch in batches(task_ids):
        list(
            Task.objects.select_for_update()
            .filter(pk__in=batch)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def tasks_of_hats(hat_ids):
    """Ids of the tasks with a letter of one of `hat_ids`."""
    return list(
        Responsibility.objects.filter(hat_id__in=list(hat_ids))
        .values_list("task_id", flat=True)
        .distinct()
        .order_by()
    )


def lock_hats_and_their_tasks(hat_ids):
    """Lock hats about to be deleted, then the tasks they have letters on;
    the ids of those tasks, to refresh after the delete. With the hats locked
    first, no letter of theirs can be written on another task meanwhile (it
    waits for the hat, then fails when the hat is gone), so the tasks read
    here are all the delete touches. Call inside the deleting transaction."""
    hat_ids = list(hat_ids)
    list(
        Hat.objects.select_for_update()
        .filter(pk__in=hat_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tasks = tasks_of_hats(hat_ids)
    lock(tasks)
    return tasks


@transaction.atomic(savepoint=False)
def refresh(task_ids):
    """Recompute the stored counts of `task_ids` from their letters.

    Each task is locked (in id order) before its letters are read, by a
    statement of their own: on PostgreSQL the read then sees every write
    committed before the lock was granted, so of two transactions writing one
    task's letters, the one that refreshes last stores counts that include the
    other's. Two queries per BATCH tasks, and a third when a count changed."""
    for batch in batches(task_ids):
        stored = {
            pk: tuple(counts)
            for pk, *counts in Task.objects.select_for_update()
            .filter(pk__in=batch)
            .order_by("pk")
            .values_list("pk", *FIELDS)
        }
        if not stored:
            continue
        cells = defaultdict(lambda: defaultdict(set))
        for task_id, hat_id, letter in (
            Responsibility.objects.filter(task_id__in=list(stored))
            .order_by()
            .values_list("task_id", "hat_id", "letter")
        ):
            cells[task_id][hat_id].add(letter)
        changed = []
        for pk, old in stored.items():
            new = raci.status_counts(cells[pk].values()) if pk in cells else (0, 0, 0)
            if new != old:
                changed.append(Task(pk=pk, **dict(zip(FIELDS, new, strict=True))))
        Task.objects.bulk_update(changed, FIELDS)


def refresh_org(org):
    """Recompute every task of the organisation (after a restore or a bulk fill)."""
    refresh(Task.objects.for_org(org).values_list("pk", flat=True))


def store(task, cells):
    """Store the counts of a task locked by the caller, whose cells (letter sets)
    the caller knows after its write. One UPDATE, none when they are unchanged
    (as the counts loaded with `task` say, if they were)."""
    new = raci.status_counts(cells)
    deferred = task.get_deferred_fields()
    if not deferred.intersection(FIELDS) and tuple(getattr(task, f) for f in FIELDS) == new:
        return
    values = dict(zip(FIELDS, new, strict=True))
    Task.objects.filter(pk=task.pk).update(**values)
    for name, value in values.items():
        setattr(task, name, value)


def mismatches(org):
    """{task id: (stored, computed)} of the organisation's tasks whose stored
    counts disagree with their letters: empty unless a write forgot `refresh`."""
    cells = defaultdict(lambda: defaultdict(set))
    for task_id, hat_id, letter in (
        Responsibility.objects.for_org(org).order_by().values_list("task_id", "hat_id", "letter")
    ):
        cells[task_id][hat_id].add(letter)
    out = {}
    for pk, *stored in Task.objects.for_org(org).values_list("pk", *FIELDS):
        computed = raci.status_counts(cells[pk].values()) if pk in cells else (0, 0, 0)
        if tuple(stored) != computed:
            out[pk] = (tuple(stored), computed)
    return out
