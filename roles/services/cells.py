"""Writing one cell of the RACI matrix (task × hat). Shared by the hat editor
(duties) and the matrix editor, so the rule "the app never creates a second A"
lives in one place."""

from dataclasses import dataclass, field

from django.db import transaction

from .. import raci
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


@transaction.atomic
def set_cell(task, hat, letters, author=None, note=""):
    """Set the letters of `hat` on `task` to exactly `letters` and return a CellResult.

    - `letters`: a set/list of "R", "A", "C", "I" or cell text ("A/R", "", ...);
      ValueError for anything else, and when task and hat are of different
      organisations. Unusual combinations (R/C) are kept as given.
    - Giving A removes A from every other hat on the task (the app never
      creates a second A); `result.lost_a` / `result.moved_from` say which.
    - The task row is locked (select_for_update) so two concurrent writes to
      one task's cells are serialised and cannot both keep an A.
    - Records a CellChange for each cell that changed (the lost-A cells with a
      note) and a HatChange (kind "duty") on each hat whose letters changed.
    - Does not check permissions: callers check `access.can_edit_cell(hat)`.
    """
    new = normalise_letters(letters)
    if task.org_id != hat.org_id:
        raise ValueError("task and hat belong to different organisations")
    locked = (
        Task.objects.select_for_update(of=("self",))
        .select_related("area")
        .get(pk=task.pk, org_id=hat.org_id)
    )
    rows = list(Responsibility.objects.filter(task=locked).values_list("id", "hat_id", "letter"))
    letters_of = {}
    for _rid, hat_id, letter in rows:
        letters_of.setdefault(hat_id, set()).add(letter)
    old = frozenset(letters_of.get(hat.pk, ()))

    lost_ids = []
    if "A" in new:
        lost_ids = sorted({h for _rid, h, letter in rows if letter == "A" and h != hat.pk})
    remove = old - new
    add = new - old
    doomed = [rid for rid, h, letter in rows if h == hat.pk and letter in remove]
    doomed += [rid for rid, h, letter in rows if h in lost_ids and letter == "A"]
    if doomed:
        Responsibility.objects.filter(pk__in=doomed).delete()
    if add:
        Responsibility.objects.bulk_create(
            [
                Responsibility(org_id=hat.org_id, task=locked, hat=hat, letter=letter)
                for letter in sorted(add)
            ]
        )

    lost = list(Hat.objects.filter(org_id=hat.org_id, pk__in=lost_ids)) if lost_ids else []
    cell_changes, hat_changes = [], []
    if old != new:
        cell_changes.append(
            CellChange(
                org_id=hat.org_id,
                task=locked,
                hat=hat,
                author=author,
                old=raci.format_cell(old),
                new=raci.format_cell(new),
                note=note[:200],
            )
        )
        hat_changes.append(
            HatChange(
                org_id=hat.org_id,
                hat=hat,
                author=author,
                kind=HatChange.DUTY,
                field=locked.name[:100],
                old=raci.format_cell(old),
                new=raci.format_cell(new),
            )
        )
    for other in lost:
        before = frozenset(letters_of.get(other.pk, ()))
        after = before - {"A"}
        moved = f"A → {hat.title}"[:200]
        cell_changes.append(
            CellChange(
                org_id=hat.org_id,
                task=locked,
                hat=other,
                author=author,
                old=raci.format_cell(before),
                new=raci.format_cell(after),
                note=moved,
            )
        )
        hat_changes.append(
            HatChange(
                org_id=hat.org_id,
                hat=other,
                author=author,
                kind=HatChange.DUTY,
                field=locked.name[:100],
                old=raci.format_cell(before),
                new=raci.format_cell(after),
            )
        )
    CellChange.objects.bulk_create(cell_changes)
    HatChange.objects.bulk_create(hat_changes)
    return CellResult(task=locked, hat=hat, old=old, new=new, lost_a=lost)
