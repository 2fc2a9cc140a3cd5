"""Hatting health: the seven checks of the CEO map, and the workload behind the
last one.

The checks are pure functions over plain data (`OrgData`), so they are testable
without a database; `load(org)` reads that data in a fixed number of queries
whatever the size of the organisation.
"""

import gc
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import raci

# Plain data ------------------------------------------------------------------
# Rows are named tuples: an organisation of 10,000 people and 15,000 tasks
# builds tens of thousands of them per request, at half the cost of frozen dataclasses.


class FunctionRow(NamedTuple):
    id: int
    name: str
    parent_id: int | None = None
    head_id: int | None = None


class PersonRow(NamedTuple):
    id: int
    name: str
    active: bool = True


class HatRow(NamedTuple):
    id: int
    title: str
    function_id: int
    purpose: str = ""
    revision: int = 0  # number of the latest published revision; 0: never published


class WearRow(NamedTuple):
    """A current assignment: a person wears a hat (share in %, or None)."""

    hat_id: int
    person_id: int
    share: int | None = None


class TaskRow(NamedTuple):
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
    cells: list = field(
        default_factory=list
    )  # (task_id, hat_id, letter); load() reads A and R only
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
    """Same verdicts as raci.task_status per task, counted in one pass over the
    cells: the hats holding A per task, and the tasks that have an R."""
    a_count_of = Counter(t for t, _h in {(t, h) for t, h, letter in data.cells if letter == "A"})
    with_r = {t for t, _h, letter in data.cells if letter == "R"}
    offenders, failing = [], 0
    for t in data.tasks:
        a_count = a_count_of.get(t.id, 0)
        problems = []
        if a_count == 0:
            problems.append(raci.NO_A)
        elif a_count > 1:
            problems.append(raci.MANY_A)
        if t.id not in with_r:
            problems.append(raci.NO_R)
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
    # Translated once: thousands of offenders share the sentence.
    sentence = gettext("%(person)s has not confirmed %(hat)s, revision %(number)s")
    for w in data.wears:
        hat = hats.get(w.hat_id)
        if hat is None or hat.revision < 1:
            continue
        total += 1
        if (w.person_id, w.hat_id) in data.acks:
            continue
        label = sentence % {
            "person": names.get(w.person_id, "?"),
            "hat": hat.title,
            "number": hat.revision,
        }
        offenders.append(Offender("hat", hat.id, label, person_id=w.person_id))
    return Check("hat_confirmed", LABELS["hat_confirmed"], total - len(offenders), total, offenders)


def workload(data, overloaded_only=False):
    """LoadRow per active person (or only the overloaded ones), heaviest first."""
    limits = data.thresholds
    active = [p for p in data.people if p.active]
    active_ids = {p.id for p in active}
    worn, share = {}, {}  # person id -> hat ids, total share
    for w in data.wears:
        if w.person_id in active_ids:
            worn.setdefault(w.person_id, []).append(w.hat_id)
            share[w.person_id] = share.get(w.person_id, 0) + (w.share or 0)
    # Tasks per hat once, then per person the union over their (few) hats:
    # linear in cells plus wears, not cells × wearers.
    a_of, r_of = defaultdict(set), defaultdict(set)
    for task_id, hat_id, letter in data.cells:
        if letter == "A":
            a_of[hat_id].add(task_id)
        elif letter == "R":
            r_of[hat_id].add(task_id)
    # Translated once, not once per overloaded person.
    too_many_a = gettext("accountable for %(n)s tasks (more than %(max)s)")
    too_many_hats = gettext("wears %(n)s hats (more than %(max)s)")
    too_much_share = gettext("total share %(n)s %% (more than %(max)s %%)")
    rows = []
    for p in active:
        hat_ids = worn.get(p.id, ())
        if not hat_ids:
            a_count = r_count = 0
        elif len(hat_ids) == 1:
            a_count = len(a_of.get(hat_ids[0], ()))
            r_count = len(r_of.get(hat_ids[0], ()))
        else:
            a_count = _distinct(a_of, hat_ids)
            r_count = _distinct(r_of, hat_ids)
        total = share.get(p.id, 0)
        reasons = []
        if a_count > limits.max_accountable:
            reasons.append(too_many_a % {"n": a_count, "max": limits.max_accountable})
        if len(hat_ids) > limits.max_hats:
            reasons.append(too_many_hats % {"n": len(hat_ids), "max": limits.max_hats})
        if total > limits.overload_share:
            reasons.append(too_much_share % {"n": total, "max": limits.overload_share})
        if overloaded_only and not reasons:
            continue
        rows.append(LoadRow(p.id, p.name, len(hat_ids), total, a_count, r_count, reasons))
    # Heaviest first: the largest of each person's ratios to the thresholds.
    share_max = max(limits.overload_share, 1)
    a_max = max(limits.max_accountable, 1)
    hats_max = max(limits.max_hats, 1)
    return sorted(
        rows,
        key=lambda r: (
            -max(r.share / share_max, r.a_count / a_max, r.hats / hats_max),
            r.name,
            r.person_id,
        ),
    )


def _distinct(tasks_of, hat_ids):
    """How many distinct tasks the hats hold between them."""
    return len(set().union(*(tasks_of[h] for h in hat_ids if h in tasks_of)))


def check_overload(data, rows=None):
    """`rows`: the full workload, when the caller has it already."""
    if rows is None:
        rows = workload(data, overloaded_only=True)
        total = sum(1 for p in data.people if p.active)
    else:
        total = len(rows)
    offenders = [
        Offender("person", r.person_id, f"{r.name}: {'; '.join(r.reasons)}", person_id=r.person_id)
        for r in rows
        if r.overloaded
    ]
    return Check("overload", LABELS["overload"], total - len(offenders), total, offenders)


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
        # The checks look only at A and R; C and I would double the rows read.
        cells=list(
            Responsibility.objects.for_org(org)
            .filter(letter__in=("A", "R"))
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


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a large organisation's rows are
    read and checked. They are tens of thousands of tuples and sets without
    cycles, so the collector's passes over them (a third of the map's CPU at
    10,000 people) find nothing; reference counting still frees everything.
    Re-enabled afterwards only if it was on, so nesting is harmless."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
