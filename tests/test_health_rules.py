"""The health checks against a plain reading of the rules (docs/ARCHITECTURE.md,
"Hatting health"), on generated organisations: the checks count in single passes over
the rows for speed, and must still say exactly what the rules say. Also: with
a limit, a check lists its first offenders and counts the rest."""

from collections import defaultdict

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from roles import health as hc
from roles import raci
from roles.health import FunctionData, HatData, OrgData, PersonData, TaskData, Thresholds, WearData
from roles.services.numbers import KPIHealth

FUNCTIONS = range(1, 6)
PEOPLE = range(10, 20)
HATS = range(100, 108)
TASKS = range(1000, 1008)


@st.composite
def organisations(draw):
    """Small organisations with every irregularity the rows allow: parents and
    reporting lines that are missing or form a loop, hats of unknown functions, inactive wearers, a
    person wearing a hat twice, C and I letters, duplicate letters."""
    function_ids = draw(st.lists(st.sampled_from(FUNCTIONS), unique=True))
    person_ids = draw(st.lists(st.sampled_from(PEOPLE), unique=True))
    hat_ids = draw(st.lists(st.sampled_from(HATS), unique=True))
    task_ids = draw(st.lists(st.sampled_from(TASKS), unique=True))
    some_function = st.sampled_from([*function_ids, 99])
    some_person = st.sampled_from(person_ids) if person_ids else st.nothing()
    some_hat = st.sampled_from(hat_ids) if hat_ids else st.nothing()
    some_task = st.sampled_from(task_ids) if task_ids else st.nothing()
    functions = [
        FunctionData(
            f,
            f"Function {f}",
            draw(st.none() | some_function),
            draw(st.none() | some_person) if person_ids else None,
        )
        for f in function_ids
    ]
    # Equal names on purpose: the order falls back to the id.
    people = [
        PersonData(p, draw(st.sampled_from(["Anna", "Bo", "Åsa", "anna"])), draw(st.booleans()))
        for p in person_ids
    ]
    hats = [
        HatData(
            h,
            f"Hat {h}",
            draw(some_function),
            draw(st.sampled_from(["", "  ", "Purpose."])),
            draw(st.integers(0, 2)),
            draw(st.none() | st.sampled_from([*hat_ids, 999])),
        )
        for h in hat_ids
    ]
    wears, cells, acks = [], [], set()
    if hat_ids and person_ids:
        wears = draw(
            st.lists(
                st.builds(WearData, some_hat, some_person, st.sampled_from([None, 10, 60, 100])),
                max_size=14,
            )
        )
        acks = draw(st.sets(st.tuples(some_person, some_hat), max_size=8))
    if hat_ids and task_ids:
        cells = draw(
            st.lists(st.tuples(some_task, some_hat, st.sampled_from(raci.LETTERS)), max_size=24)
        )
    thresholds = Thresholds(
        draw(st.integers(0, 3)),
        draw(st.integers(0, 2)),
        draw(st.sampled_from([0, 50, 100])),
        draw(st.integers(0, 3)),
    )
    tasks = [TaskData(t, f"Task {t}") for t in task_ids]
    kpis = []
    if hat_ids and person_ids:
        kpis = [
            KPIHealth(
                500 + i,
                f"KPI {i}",
                draw(some_hat),
                draw(st.booleans()),
                draw(st.sampled_from(["on", "off", "missing", "none"])),
                draw(st.integers(0, 3)),
                draw(st.integers(0, 4)),
            )
            for i in range(draw(st.integers(0, 4)))
        ]
    return OrgData(functions, people, hats, wears, tasks, cells, acks, thresholds, kpis)


# The rules, read plainly -------------------------------------------------------


def letters_per_cell(data):
    """{task id: {hat id: set of letters}}."""
    cells = defaultdict(lambda: defaultdict(set))
    for task, hat, letter in data.cells:
        cells[task][hat].add(letter)
    return cells


def expected_loads(data):
    """{person id: (hats, share, A tasks, R tasks)} of the active people."""
    out = {}
    for p in data.people:
        if not p.active:
            continue
        mine = [w for w in data.wears if w.person_id == p.id]
        worn = {w.hat_id for w in mine}
        a_tasks = {t for t, h, letter in data.cells if letter == "A" and h in worn}
        r_tasks = {t for t, h, letter in data.cells if letter == "R" and h in worn}
        out[p.id] = (len(mine), sum(w.share or 0 for w in mine), len(a_tasks), len(r_tasks))
    return out


def expected_overloaded(data):
    """[(person id, reasons)] of the overloaded, heaviest first."""
    limits, names = data.thresholds, {p.id: p.name for p in data.people}
    rows = []
    for person_id, (hats, share, a_count, _r) in expected_loads(data).items():
        reasons = []
        if a_count > limits.max_accountable:
            reasons.append(f"accountable for {a_count} tasks (more than {limits.max_accountable})")
        if hats > limits.max_hats:
            reasons.append(f"wears {hats} hats (more than {limits.max_hats})")
        if share > limits.overload_share:
            reasons.append(f"total share {share} % (more than {limits.overload_share} %)")
        weight = max(
            share / max(limits.overload_share, 1),
            a_count / max(limits.max_accountable, 1),
            hats / max(limits.max_hats, 1),
        )
        rows.append((-weight, names[person_id], person_id, reasons))
    return [(person_id, reasons) for _w, _n, person_id, reasons in sorted(rows) if reasons]


def comes_back(node, parent_of):
    """True when following `parent_of` from `node` leads back to it."""
    step = parent_of.get(node)
    for _ in parent_of:
        if step == node:
            return True
        step = parent_of.get(step)
    return False


def expected(data):
    """{check key: (passing, total, [(kind, id, group, person id)])}."""
    worn = {w.hat_id for w in data.wears}
    wearing = {w.person_id for w in data.wears}
    active = [p for p in data.people if p.active]
    hats = {h.id: h for h in data.hats}
    out = {}

    failing = [f for f in data.functions if all(h.function_id != f.id for h in data.hats)]
    out["function_hats"] = [("function", f.id, "", None) for f in failing], len(data.functions)

    failing = [p for p in active if p.id not in wearing]
    out["person_hats"] = [("person", p.id, "", p.id) for p in failing], len(active)

    failing = [h for h in data.hats if h.id not in worn]
    out["hat_wearers"] = (
        [("hat", h.id, "", hc.holder_of(data, h.function_id)) for h in failing],
        len(data.hats),
    )

    owning = {h for _t, h, letter in data.cells if letter in "RA"}
    failing = [h for h in data.hats if not h.purpose.strip() or h.id not in owning]
    out["hat_duties"] = [("hat", h.id, "", None) for h in failing], len(data.hats)

    cells = letters_per_cell(data)
    rows, passing = [], 0
    for t in data.tasks:
        status = raci.task_status(cells[t.id].values())
        flags = [f for f in status.flags if f in hc.TASK_GROUPS]
        passing += not flags
        rows += [("task", t.id, flag, None) for flag in flags]
    out["task_complete"] = rows, len(data.tasks), passing

    published = [w for w in data.wears if w.hat_id in hats and hats[w.hat_id].revision >= 1]
    failing = [w for w in published if (w.person_id, w.hat_id) not in data.acks]
    out["hat_confirmed"] = [("hat", w.hat_id, "", w.person_id) for w in failing], len(published)

    failing = expected_overloaded(data)
    out["overload"] = [("person", p, "", p) for p, _r in failing], len(active)

    # A KPI of a worn hat is reported when each of its wearers has a value (counted), and
    # failing on target when off for the set number of periods in a row.
    wearers = defaultdict(set)
    for w in data.wears:
        wearers[w.hat_id].add(w.person_id)
    worn = [k for k in data.kpis if k.hat_id in wearers]
    missing = [k for k in worn if k.reported < len(wearers[k.hat_id])]
    out["kpi_reported"] = [("kpi", k.id, "", None) for k in missing], len(worn)
    judged = [k for k in worn if k.has_goal]
    runs = max(1, data.thresholds.kpi_off_target_periods)
    off = [k for k in judged if k.off_run >= runs]
    out["kpi_on_target"] = [("kpi", k.id, "", None) for k in off], len(judged)
    parent_of = {f.id: f.parent_id for f in data.functions}
    boss_of = {h.id: h.reports_to_id for h in data.hats}
    out["no_loops"] = (
        [("function", f.id, "", None) for f in data.functions if comes_back(f.id, parent_of)]
        + [("hat", h.id, "", None) for h in data.hats if comes_back(h.id, boss_of)],
        len(data.functions) + len(data.hats),
    )
    return out


def summary(check):
    return [(o.kind, o.id, o.group, o.person_id) for o in check.offenders]


@settings(max_examples=300, deadline=None)
@given(organisations())
def test_every_check_says_what_the_rules_say(data):
    with translation.override("en"):
        result = hc.evaluate(data)
    for check in result.checks:
        want = expected(data)[check.key]
        offenders, total = want[0], want[1]
        assert check.total == total, check.key
        assert summary(check) == offenders, check.key
        if check.key == "task_complete":
            assert check.passing == want[2]
        else:
            assert check.passing == total - len(offenders), check.key


@settings(max_examples=200, deadline=None)
@given(organisations())
def test_overload_labels_and_workload_rows(data):
    with translation.override("en"):
        check = next(c for c in hc.evaluate(data).checks if c.key == "overload")
        rows = hc.workload(data)
    names = {p.id: p.name for p in data.people}
    assert [o.label for o in check.offenders] == [
        f"{names[p]}: {'; '.join(reasons)}" for p, reasons in expected_overloaded(data)
    ]
    loads = expected_loads(data)
    assert sorted((r.person_id, r.hats, r.share, r.a_count, r.r_count) for r in rows) == sorted(
        (p, *load) for p, load in loads.items()
    )
    assert [r.person_id for r in rows if r.overloaded] == [p for p, _r in expected_overloaded(data)]


@settings(max_examples=200, deadline=None)
@given(organisations(), st.integers(0, 3))
def test_a_limit_lists_the_first_offenders_and_counts_them_all(data, limit):
    full = hc.evaluate(data)
    cut = hc.evaluate(data, limit=limit)
    for whole, part in zip(full.checks, cut.checks, strict=True):
        assert (part.key, part.passing, part.total) == (whole.key, whole.passing, whole.total)
        assert part.offender_count == len(whole.offenders) == whole.offender_count
        for group in whole.groups or [""]:
            listed = [o for o in whole.offenders if o.group == group]
            assert [o for o in part.offenders if o.group == group] == listed[:limit]
