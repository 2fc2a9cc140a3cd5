"""Hatting health: the seven checks of the CEO map, and the workload behind the
last one.

The checks are pure functions over plain data (`OrgData`), so they are testable
without a database; `load(org)` reads that data in a fixed number of queries
whatever the size of the organisation.
"""

from dataclasses import asdict, dataclass, field

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import raci

# Plain data ------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionRow:
    id: int
    name: str
    parent_id: int | None = None
    head_id: int | None = None


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    active: bool = True


@dataclass(frozen=True)
class HatRow:
    id: int
    title: str
    function_id: int
    purpose: str = ""
    revision: int = 0  # number of the latest published revision; 0: never published


@dataclass(frozen=True)
class WearRow:
    """A current assignment: a person wears a hat (share in %, or None)."""

    hat_id: int
    person_id: int
    share: int | None = None


@dataclass(frozen=True)
class TaskRow:
    id: int
    name: str


@dataclass(frozen=True)
class Thresholds:
    max_accountable: int = 12
    max_hats: int = 4
    overload_share: int = 100


@dataclass
class OrgData:
    functions: list = field(default_factory=list)  # FunctionRow
    people: list = field(default_factory=list)  # PersonRow
    hats: list = field(default_factory=list)  # HatRow
    wears: list = field(default_factory=list)  # WearRow (current, active wearers)
    tasks: list = field(default_factory=list)  # TaskRow
    cells: list = field(default_factory=list)  # (task_id, hat_id, letter)
    acks: set = field(default_factory=set)  # (person_id, hat_id): confirmed current revision
    thresholds: Thresholds = field(default_factory=Thresholds)


# Results ---------------------------------------------------------------------


@dataclass(frozen=True)
class Offender:
    """One failing item. `kind` and `id` say where it is fixed (function, hat,
    person, task); `group` sorts offenders of one check apart (task problems);
    `person_id` names the person concerned, if any."""

    kind: str
    id: int
    label: str
    group: str = ""
    person_id: int | None = None

    def as_dict(self):
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


@dataclass
class Check:
    key: str
    label: str
    passing: int
    total: int
    offenders: list = field(default_factory=list)
    groups: dict = field(default_factory=dict)  # group key -> label, in display order

    @property
    def failing(self):
        return self.total - self.passing

    @property
    def ok(self):
        return self.passing == self.total

    @property
    def ratio(self):
        return self.passing / self.total if self.total else 1.0

    def grouped(self):
        """[(group label, offenders)] in the order of `groups`; ungrouped first."""
        if not self.groups:
            return [("", self.offenders)] if self.offenders else []
        out = []
        for key, label in self.groups.items():
            rows = [o for o in self.offenders if o.group == key]
            if rows:
                out.append((label, rows))
        return out

    def as_dict(self):
        return {
            "key": self.key,
            "label": str(self.label),
            "passing": self.passing,
            "total": self.total,
            "offenders": [o.as_dict() for o in self.offenders],
        }


@dataclass
class Health:
    checks: list

    @property
    def passing(self):
        return sum(c.passing for c in self.checks)

    @property
    def total(self):
        return sum(c.total for c in self.checks)

    @property
    def score(self):
        """Share of passing items over all checks, 0.0–1.0 (1.0 when there is nothing to check)."""
        return self.passing / self.total if self.total else 1.0

    def as_dict(self):
        return {
            "score": round(self.score, 4),
            "passing": self.passing,
            "total": self.total,
            "checks": [c.as_dict() for c in self.checks],
        }


@dataclass
class LoadRow:
    """One person's load: hats worn, total share, tasks they are A and R for."""

    person_id: int
    name: str
    hats: int = 0
    share: int = 0
    a_count: int = 0
    r_count: int = 0
    reasons: list = field(default_factory=list)  # why overloaded, as text

    @property
    def overloaded(self):
        return bool(self.reasons)


# Checks ----------------------------------------------------------------------

LABELS = {
    "function_hats": _("Every function has at least one hat"),
    "person_hats": _("Every active person wears at least one hat"),
    "hat_wearers": _("Every hat is worn by someone"),
    "hat_duties": _("Every hat has a purpose and at least one task it is R or A for"),
    "task_complete": _("Every task is complete (exactly one A, at least one R)"),
    "hat_confirmed": _("Every wearer has confirmed the current revision of each hat they wear"),
    "overload": _("Nobody is overloaded"),
}


def _wearers_by_hat(data):
    out = {}
    for w in data.wears:
        out.setdefault(w.hat_id, []).append(w)
    return out


def holder_of(data, function_id, functions=None):
    """The person who holds a vacant hat of `function_id` "from above": the head
    of the function, or of the nearest function above it that has one.
    `functions` ({id: FunctionRow}) saves rebuilding the index on every call."""
    if functions is None:
        functions = {f.id: f for f in data.functions}
    seen = set()
    fid = function_id
    while fid is not None and fid not in seen:
        seen.add(fid)
        f = functions.get(fid)
        if f is None:
            return None
        if f.head_id is not None:
            return f.head_id
        fid = f.parent_id
    return None


def check_function_hats(data):
    with_hats = {h.function_id for h in data.hats}
    offenders = [
        Offender("function", f.id, f.name) for f in data.functions if f.id not in with_hats
    ]
    total = len(data.functions)
    return Check("function_hats", LABELS["function_hats"], total - len(offenders), total, offenders)


def check_person_hats(data):
    wearing = {w.person_id for w in data.wears}
    active = [p for p in data.people if p.active]
    offenders = [
        Offender("person", p.id, p.name, person_id=p.id) for p in active if p.id not in wearing
    ]
    return Check(
        "person_hats", LABELS["person_hats"], len(active) - len(offenders), len(active), offenders
    )


def check_hat_wearers(data):
    worn = {w.hat_id for w in data.wears}
    names = {p.id: p.name for p in data.people}
    functions = {f.id: f for f in data.functions}
    offenders = []
    for h in data.hats:
        if h.id in worn:
            continue
        holder = holder_of(data, h.function_id, functions)
        where = functions[h.function_id].name if h.function_id in functions else ""
        if holder is not None and holder in names:
            label = gettext("%(hat)s (%(function)s): vacant, held from above by %(head)s") % {
                "hat": h.title,
                "function": where,
                "head": names[holder],
            }
        else:
            label = gettext("%(hat)s (%(function)s): vacant, and no head to hold it") % {
                "hat": h.title,
                "function": where,
            }
        offenders.append(Offender("hat", h.id, label, person_id=holder))
    total = len(data.hats)
    return Check("hat_wearers", LABELS["hat_wearers"], total - len(offenders), total, offenders)


def check_hat_duties(data):
    owning = {hat_id for _task, hat_id, letter in data.cells if letter in ("R", "A")}
    offenders = []
    for h in data.hats:
        missing = []
        if not (h.purpose or "").strip():
            missing.append(gettext("no purpose"))
        if h.id not in owning:
            missing.append(gettext("no task it is R or A for"))
        if missing:
            offenders.append(Offender("hat", h.id, f"{h.title}: {', '.join(missing)}"))
    total = len(data.hats)
    return Check("hat_duties", LABELS["hat_duties"], total - len(offenders), total, offenders)


TASK_GROUPS = (raci.NO_A, raci.MANY_A, raci.NO_R)


def check_task_complete(data):
    letters = {}
    for task_id, hat_id, letter in data.cells:
        letters.setdefault(task_id, {}).setdefault(hat_id, set()).add(letter)
    offenders, failing = [], 0
    for t in data.tasks:
        status = raci.task_status(letters.get(t.id, {}).values())
        problems = [flag for flag in status.flags if flag in TASK_GROUPS]
        if not problems:
            continue
        failing += 1
        # A task with no A and no R is listed under both.
        offenders += [Offender("task", t.id, t.name, group=flag) for flag in problems]
    groups = {key: raci.STATUS_LABELS[key] for key in TASK_GROUPS}
    total = len(data.tasks)
    return Check(
        "task_complete", LABELS["task_complete"], total - failing, total, offenders, groups
    )


def check_hat_confirmed(data):
    """Wearers of published hats who have not confirmed the latest revision.
    A hat never published has nothing to confirm yet."""
    hats = {h.id: h for h in data.hats}
    names = {p.id: p.name for p in data.people}
    offenders, total = [], 0
    for w in data.wears:
        hat = hats.get(w.hat_id)
        if hat is None or hat.revision < 1:
            continue
        total += 1
        if (w.person_id, w.hat_id) in data.acks:
            continue
        label = gettext("%(person)s has not confirmed %(hat)s, revision %(number)s") % {
            "person": names.get(w.person_id, "?"),
            "hat": hat.title,
            "number": hat.revision,
        }
        offenders.append(Offender("hat", hat.id, label, person_id=w.person_id))
    return Check("hat_confirmed", LABELS["hat_confirmed"], total - len(offenders), total, offenders)


def workload(data):
    """LoadRow per active person, heaviest first."""
    limits = data.thresholds
    rows = {p.id: LoadRow(p.id, p.name) for p in data.people if p.active}
    hats_of = {}
    for w in data.wears:
        row = rows.get(w.person_id)
        if row is None:
            continue
        row.hats += 1
        row.share += w.share or 0
        hats_of.setdefault(w.hat_id, []).append(row)
    tasks_a, tasks_r = {}, {}
    for task_id, hat_id, letter in data.cells:
        target = tasks_a if letter == "A" else tasks_r if letter == "R" else None
        if target is None:
            continue
        for row in hats_of.get(hat_id, ()):
            target.setdefault(row.person_id, set()).add(task_id)
    for row in rows.values():
        row.a_count = len(tasks_a.get(row.person_id, ()))
        row.r_count = len(tasks_r.get(row.person_id, ()))
        if row.a_count > limits.max_accountable:
            row.reasons.append(
                gettext("accountable for %(n)s tasks (more than %(max)s)")
                % {"n": row.a_count, "max": limits.max_accountable}
            )
        if row.hats > limits.max_hats:
            row.reasons.append(
                gettext("wears %(n)s hats (more than %(max)s)")
                % {"n": row.hats, "max": limits.max_hats}
            )
        if row.share > limits.overload_share:
            row.reasons.append(
                gettext("total share %(n)s %% (more than %(max)s %%)")
                % {"n": row.share, "max": limits.overload_share}
            )
    return sorted(rows.values(), key=lambda r: (-load_of(r, limits), r.name, r.person_id))


def load_of(row, limits):
    """How full a person is, as the largest of their ratios to the thresholds."""
    return max(
        row.share / max(limits.overload_share, 1),
        row.a_count / max(limits.max_accountable, 1),
        row.hats / max(limits.max_hats, 1),
    )


def check_overload(data, rows=None):
    rows = workload(data) if rows is None else rows
    offenders = [
        Offender("person", r.person_id, f"{r.name}: {'; '.join(r.reasons)}", person_id=r.person_id)
        for r in rows
        if r.overloaded
    ]
    return Check("overload", LABELS["overload"], len(rows) - len(offenders), len(rows), offenders)


CHECKS = (
    check_function_hats,
    check_person_hats,
    check_hat_wearers,
    check_hat_duties,
    check_task_complete,
    check_hat_confirmed,
    check_overload,
)


def evaluate(data):
    """All seven checks over `data`."""
    return Health([check(data) for check in CHECKS])


# Loading ---------------------------------------------------------------------


def load(org):
    """The organisation's OrgData. Seven queries, whatever the size."""
    from .models import Acknowledgement, Assignment, Function, Hat, Person, Responsibility, Task

    return OrgData(
        functions=[
            FunctionRow(*row)
            for row in Function.objects.for_org(org)
            .order_by("position", "name", "id")
            .values_list("id", "name", "parent_id", "head_id")
        ],
        people=[
            PersonRow(*row)
            for row in Person.objects.for_org(org)
            .order_by("name", "id")
            .values_list("id", "name", "active")
        ],
        hats=[
            HatRow(*row)
            for row in Hat.objects.for_org(org)
            .order_by("function_id", "position", "title", "id")
            .values_list("id", "title", "function_id", "purpose", "revision")
        ],
        wears=[
            WearRow(*row)
            for row in Assignment.objects.for_org(org)
            .filter(ended__isnull=True, person__active=True)
            .order_by("id")
            .values_list("hat_id", "person_id", "share")
        ],
        tasks=[
            TaskRow(*row)
            for row in Task.objects.for_org(org)
            .order_by("area__position", "area_id", "position", "id")
            .values_list("id", "name")
        ],
        cells=list(
            Responsibility.objects.for_org(org)
            .order_by()
            .values_list("task_id", "hat_id", "letter")
        ),
        acks=set(
            Acknowledgement.objects.for_org(org)
            .filter(revision__number=F("hat__revision"))
            .order_by()
            .values_list("person_id", "hat_id")
        ),
        thresholds=Thresholds(org.max_accountable, org.max_hats, org.overload_share),
    )


def health_of(org):
    return evaluate(load(org))


def save_snapshot(org, date=None, health=None):
    """Store the day's score: one row per organisation and day, updated when run again."""
    from .models import HealthSnapshot

    health = health or health_of(org)
    date = date or timezone.localdate()
    snapshot, _created = HealthSnapshot.objects.update_or_create(
        org=org,
        date=date,
        defaults={
            "score": health.score,
            "passing": health.passing,
            "total": health.total,
            "checks": [
                {"key": c.key, "passing": c.passing, "total": c.total} for c in health.checks
            ],
        },
    )
    return snapshot
