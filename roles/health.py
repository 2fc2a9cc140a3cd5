"""Hatting health: the checks of the CEO map, and the workload behind the
overload check.

The checks are pure functions over plain data (`OrgData`), so they are testable
without a database; `load(org)` reads that data in a fixed number of queries
whatever the size of the organisation.
"""

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from operator import attrgetter
from typing import NamedTuple

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import raci, tree

# Plain data ------------------------------------------------------------------
# Rows are named tuples: an organisation of 10,000 people and 15,000 tasks
# builds tens of thousands of them per request, at half the cost of frozen dataclasses.


class FunctionData(NamedTuple):
    id: int
    name: str
    parent_id: int | None = None
    head_id: int | None = None


class PersonData(NamedTuple):
    id: int
    name: str
    active: bool = True


class HatData(NamedTuple):
    id: int
    title: str
    function_id: int
    purpose: str = ""
    revision: int = 0  # number of the latest published revision; 0: never published
    reports_to_id: int | None = None


class WearData(NamedTuple):
    """A current assignment: a person wears a hat (share in %, or None)."""

    hat_id: int
    person_id: int
    share: int | None = None


class TaskData(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True)
class Thresholds:
    max_accountable: int = 12
    max_hats: int = 4
    overload_share: int = 100
    kpi_off_target_periods: int = 3


@dataclass
class OrgData:
    functions: list = field(default_factory=list)  # FunctionData
    people: list = field(default_factory=list)  # PersonData
    hats: list = field(default_factory=list)  # HatData
    wears: list = field(default_factory=list)  # WearData (current, active wearers)
    # TaskData; None when loaded without tasks (load(tasks=False)): the checks
    # then fail rather than report every hat without duties.
    tasks: list | None = field(default_factory=list)
    # (task_id, hat_id, letter); load() reads A and R only; None as tasks.
    cells: list | None = field(default_factory=list)
    acks: set = field(default_factory=set)  # (person_id, hat_id): confirmed current revision
    thresholds: Thresholds = field(default_factory=Thresholds)
    kpis: list = field(default_factory=list)  # services.numbers.KPIHealth


class Index:
    """Lookups over OrgData that several checks (and the map's chart) share,
    each built on first use, once per Index. At 10,000 people and 60,000
    letters every pass over the rows counts."""

    def __init__(self, data):
        self.data = data

    @cached_property
    def names(self):
        """{person id: name}, active or not."""
        return {p.id: p.name for p in self.data.people}

    @cached_property
    def active(self):
        """{person id: name} of the active people."""
        return {p.id: p.name for p in self.data.people if p.active}

    @cached_property
    def functions(self):
        return {f.id: f for f in self.data.functions}

    @cached_property
    def worn(self):
        """Ids of the hats someone wears."""
        return {w.hat_id for w in self.data.wears}

    @cached_property
    def _letters(self):
        """({hat id: ids of the tasks it is A for}, {hat id: … R for}), in one
        pass over the cells."""
        a_of, r_of = defaultdict(set), defaultdict(set)
        for task_id, hat_id, letter in self.data.cells:
            if letter == "A":
                a_of[hat_id].add(task_id)
            elif letter == "R":
                r_of[hat_id].add(task_id)
        return dict(a_of), dict(r_of)

    @property
    def a_of(self):
        return self._letters[0]

    @property
    def r_of(self):
        return self._letters[1]

    @cached_property
    def owning(self):
        """Ids of the hats that are R or A for at least one task."""
        return self.a_of.keys() | self.r_of.keys()

    @cached_property
    def a_hats(self):
        """{task id: how many hats hold its A}."""
        return Counter(chain.from_iterable(self.a_of.values()))

    @cached_property
    def with_r(self):
        """Ids of the tasks that have an R."""
        return set().union(*self.r_of.values())

    @cached_property
    def unconfirmed(self):
        """(person id, HatData) of each wearer of a published hat who has not
        confirmed its latest revision, in the order of the wears; and how many
        wearers published hats have."""
        published = {h.id: h for h in self.data.hats if h.revision >= 1}
        acks = self.data.acks
        rows, total = [], 0
        for hat_id, person_id, _share in self.data.wears:
            hat = published.get(hat_id)
            if hat is not None:
                total += 1
                if (person_id, hat_id) not in acks:
                    rows.append((person_id, hat))
        return rows, total


# Results ---------------------------------------------------------------------


class Offender(NamedTuple):
    """One failing item. `kind` and `id` say where it is fixed (function, hat,
    person, task); `group` sorts offenders of one check apart (task problems);
    `person_id` names the person concerned, if any. A named tuple: a large
    organisation has thousands per request."""

    kind: str
    id: int
    label: str
    group: str = ""
    person_id: int | None = None

    def as_dict(self):
        return {k: v for k, v in self._asdict().items() if v not in ("", None)}


@dataclass
class Check:
    key: str
    label: str
    passing: int
    total: int
    offenders: list = field(default_factory=list)
    groups: dict = field(default_factory=dict)  # group key -> label, in display order
    # Offenders in all, when `offenders` lists only the first few (evaluate's `limit`).
    count: int | None = None

    @property
    def failing(self):
        return self.total - self.passing

    @property
    def ok(self):
        return self.passing == self.total

    @property
    def ratio(self):
        return self.passing / self.total if self.total else 1.0

    @property
    def offender_count(self):
        return len(self.offenders) if self.count is None else self.count

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
# Each check takes the data, an Index of it to share with the other checks,
# and `limit`: when given, the check builds only the first `limit` offenders
# (of each group) and counts the rest, which is all the map shows.

LABELS = {
    "function_hats": _("Every function has at least one hat"),
    "person_hats": _("Every active person wears at least one hat"),
    "hat_wearers": _("Every hat is worn by someone"),
    "hat_duties": _("Every hat has a purpose and at least one task it is R or A for"),
    "task_complete": _("Every task is complete (exactly one A, at least one R)"),
    "hat_confirmed": _("Every wearer has confirmed the current revision of each hat they wear"),
    "overload": _("Nobody is overloaded"),
    "no_loops": _("No function is below itself and no hat reports to itself"),
    "kpi_reported": _("Every KPI is reported for the last period by everyone wearing its hat"),
    "kpi_on_target": _("No KPI is off target several periods in a row"),
}


def holder_of(data, function_id, functions=None):
    """The person who holds a vacant hat of `function_id` "from above": the head
    of the function, or of the nearest function above it that has one.
    `functions` ({id: FunctionData}) saves rebuilding the index on every call."""
    if functions is None:
        functions = {f.id: f for f in data.functions}
    for fid in tree.up(function_id, lambda fid: functions[fid].parent_id):
        f = functions.get(fid)
        if f is None:
            return None
        if f.head_id is not None:
            return f.head_id
    return None


def _first(rows, limit):
    """The first `limit` rows (all when `limit` is None)."""
    return rows if limit is None else rows[:limit]


def _counted(key, total, failing, offenders, limit):
    """The Check of `total` items, of which `failing` (a number) fail, one
    offender each; `offenders` lists the first `limit` of them when there is
    a limit."""
    return Check(
        key,
        LABELS[key],
        total - failing,
        total,
        offenders,
        count=None if limit is None else failing,
    )


def check_function_hats(data, index=None, limit=None):
    with_hats = {h.function_id for h in data.hats}
    failing = [f for f in data.functions if f.id not in with_hats]
    offenders = [Offender("function", f.id, f.name) for f in _first(failing, limit)]
    return _counted("function_hats", len(data.functions), len(failing), offenders, limit)


def check_person_hats(data, index=None, limit=None):
    index = index or Index(data)
    wearing = {w.person_id for w in data.wears}
    active = index.active
    # In the order of data.people: by name.
    failing = [p for p in data.people if p.id not in wearing and p.id in active]
    offenders = [Offender("person", p.id, p.name, person_id=p.id) for p in _first(failing, limit)]
    return _counted("person_hats", len(active), len(failing), offenders, limit)


def check_hat_wearers(data, index=None, limit=None):
    index = index or Index(data)
    worn = index.worn
    failing = [h for h in data.hats if h.id not in worn]
    names, functions = index.names, index.functions
    held = gettext("%(hat)s (%(function)s): vacant, held from above by %(head)s")
    unheld = gettext("%(hat)s (%(function)s): vacant, and no head to hold it")
    offenders = []
    for h in _first(failing, limit):
        holder = holder_of(data, h.function_id, functions)
        where = functions[h.function_id].name if h.function_id in functions else ""
        if holder is not None and holder in names:
            label = held % {"hat": h.title, "function": where, "head": names[holder]}
        else:
            label = unheld % {"hat": h.title, "function": where}
        offenders.append(Offender("hat", h.id, label, person_id=holder))
    return _counted("hat_wearers", len(data.hats), len(failing), offenders, limit)


def check_hat_duties(data, index=None, limit=None):
    owning = (index or Index(data)).owning
    failing = [h for h in data.hats if h.id not in owning or not (h.purpose or "").strip()]
    no_purpose = gettext("no purpose")
    no_task = gettext("no task it is R or A for")
    offenders = []
    for h in _first(failing, limit):
        missing = []
        if not (h.purpose or "").strip():
            missing.append(no_purpose)
        if h.id not in owning:
            missing.append(no_task)
        offenders.append(Offender("hat", h.id, f"{h.title}: {', '.join(missing)}"))
    return _counted("hat_duties", len(data.hats), len(failing), offenders, limit)


TASK_GROUPS = (raci.NO_A, raci.MANY_A, raci.NO_R)


def check_task_complete(data, index=None, limit=None):
    """Same verdicts as raci.task_status per task, from the number of hats
    holding each task's A and the tasks that have an R."""
    index = index or Index(data)
    a_hats, with_r = index.a_hats, index.with_r
    # Most tasks are complete: set them aside before looking at any one by one.
    complete = {t for t, n in a_hats.items() if n == 1} & with_r
    failing = [t for t in data.tasks if t.id not in complete]
    offenders, listed = [], dict.fromkeys(TASK_GROUPS, 0)
    for t in failing:
        a_count = a_hats.get(t.id, 0)
        problems = []
        if a_count == 0:
            problems.append(raci.NO_A)
        elif a_count > 1:
            problems.append(raci.MANY_A)
        if t.id not in with_r:
            problems.append(raci.NO_R)
        # A task with no A and no R is listed under both.
        for flag in problems:
            listed[flag] += 1
            if limit is None or listed[flag] <= limit:
                offenders.append(Offender("task", t.id, t.name, group=flag))
    groups = {key: raci.STATUS_LABELS[key] for key in TASK_GROUPS}
    total = len(data.tasks)
    return Check(
        "task_complete",
        LABELS["task_complete"],
        total - len(failing),
        total,
        offenders,
        groups,
        None if limit is None else sum(listed.values()),
    )


def check_hat_confirmed(data, index=None, limit=None):
    """Wearers of published hats who have not confirmed the latest revision.
    A hat never published has nothing to confirm yet."""
    index = index or Index(data)
    failing, total = index.unconfirmed
    names = index.names if failing else {}
    # Translated once: thousands of offenders share the sentence.
    sentence = gettext("%(person)s has not confirmed %(hat)s, revision %(number)s")
    offenders = [
        Offender(
            "hat",
            hat.id,
            sentence
            % {"person": names.get(person_id, "?"), "hat": hat.title, "number": hat.revision},
            person_id=person_id,
        )
        for person_id, hat in _first(failing, limit)
    ]
    return _counted("hat_confirmed", total, len(failing), offenders, limit)


class _Load(NamedTuple):
    """One person's hats, total share and accountable tasks. Fields in the
    order of the workload: heaviest first (minus the largest of the person's
    ratios to the thresholds), then by name and id, so the rows sort as they
    are."""

    weight: float
    name: str
    person_id: int
    hats: int
    share: int
    a_count: int


def _loads(data, index, overloaded_only):
    """(_Load of each active person, or only of the overloaded ones; their hat
    ids {person id: [hat id]})."""
    limits = data.thresholds
    active = index.active
    a_of = index.a_of
    max_a, max_hats, max_share = limits.max_accountable, limits.max_hats, limits.overload_share
    a_max, hats_max, share_max = max(max_a, 1), max(max_hats, 1), max(max_share, 1)
    wears = data.wears
    if overloaded_only and max_hats >= 1:
        # Most people wear one hat, and only that hat's A's or its share can
        # overload them: keep the wears of people with several hats and the
        # single ones heavy enough, and weigh only those below.
        several = {p for p, n in Counter(map(attrgetter("person_id"), wears)).items() if n > 1}
        heavy = {h for h, tasks in a_of.items() if len(tasks) > max_a}
        wears = [
            w
            for w in wears
            if w.person_id in several or w.hat_id in heavy or (w.share or 0) > max_share
        ]
    worn, share = defaultdict(list), defaultdict(int)
    for hat_id, person_id, part in wears:
        if person_id in active:
            worn[person_id].append(hat_id)
            if part:
                share[person_id] += part
    # Tasks per hat once (a_of), then per person the union over their (few)
    # hats: linear in cells plus wears, not cells × wearers.
    rows = []
    # Nobody without a hat is overloaded (no threshold is below 0): the
    # overloaded are all among the wearers.
    for person_id in worn if overloaded_only else active:
        hat_ids = worn.get(person_id, ())
        hats = len(hat_ids)
        if hats == 1:
            a_count = len(a_of.get(hat_ids[0], ()))
        else:
            a_count = _distinct(a_of, hat_ids) if hats else 0
        total = share.get(person_id, 0)
        if overloaded_only and not (a_count > max_a or hats > max_hats or total > max_share):
            continue
        weight = -max(total / share_max, a_count / a_max, hats / hats_max)
        rows.append(_Load(weight, active[person_id], person_id, hats, total, a_count))
    return rows, worn


def _distinct(tasks_of, hat_ids):
    """How many distinct tasks the hats hold between them."""
    return len(set().union(*(tasks_of[h] for h in hat_ids if h in tasks_of)))


class _Reasons:
    """Why a person is overloaded, as text; the sentences translated once,
    not once per person."""

    def __init__(self, limits):
        self.limits = limits
        self.too_many_a = gettext("accountable for %(n)s tasks (more than %(max)s)")
        self.too_many_hats = gettext("wears %(n)s hats (more than %(max)s)")
        self.too_much_share = gettext("total share %(n)s %% (more than %(max)s %%)")

    def __call__(self, row):
        limits, reasons = self.limits, []
        if row.a_count > limits.max_accountable:
            reasons.append(self.too_many_a % {"n": row.a_count, "max": limits.max_accountable})
        if row.hats > limits.max_hats:
            reasons.append(self.too_many_hats % {"n": row.hats, "max": limits.max_hats})
        if row.share > limits.overload_share:
            reasons.append(self.too_much_share % {"n": row.share, "max": limits.overload_share})
        return reasons


def workload(data, overloaded_only=False, index=None):
    """LoadRow per active person (or only the overloaded ones), heaviest first."""
    index = index or Index(data)
    loads, worn = _loads(data, index, overloaded_only)
    r_of = index.r_of
    reasons = _Reasons(data.thresholds)
    rows = []
    for row in sorted(loads):  # heaviest first
        hat_ids = worn.get(row.person_id, ())
        if len(hat_ids) == 1:
            r_count = len(r_of.get(hat_ids[0], ()))
        else:
            r_count = _distinct(r_of, hat_ids) if hat_ids else 0
        rows.append(
            LoadRow(
                row.person_id, row.name, row.hats, row.share, row.a_count, r_count, reasons(row)
            )
        )
    return rows


def check_overload(data, index=None, limit=None):
    index = index or Index(data)
    loads = _loads(data, index, overloaded_only=True)[0]
    # Heaviest first: only the first `limit` need sorting.
    shown = sorted(loads) if limit is None else heapq.nsmallest(limit, loads)
    reasons = _Reasons(data.thresholds)
    offenders = [
        Offender("person", r.person_id, f"{r.name}: {'; '.join(reasons(r))}", person_id=r.person_id)
        for r in shown
    ]
    return _counted("overload", len(index.active), len(loads), offenders, limit)


def check_no_loops(data, index=None, limit=None):
    """Functions below themselves and hats that report to themselves through
    other hats. Neither can be saved any more; this finds what was saved
    before. Each function and hat on a loop fails once."""
    functions = (index or Index(data)).functions
    hats = {h.id: h for h in data.hats}
    on_loop = {}
    for kind, parent_of in (
        ("function", {f.id: f.parent_id for f in data.functions}),
        ("hat", {h.id: h.reports_to_id for h in data.hats}),
    ):
        for loop in tree.cycles(parent_of):
            for node in loop:
                on_loop[kind, node] = loop
    failing = [("function", f.id) for f in data.functions if ("function", f.id) in on_loop]
    failing += [("hat", h.id) for h in data.hats if ("hat", h.id) in on_loop]
    below = gettext("%(name)s: below itself (%(loop)s)")
    reports = gettext("%(name)s: reports to itself (%(loop)s)")
    offenders = []
    for kind, node in _first(failing, limit):
        loop = on_loop[kind, node]
        start = loop.index(node)
        chain = [*loop[start:], *loop[:start], node]
        if kind == "function":
            names = [functions[i].name for i in chain]
        else:
            names = [hats[i].title for i in chain]
        label = (below if kind == "function" else reports) % {
            "name": names[0],
            "loop": " → ".join(names),
        }
        offenders.append(Offender(kind, node, label))
    total = len(data.functions) + len(data.hats)
    return _counted("no_loops", total, len(failing), offenders, limit)


def _kpis_worn(data):
    """(KPIs of hats someone wears, {hat id: its wearers}, {hat id: title})."""
    wearers = {}
    for w in data.wears:
        wearers.setdefault(w.hat_id, set()).add(w.person_id)
    titles = {h.id: h.title for h in data.hats}
    return [k for k in data.kpis if k.hat_id in wearers], wearers, titles


def check_kpi_reported(data, index=None, limit=None):
    kpis, wearers, titles = _kpis_worn(data)
    failing = [k for k in kpis if k.reported < len(wearers[k.hat_id])]
    offenders = [
        Offender("kpi", k.id, f"{k.name} ({titles.get(k.hat_id, '')})")
        for k in _first(failing, limit)
    ]
    return _counted("kpi_reported", len(kpis), len(failing), offenders, limit)


def check_kpi_on_target(data, index=None, limit=None):
    kpis, _wearers, titles = _kpis_worn(data)
    kpis = [k for k in kpis if k.has_goal]
    runs = max(1, data.thresholds.kpi_off_target_periods)
    failing = [k for k in kpis if k.off_run >= runs]
    offenders = [
        Offender("kpi", k.id, f"{k.name} ({titles.get(k.hat_id, '')})")
        for k in _first(failing, limit)
    ]
    return _counted("kpi_on_target", len(kpis), len(failing), offenders, limit)


CHECKS = (
    check_function_hats,
    check_person_hats,
    check_hat_wearers,
    check_hat_duties,
    check_task_complete,
    check_hat_confirmed,
    check_overload,
    check_no_loops,
    check_kpi_reported,
    check_kpi_on_target,
)


def evaluate(data, index=None, limit=None):
    """All the checks over `data`. `index`: an Index of `data` to share with
    the caller. `limit`: list only the first `limit` offenders of each check
    (of each group of one), and count the rest."""
    index = index or Index(data)
    return Health([check(data, index=index, limit=limit) for check in CHECKS])


# Loading ---------------------------------------------------------------------


def _rows(row_type, queryset):
    """Named tuples of `row_type` from a values_list queryset."""
    return [row_type._make(row) for row in queryset]


def load(org, tasks=True):
    """The organisation's OrgData. Ten queries, whatever the size.
    `tasks=False`: without the tasks and their letters (the largest part, which
    only the checks read; they are None then, so no check can run on it by
    mistake); two queries fewer."""
    from .models import Acknowledgement, Assignment, Function, Hat, Person, Responsibility, Task
    from .services import numbers

    functions = _rows(
        FunctionData,
        Function.objects.for_org(org)
        .order_by("position", "name", "id")
        .values_list("id", "name", "parent_id", "head_id"),
    )
    people = _rows(
        PersonData,
        Person.objects.for_org(org).order_by("name", "id").values_list("id", "name", "active"),
    )
    hats = _rows(
        HatData,
        Hat.objects.for_org(org)
        .order_by("function_id", "position", "title", "id")
        .values_list("id", "title", "function_id", "purpose", "revision", "reports_to_id"),
    )
    # Wears of active people, told apart with the people just read (an
    # assignment's person is of its organisation) rather than by a join in SQL.
    active = {p.id for p in people if p.active}
    wears = [
        WearData._make(row)
        for row in Assignment.objects.for_org(org)
        .filter(ended__isnull=True)
        .order_by("id")
        .values_list("hat_id", "person_id", "share")
        if row[1] in active
    ]
    data = OrgData(
        functions=functions,
        people=people,
        hats=hats,
        wears=wears,
        acks=set(
            Acknowledgement.objects.for_org(org)
            .filter(revision__number=F("hat__revision"))
            .order_by()
            .values_list("person_id", "hat_id")
        ),
        thresholds=Thresholds(
            org.max_accountable, org.max_hats, org.overload_share, org.kpi_off_target_periods
        ),
    )
    data.kpis = numbers.kpi_health(org)
    if not tasks:
        data.tasks = data.cells = None
        return data
    data.tasks = _rows(
        TaskData,
        Task.objects.for_org(org)
        .order_by("area__position", "area_id", "position", "id")
        .values_list("id", "name"),
    )
    # The checks look only at A and R; C and I would double the rows read.
    data.cells = list(
        Responsibility.objects.for_org(org)
        .filter(letter__in=("A", "R"))
        .order_by()
        .values_list("task_id", "hat_id", "letter")
    )
    return data


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
