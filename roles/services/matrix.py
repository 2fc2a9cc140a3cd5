"""Writes of the matrix page: a cell with stale-page detection, undoing an A
that moved, and the tasks and areas (add, reorder, move, delete). Each in one
transaction."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from ..matrix.queries import read_row
from ..models import Area, Task
from .cells import set_cell


@dataclass
class CellOutcome:
    task: Task
    hat: object
    row: dict  # {hat_id: frozenset} of the whole task after the write (or now, if stale)
    counts: dict  # {hat_id: {letter: n}} column counts after the write, of `hats`
    stale: bool = False
    result: object = None  # cells.CellResult when written
    before: dict = field(default_factory=dict)  # {hat_id: letters before} of every cell written
    hats: list = field(default_factory=list)  # the hats whose cells to show again
    titles: dict = field(default_factory=dict)  # {hat_id: title} of every hat on the row

    @property
    def a_holders(self):
        """Titles of the hats holding an A on the row, when two or more do."""
        held = sorted(self.titles.get(h, "") for h, cell in self.row.items() if "A" in cell)
        return held if len(held) > 1 else []

    @property
    def current(self):
        return self.row.get(self.hat.id, frozenset())


def locked_task(org, task_id):
    """The task, locked until the end of the transaction; None when it is not
    the organisation's (no exception: it would spoil an enclosing transaction)."""
    return (
        Task.objects.select_for_update()
        .only("id", "org_id", "name", "area_id", *Task.STATUS_FIELDS)
        .filter(pk=task_id, org=org)
        .first()
    )


def counts_after(counts, row_before, row_after):
    """Column counts moved by the difference between two versions of a row."""
    out = {hat_id: dict(c) for hat_id, c in counts.items()}
    for hat_id in set(row_before) | set(row_after):
        if hat_id not in out:
            continue
        before, after = row_before.get(hat_id, frozenset()), row_after.get(hat_id, frozenset())
        for letter in after - before:
            out[hat_id][letter] += 1
        for letter in before - after:
            out[hat_id][letter] -= 1
    return out


# No savepoint of our own: in a request this is the outermost transaction, and
# in a nested use any error rolls back with the caller.
def change_cell(org, task_id, hat, letters, author, expected=None, access=None):
    """Set one cell unless it changed since the page showed `expected`.

    The task row is locked first, so the comparison and the write see the same
    row; a stale page changes nothing and returns `stale=True` with the row as
    it is now. None when the task is not the organisation's. With `access`, the
    hats an A moves from carry `may_edit` (Access.may_edit_hat_expression).

    Queries: the lock, the row with its column counts, then set_cell's write
    (at most a delete, an insert and the two history inserts)."""
    with transaction.atomic(savepoint=False):
        task = locked_task(org, task_id)
        if task is None:
            return None
        row, counts = read_row(task, [hat.id], access)
        current = row.get(hat.id)
        titles = {**{h: x.title for h, x in row.hats.items()}, hat.id: hat.title}
        if expected is not None and current != expected:
            return CellOutcome(
                task, hat, row.letters, counts, stale=True, hats=[hat], titles=titles
            )
        result = set_cell(task, hat, letters, author, row=row)
        after = row.after(result).letters
        before = {h.id: row.get(h.id) for h in [hat, *result.lost_a]}
        return CellOutcome(
            task,
            hat,
            after,
            counts_after(counts, row.letters, after),
            result=result,
            before=before,
            hats=[hat, *result.lost_a],
            titles=titles,
        )


def undo_move(org, task_id, hat, old, new, other, other_old, other_new, author, access=None):
    """Put back two cells after an A moved from `other` to `hat`: `hat` from `new`
    to `old` and `other` from `other_new` to `other_old`. Nothing changes if
    either cell changed since."""
    with transaction.atomic(savepoint=False):
        task = locked_task(org, task_id)
        if task is None:
            return None
        row, counts = read_row(task, [hat.id, other.id], access)
        titles = {
            **{h: x.title for h, x in row.hats.items()},
            hat.id: hat.title,
            other.id: other.title,
        }
        if row.get(hat.id) != new or row.get(other.id) != other_new:
            return CellOutcome(
                task, hat, row.letters, counts, stale=True, hats=[hat, other], titles=titles
            )
        first = set_cell(task, hat, old, author, note="undo", row=row)
        middle = row.after(first)
        second = set_cell(task, other, other_old, author, note="undo", row=middle)
        after = middle.after(second).letters
        lost = [*first.lost_a, *second.lost_a]
        hats = {h.id: h for h in [hat, other, *lost]}
        return CellOutcome(
            task,
            hat,
            after,
            counts_after(counts, row.letters, after),
            result=first,
            before={h: row.get(h) for h in hats},
            hats=list(hats.values()),
            titles=titles,
        )


# Tasks and areas ---------------------------------------------------------------
def next_task_position(org, area):
    top = Task.objects.for_org(org).filter(area=area).aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def save_task(task, moved_area=False):
    """Save a new or edited task; a task that is new or changed area goes last in it.
    Raises Task.DoesNotExist for an edited task deleted meanwhile."""
    with transaction.atomic():
        if task.pk is not None and not (
            Task.objects.select_for_update().filter(pk=task.pk, org_id=task.org_id).exists()
        ):
            raise Task.DoesNotExist
        if task.pk is None or moved_area:
            task.position = next_task_position(task.org, task.area)
        task.save()
    return task


def _swap(items, index, step):
    """Move items[index] one place by step (-1 up, +1 down) and renumber 0..n-1.
    Returns the items whose position changed."""
    target = index + step
    if not 0 <= target < len(items):
        return []
    items[index], items[target] = items[target], items[index]
    changed = []
    for number, item in enumerate(items):
        if item.position != number:
            item.position = number
            changed.append(item)
    return changed


def move_task(task, step):
    """Move a task up (-1) or down (+1) within its area. False at the edge."""
    with transaction.atomic():
        # Locked in id order, as every writer locks tasks (no deadlock), then
        # put in their order.
        siblings = sorted(
            Task.objects.for_org(task.org)
            .select_for_update()
            .filter(area_id=task.area_id)
            .order_by("pk"),
            key=lambda t: (t.position, t.pk),
        )
        index = next(i for i, t in enumerate(siblings) if t.pk == task.pk)
        changed = _swap(siblings, index, step)
        Task.objects.bulk_update(changed, ["position"])
        return bool(changed)


def move_area(area, step):
    """Move an area up (-1) or down (+1). False at the edge."""
    with transaction.atomic():
        areas = list(Area.objects.for_org(area.org).select_for_update().order_by("position", "id"))
        index = next(i for i, a in enumerate(areas) if a.pk == area.pk)
        changed = _swap(areas, index, step)
        Area.objects.bulk_update(changed, ["position"])
        return bool(changed)


def next_area_position(org):
    top = Area.objects.for_org(org).aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def delete_area(area, move_to=None):
    """Delete an area; its tasks go to the end of `move_to` (another area, or
    None for "no area"). Returns how many tasks moved."""
    with transaction.atomic():
        tasks = sorted(  # locked in id order, as every writer locks tasks
            Task.objects.for_org(area.org).select_for_update().filter(area=area).order_by("pk"),
            key=lambda t: (t.position, t.pk),
        )
        start = next_task_position(area.org, move_to)
        for offset, task in enumerate(tasks):
            task.area = move_to
            task.position = start + offset
        Task.objects.bulk_update(tasks, ["area", "position"])
        area.delete()
        return len(tasks)
