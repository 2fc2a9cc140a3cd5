"""Writes that touch several rows, each in one transaction."""

from collections import namedtuple
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import notify, raci, tree
from ..models import (
    Acknowledgement,
    Area,
    Assignment,
    ChecklistItem,
    Handover,
    Hat,
    HatChange,
    HatRevision,
    Organisation,
    Responsibility,
    Task,
)
from ..revisions import diff_snapshots, item_text
from .cells import set_cell

# Fields of a hat the editor writes, in page order.
EDIT_FIELDS = ("title", "function", "purpose", "product", "authority", "reports_to", "notes")


# A task and its area as the pages that list tasks read them: plain tuples, as
# building a model instance costs many times more than reading its row.
AreaRef = namedtuple("AreaRef", "id name position")


class TaskRef(namedtuple("TaskRef", "id name area_id position area")):
    __slots__ = ()

    @property
    def pk(self):
        return self.id


LETTER_COLUMNS = (
    "hat_id",
    "task_id",
    "letter",
    "task__name",
    "task__area_id",
    "task__position",
    "task__area__name",
    "task__area__position",
)


def read_letters(rows):
    """({hat_id: {task_id: set(letters)}}, {task_id: TaskRef}) from rows of
    Responsibility.values_list(*LETTER_COLUMNS)."""
    cells, tasks, areas = {}, {}, {}
    for hat_id, task_id, letter, name, area_id, position, area_name, area_position in rows:
        cells.setdefault(hat_id, {}).setdefault(task_id, set()).add(letter)
        if task_id not in tasks:
            area = None
            if area_id is not None:
                area = areas.get(area_id)
                if area is None:
                    area = areas[area_id] = AreaRef(area_id, area_name, area_position)
            tasks[task_id] = TaskRef(task_id, name, area_id, position, area)
    return cells, tasks


def hat_letters(hat):
    """({task_id: set(letters)}, {task_id: TaskRef}) of one hat. One query."""
    cells, tasks = read_letters(
        Responsibility.objects.filter(hat_id=hat.id).values_list(*LETTER_COLUMNS)
    )
    return cells.get(hat.id, {}), tasks


def task_order(task):
    """The order tasks are listed in everywhere: area order (tasks without an
    area last), then the task's position."""
    area = task.area
    return (area.position if area else 10**9, task.area_id or 0, task.position, task.id)


def snapshot_from(hat, cells, tasks, kpis=None, checklist=None):
    """Everything a wearer reads, as plain data: what a revision keeps. Built from
    preloaded rows: `cells` {task_id: letters} of this hat, `tasks` {task_id: Task
    or TaskRef} with areas, and the hat's function, reports_to, kpis and checklist loaded (or
    loadable; `kpis` and `checklist` may be given as lists of the rows). The one
    implementation, so revision diffs never show changes nobody made."""
    duties, involved = [], []
    for tid in sorted(cells, key=lambda t: task_order(tasks[t])):
        t = tasks[tid]
        row = {
            "task": t.name,
            "area": t.area.name if t.area else "",
            "letters": raci.format_cell(cells[tid]),
        }
        (duties if cells[tid] & {"A", "R"} else involved).append(row)
    return {
        "title": hat.title,
        "function": hat.function.name,
        "purpose": hat.purpose,
        "product": hat.product,
        "authority": hat.authority,
        "reports_to": hat.reports_to.title if hat.reports_to_id else "",
        "notes": hat.notes,
        "kpis": kpi_rows(hat, kpis),
        "checklist": checklist_rows(hat, checklist),
        "duties": duties,
        "involved": involved,
    }


def snapshot_hat(hat):
    """snapshot_from for one hat, reading its rows."""
    cells, tasks = hat_letters(hat)
    return snapshot_from(hat, cells, tasks)


class NothingToPublish(Exception):
    """The hat reads as its latest revision does: publishing would only ask
    the wearers to confirm what they have already read."""


def unpublished_changes(hat, latest=None):
    """(latest revision or None, its snapshot's diff to the hat as saved now):
    what publishing `hat` would publish. `latest` may be passed preloaded."""
    if latest is None:
        latest = HatRevision.objects.filter(hat_id=hat.pk, number=hat.revision).first()
    return latest, diff_snapshots(latest.snapshot if latest else None, snapshot_hat(hat))


def _publish(hat, author, note, minor):
    """The revision both ways of publishing make; the caller holds the transaction."""
    locked = Hat.objects.select_for_update().get(pk=hat.pk)
    latest = HatRevision.objects.filter(hat_id=hat.pk, number=locked.revision).first()
    snapshot = snapshot_hat(locked)
    if latest is not None and not diff_snapshots(latest.snapshot, snapshot):
        raise NothingToPublish
    if minor and latest is None:
        raise ValidationError(_("The first revision of a hat is a new revision, not a minor edit."))
    number = locked.revision + 1
    revision = HatRevision.objects.create(
        org_id=hat.org_id,
        hat=locked,
        number=number,
        author=author,
        note=note,
        snapshot=snapshot,
        minor=minor,
    )
    if minor:
        # Whoever confirmed the revision before has read this one, give or take a typo.
        Acknowledgement.objects.bulk_create(
            [
                Acknowledgement(org_id=hat.org_id, person_id=pid, hat=locked, revision=revision)
                for pid in latest.acknowledgements.values_list("person_id", flat=True)
            ]
        )
    Hat.objects.filter(pk=hat.pk).update(revision=F("revision") + 1)
    hat.revision = number
    HatChange.objects.create(
        org_id=hat.org_id,
        hat=locked,
        author=author,
        kind=HatChange.PUBLISHED,
        field="revision",
        old=str(number - 1),
        new=str(number),
    )
    return revision


@transaction.atomic
def publish_hat(hat, author, note=""):
    """Publish a new revision of `hat`: the next immutable snapshot, which every
    wearer is asked to confirm again (and is shown what changed). Raises
    NothingToPublish when the hat reads as its latest revision. The one place
    a new revision is made: what should follow one (telling the wearers)
    belongs here, not in save_minor_edit."""
    revision = _publish(hat, author, note, minor=False)
    notify.revision_published(revision.hat, revision, author)
    return revision


@transaction.atomic
def save_minor_edit(hat, author, note=""):
    """Publish the hat's saved changes as a minor edit (a typo, a wording): a
    revision marked minor, confirmed already by everyone who had confirmed the
    one before, so no wearer is asked to confirm again. Raises NothingToPublish
    when nothing changed, ValidationError when the hat was never published.
    The one place a minor edit is made."""
    return _publish(hat, author, note, minor=True)


@transaction.atomic
def acknowledge(person, hat):
    """Record that `person` has read the current revision of `hat`. Idempotent."""
    revision = HatRevision.objects.filter(hat=hat, number=hat.revision).first()
    if revision is None:
        return None
    ack, created = Acknowledgement.objects.get_or_create(
        org_id=hat.org_id, person=person, hat=hat, revision=revision
    )
    if created:
        # The incoming wearer's first confirmation completes their handover.
        Handover.objects.filter(hat=hat, incoming=person, acknowledged__isnull=True).update(
            acknowledged=timezone.now()
        )
        notify.hat_confirmed(person, hat)
    return ack


# Editing -------------------------------------------------------------------
class StaleHat(Exception):
    """The hat was saved by someone else since the editor was opened, and the
    two edits could not be merged (`conflicts`: fields both changed)."""

    def __init__(self, current, conflicts=()):
        super().__init__(f"hat {current.pk} is at version {current.version}")
        self.current = current
        self.conflicts = list(conflicts)


# Every field the editor edits, as one comparable unit each (KPIs and the
# checklist as a whole: their rows are never merged one by one).
MERGE_FIELDS = (*EDIT_FIELDS, "kpis", "checklist")


def hat_state(hat, kpis=None, checklist=None):
    """The editable fields of `hat` as plain, JSON-able data ({field: value},
    FKs as ids) for a three-way merge. `kpis`/`checklist`: preloaded rows."""
    state = {}
    for name in EDIT_FIELDS:
        field = Hat._meta.get_field(name)
        value = getattr(hat, field.attname)
        state[name] = value if field.is_relation else (value or "")
    state["kpis"] = (
        kpi_rows(hat)
        if kpis is None
        else [
            {"name": k.name, "target": k.target, "unit": k.unit, "period": k.period} for k in kpis
        ]
    )
    state["checklist"] = checklist_rows(hat) if checklist is None else [c.text for c in checklist]
    return state


def edit_state(values, kpis=None, checklist=None):
    """What the editor sent, in hat_state's shape. Fields left out are absent."""
    state = {}
    for name, value in values.items():
        if name not in EDIT_FIELDS:
            continue
        field = Hat._meta.get_field(name)
        if field.is_relation:
            state[name] = value.pk if value is not None else None
        else:
            state[name] = value or ""
    if kpis is not None:
        state["kpis"] = [dict(row) for row in kpis]
    if checklist is not None:
        state["checklist"] = list(checklist)
    return state


@dataclass
class Merge:
    apply: list  # fields only this user changed: their value is written
    theirs: list  # fields only the other person changed: kept as saved
    conflicts: list  # fields both changed, to different values


def merge(base, theirs, mine):
    """Three-way merge of hat states. `base`: what this user's editor started
    from (None when unknown: then every difference is a conflict, so nothing
    is ever overwritten unseen); `theirs`: what is saved now; `mine`: what
    this user sent (absent fields untouched)."""
    result = Merge([], [], [])
    for name in MERGE_FIELDS:
        if name not in mine:
            continue
        if mine[name] == theirs[name]:
            continue
        if base is not None and name in base:
            if mine[name] == base[name]:
                result.theirs.append(name)
                continue
            if theirs[name] == base[name]:
                result.apply.append(name)
                continue
        result.conflicts.append(name)
    return result


def field_text(hat, name):
    """A hat field as history and the conflict view show it."""
    if name == "function":
        return hat.function.name if hat.function_id else ""
    if name == "reports_to":
        return hat.reports_to.title if hat.reports_to_id else ""
    return getattr(hat, name) or ""


def kpi_text(k):
    return item_text("kpis", k)


def kpi_rows(hat, kpis=None):
    return [
        {"name": k.name, "target": k.target, "unit": k.unit, "period": k.period}
        for k in (hat.kpis.all() if kpis is None else kpis)
    ]


def checklist_rows(hat, checklist=None):
    return [c.text for c in (hat.checklist.all() if checklist is None else checklist)]


def check_reports_to(hat, boss):
    """Refuse a reporting line that comes round to `hat` again (ValidationError)."""
    if hat.pk is None or boss is None:
        return
    boss_of = dict(Hat.objects.filter(org_id=hat.org_id).values_list("id", "reports_to_id"))
    if tree.would_cycle(boss_of, hat.pk, boss.pk):
        raise ValidationError(
            _(
                "“%(boss)s” reports to “%(hat)s”, directly or through other hats: "
                "a hat cannot report to a hat below it. Choose another hat."
            ),
            code="cycle",
            params={"boss": boss.title, "hat": hat.title},
        )


@transaction.atomic
def save_hat(hat, values, version, author, kpis=None, checklist=None, base=None):
    """Apply the editor's `values` ({field: value} of EDIT_FIELDS; FK fields as
    objects), KPIs ([{name, target, unit, period}] in order) and checklist
    ([text] in order) if the hat is still at `version`.

    If someone saved since, and `base` (the hat_state the editor started from)
    is given, the two edits are merged under the lock: fields only the other
    person changed stay theirs, fields only this user changed are written.
    Raises StaleHat if both changed a field (or `base` is unknown and anything
    differs): nothing is overwritten. Raises ValidationError for a reporting
    line that would go round in a loop (check_reports_to). Records a HatChange per change and bumps
    the version once. Returns the HatChange rows."""
    locked = (
        Hat.objects.select_for_update(of=("self",))
        .select_related("function", "reports_to")
        .get(pk=hat.pk, org_id=hat.org_id)
    )
    if locked.version != version:
        mine = edit_state(values, kpis, checklist)
        result = merge(base, hat_state(locked), mine)
        if result.conflicts:
            raise StaleHat(locked, result.conflicts)
        values = {k: v for k, v in values.items() if k in result.apply}
        kpis = kpis if "kpis" in result.apply else None
        checklist = checklist if "checklist" in result.apply else None
        version = locked.version
    changes, update = [], {}
    for name, value in values.items():
        if name not in EDIT_FIELDS:
            continue
        field = Hat._meta.get_field(name)
        old_id = getattr(locked, field.attname)
        new_id = value.pk if (field.is_relation and value is not None) else value
        if field.is_relation:
            if old_id == new_id:
                continue
            update[field.attname] = new_id
            new_text = (value.name if name == "function" else value.title) if value else ""
        else:
            new_id = new_id or ""
            if old_id == new_id:
                continue
            update[name] = new_id
            new_text = new_id
        changes.append(
            HatChange(
                org_id=hat.org_id,
                hat=locked,
                author=author,
                kind=HatChange.FIELD,
                field=name,
                old=field_text(locked, name),
                new=new_text,
            )
        )
    if kpis is not None:
        old = kpi_rows(locked)
        if old != kpis:
            # Rows kept by name keep their numbers (see services.numbers).
            from .numbers import replace_kpis

            replace_kpis(locked, kpis)
            changes.append(
                HatChange(
                    org_id=hat.org_id,
                    hat=locked,
                    author=author,
                    kind=HatChange.KPI,
                    field="kpis",
                    old="\n".join(kpi_text(k) for k in old),
                    new="\n".join(kpi_text(k) for k in kpis),
                )
            )
    if checklist is not None:
        old = checklist_rows(locked)
        if old != checklist:
            locked.checklist.all().delete()
            ChecklistItem.objects.bulk_create(
                [ChecklistItem(hat=locked, position=i, text=t) for i, t in enumerate(checklist)]
            )
            changes.append(
                HatChange(
                    org_id=hat.org_id,
                    hat=locked,
                    author=author,
                    kind=HatChange.CHECKLIST,
                    field="checklist",
                    old="\n".join(old),
                    new="\n".join(checklist),
                )
            )
    if not changes:
        return []
    if update.get("reports_to_id") is not None:
        # Under the organisation's lock, so two edits at once cannot close a loop.
        Organisation.objects.select_for_update().filter(pk=hat.org_id).exists()
        check_reports_to(locked, values["reports_to"])
    done = Hat.objects.filter(pk=hat.pk, version=version).update(
        version=F("version") + 1, updated=timezone.now(), **update
    )
    if not done:  # cannot happen under the row lock; kept as the last guard
        raise StaleHat(locked)
    HatChange.objects.bulk_create(changes)
    return changes


# Wearers ---------------------------------------------------------------------
@transaction.atomic
def add_wearer(hat, person, share, author):
    """`person` starts wearing `hat`. They become the incoming wearer of the
    latest handover still waiting for one."""
    assignment = Assignment.objects.create(org_id=hat.org_id, hat=hat, person=person, share=share)
    waiting = (
        Handover.objects.filter(hat=hat, incoming__isnull=True)
        .exclude(outgoing=person)
        .order_by("-created", "-id")
        .first()
    )
    if waiting:
        waiting.incoming = person
        waiting.save(update_fields=["incoming"])
    HatChange.objects.create(
        org_id=hat.org_id,
        hat=hat,
        author=author,
        kind=HatChange.WEARER,
        field=person.name[:100],
        old="",
        new=f"{share} %" if share else "✓",
    )
    notify.wearer_started(assignment)
    return assignment


@transaction.atomic
def end_wearer(assignment, note, author):
    """End `assignment`, keeping the outgoing wearer's handover note with the hat."""
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("person", "hat")
        .get(pk=assignment.pk, org_id=assignment.org_id)
    )
    if locked.ended:
        return None
    locked.ended = timezone.now()
    locked.handover_note = note or ""
    locked.save(update_fields=["ended", "handover_note"])
    handover = Handover.objects.create(
        org_id=locked.org_id, hat=locked.hat, outgoing=locked.person, note=note or ""
    )
    HatChange.objects.create(
        org_id=locked.org_id,
        hat=locked.hat,
        author=author,
        kind=HatChange.WEARER,
        field=locked.person.name[:100],
        old=f"{locked.share} %" if locked.share else "✓",
        new="",
    )
    return handover


# Duties ----------------------------------------------------------------------
def area_named(org, name, cache=None):
    """The organisation's area called `name` (case-insensitive), created at the end if missing."""
    name = (name or "").strip()
    if not name:
        return None
    key = name.lower()
    if cache is not None and key in cache:
        return cache[key]
    area = Area.objects.filter(org=org, name__iexact=name).first()
    if area is None:
        last = Area.objects.filter(org=org).aggregate(m=Max("position"))["m"]
        area = Area.objects.create(org=org, name=name[:200], position=(last or 0) + 1)
    if cache is not None:
        cache[key] = area
    return area


def new_task(org, name, area):
    last = Task.objects.filter(org=org, area=area).aggregate(m=Max("position"))["m"]
    return Task.objects.create(org=org, area=area, name=name[:300], position=(last or 0) + 1)


@transaction.atomic
def add_duty(hat, letters, author, task=None, task_name="", area_name=""):
    """Make `hat` R, A or A/R for an existing `task` or a new one (`task_name`
    in area `area_name`). Its C/I letters on the task stay. Returns the CellResult."""
    if task is None:
        task = new_task(hat.org, task_name.strip(), area_named(hat.org, area_name))
    keep = _locked_letters(task, hat) - {"A", "R"}
    return set_cell(task, hat, keep | set(raci.letters_of(letters)), author)


def order_duties(hat, task_ids):
    """Put `hat`'s duties (tasks it is R or A for) in the order of `task_ids`
    within each area. A hat's duties are listed in the matrix's task order, so
    this moves those tasks among themselves in their area: every other task
    keeps its place. Ids that are not a duty of the hat are ignored; duties
    left out keep their turn after the others. True if any task moved."""
    wanted = {tid: i for i, tid in enumerate(task_ids)}
    duties = set(
        Responsibility.objects.filter(hat_id=hat.pk, letter__in=("A", "R")).values_list(
            "task_id", flat=True
        )
    )
    if not duties:
        return False
    with transaction.atomic():
        areas = set(
            Task.objects.filter(org_id=hat.org_id, pk__in=duties).values_list("area_id", flat=True)
        )
        in_areas = Q(area_id__in=[a for a in areas if a is not None])
        if None in areas:
            in_areas |= Q(area__isnull=True)
        # Locked in id order, as every writer locks tasks, then put in their order.
        tasks = sorted(
            Task.objects.filter(in_areas, org_id=hat.org_id).select_for_update().order_by("pk"),
            key=lambda t: (t.position, t.pk),
        )
        changed = []
        for area_id in areas:
            siblings = [t for t in tasks if t.area_id == area_id]
            slots = [i for i, t in enumerate(siblings) if t.pk in duties]
            # A stable sort: duties left out of `task_ids` keep their turn.
            mine = sorted((siblings[i] for i in slots), key=lambda t: wanted.get(t.pk, len(wanted)))
            order = list(siblings)
            for slot, task in zip(slots, mine, strict=True):
                order[slot] = task
            if order == siblings:
                continue
            for position, task in enumerate(order):
                if task.position != position:
                    task.position = position
                    changed.append(task)
        Task.objects.bulk_update(changed, ["position"])
    return bool(changed)


@transaction.atomic
def remove_duty(hat, task, author):
    """`hat` is no longer R or A for `task` (C/I stay)."""
    return set_cell(task, hat, _locked_letters(task, hat) - {"A", "R"}, author)


def _locked_letters(task, hat):
    """`hat`'s letters on `task`, read after locking the task row (inside the
    caller's transaction), so a C or I written meanwhile (in the matrix) is
    seen and kept rather than overwritten by a stale read. The read is a
    statement of its own: on PostgreSQL it sees what committed before the
    lock was granted. set_cell locks the row again; that is harmless."""
    Task.objects.select_for_update().filter(pk=task.pk, org_id=hat.org_id).get()
    return set(Responsibility.objects.filter(task=task, hat=hat).values_list("letter", flat=True))


# New hats --------------------------------------------------------------------
def free_title(function, title):
    """`title`, or `title (2)`, `(3)`… if the function already has a hat by that name."""
    taken = {
        t.lower() for t in Hat.objects.filter(function=function).values_list("title", flat=True)
    }
    if title.lower() not in taken:
        return title
    n = 2
    while f"{title} ({n})".lower() in taken:
        n += 1
    return f"{title} ({n})"


def _next_position(function):
    last = Hat.objects.filter(function=function).aggregate(m=Max("position"))["m"]
    return (last or 0) + 1


@transaction.atomic
def create_hat(function, title, author):
    """A blank hat in `function`. The caller has checked the title is free."""
    hat = Hat.objects.create(
        org_id=function.org_id, function=function, title=title, position=_next_position(function)
    )
    HatChange.objects.create(
        org_id=hat.org_id, hat=hat, author=author, kind=HatChange.FIELD, field="title", new=title
    )
    return hat
