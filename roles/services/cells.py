"""Writing one cell of the RACI matrix (task × hat). Shared by the hat editor
(duties) and the matrix editor, so the rule "the app never creates a second A"
lives in one place."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from .. import notify, raci
from ..models import CellChange, Hat, HatChange, Responsibility, Task


@dataclass
class CellResult:
    task: Task
    hat: Hat
    old: frozenset  # the hat's letters on the task before
    new: frozenset  # ... and after
    lost_a: list = field(default_factory=list)  # hats whose A moved to `hat`

    @property
    def changed(self):
        return self.old != self.new or bool(self.lost_a)

    @property
    def moved_from(self):
        """The hat that had the A (the first, if the data had several), or None."""
        return self.lost_a[0] if self.lost_a else None

    @property
    def text(self):
        return raci.format_cell(self.new)


def normalise_letters(letters):
    """A frozenset of RACI letters from a set/list of letters or cell text
    ("A/R", "r, a", ""). Raises ValueError on anything that is not a letter."""
    if isinstance(letters, str) or letters is None:
        cell = raci.parse_cell(letters)
        if cell.unknown:
            raise ValueError(f"not a RACI letter: {cell.unknown!r}")
        return cell.letters
    out = frozenset(str(x).strip().upper() for x in letters if str(x).strip())
    if not out <= frozenset(raci.LETTERS):
        raise ValueError(f"not RACI letters: {sorted(out - frozenset(raci.LETTERS))}")
    return out


@dataclass
class RowState:
    """One task's row as read under the task's lock: the letters by hat, and
    Hat objects (id, org_id, title, function_id) of at least every hat that has
    an A on it."""

    letters: dict  # {hat_id: frozenset}
    hats: dict = field(default_factory=dict)  # {hat_id: Hat}

    def get(self, hat_id, default=frozenset()):
        return self.letters.get(hat_id, default)

    def after(self, result):
        """The row once `result` (a CellResult written on it) is applied."""
        letters = dict(self.letters)
        letters[result.hat.id] = result.new
        for other in result.lost_a:
            letters[other.id] = letters.get(other.id, frozenset()) - {"A"}
        hats = {**self.hats, result.hat.id: result.hat}
        return RowState({h: cell for h, cell in letters.items() if cell}, hats)


def lock_and_read(task, org_id):
    """Lock `task` and read its row: two queries, in this order. The row is read
    by a statement of its own so that, on PostgreSQL, it sees every write
    committed before the lock was granted (a join in the locking statement
    would read the row as it was when that statement began, before the wait)."""
    locked = (
        Task.objects.select_for_update(of=("self",))
        .select_related("area")
        .get(pk=task.pk, org_id=org_id)
    )
    rows = (
        Responsibility.objects.filter(task=locked)
        .values_list("hat_id", "hat__title", "hat__function_id", "letter")
        .order_by()
    )
    letters, hats = {}, {}
    for hat_id, title, function_id, letter in rows:
        letters.setdefault(hat_id, set()).add(letter)
        hats[hat_id] = Hat(id=hat_id, org_id=org_id, title=title, function_id=function_id)
    return locked, RowState({h: frozenset(cell) for h, cell in letters.items()}, hats)


def set_cell(task, hat, letters, author=None, note="", *, row=None):
    """Set the letters of `hat` on `task` to exactly `letters` and return a CellResult.

    - `letters`: a set/list of "R", "A", "C", "I" or cell text ("A/R", "", ...);
      ValueError for anything else, and when task and hat are of different
      organisations. Unusual combinations (R/C) are kept as given.
    - Giving A removes A from every other hat on the task (the app never
      creates a second A); `result.lost_a` / `result.moved_from` say which.
    - The task row is locked (select_for_update) so two concurrent writes to
      one task's cells are serialised and cannot both keep an A.
    - `row`: a RowState the caller read after locking `task` in the transaction
      it is in now (see roles.matrix.queries.read_row). The lock and the read are then
      not repeated, and the write joins the caller's transaction without a
      savepoint of its own: if it fails, the caller's work is undone with it.
    - Records a CellChange for each cell that changed (the lost-A cells with a
      note) and a HatChange (kind "duty") on each hat whose letters changed.
    - Stores the task's status counts (Task.store_status).
    - Does not check permissions: callers check `access.can_edit_cell(hat)`.
    """
    new = normalise_letters(letters)
    if task.org_id != hat.org_id:
        raise ValueError("task and hat belong to different organisations")
    with transaction.atomic(savepoint=row is None):
        if row is None:
            task, row = lock_and_read(task, hat.org_id)
        result = write_cell(task, hat, new, row, author, note)
        notify.duty_moved(result)
        return result


def write_cell(task, hat, new, row, author, note):
    """set_cell's write, on a locked task whose row is `row`: at most one
    delete, one insert, one insert each of CellChange and HatChange, and one
    update of the task's status counts."""
    org_id = hat.org_id
    old = row.get(hat.pk)
    lost_ids = []
    if "A" in new:
        lost_ids = sorted(h for h, cell in row.letters.items() if "A" in cell and h != hat.pk)
    remove, add = old - new, new - old
    doomed = Q()
    if remove:
        doomed |= Q(hat_id=hat.pk, letter__in=sorted(remove))
    if lost_ids:
        doomed |= Q(hat_id__in=lost_ids, letter="A")
    if doomed:
        Responsibility.objects.filter(task_id=task.pk).filter(doomed).delete()
    if add:
        Responsibility.objects.bulk_create(
            [
                Responsibility(org_id=org_id, task=task, hat=hat, letter=letter)
                for letter in sorted(add)
            ]
        )

    missing = [h for h in lost_ids if h not in row.hats]
    known = {h.pk: h for h in Hat.objects.filter(org_id=org_id, pk__in=missing)} if missing else {}
    lost = [row.hats.get(h) or known[h] for h in lost_ids]
    changes = [(hat, old, new, note[:200])] if old != new else []
    if changes or lost:
        after = dict(row.letters)
        after[hat.pk] = new
        for other in lost_ids:
            after[other] = after.get(other, frozenset()) - {"A"}
        task.store_status(after.values())
    moved = f"A → {hat.title}"[:200]
    changes += [(other, row.get(other.pk), row.get(other.pk) - {"A"}, moved) for other in lost]
    CellChange.objects.bulk_create(
        [
            CellChange(
                org_id=org_id,
                task=task,
                hat=changed,
                author=author,
                old=raci.format_cell(before),
                new=raci.format_cell(after),
                note=why,
            )
            for changed, before, after, why in changes
        ]
    )
    HatChange.objects.bulk_create(
        [
            HatChange(
                org_id=org_id,
                hat=changed,
                author=author,
                kind=HatChange.DUTY,
                field=task.name[:100],
                old=raci.format_cell(before),
                new=raci.format_cell(after),
            )
            for changed, before, after, _why in changes
        ]
    )
    return CellResult(task=task, hat=hat, old=old, new=new, lost_a=lost)
