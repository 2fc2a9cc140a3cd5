"""Hatting health: the checks on plain data, on the demo, and the commands."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command

from roles import health as hc
from roles import models as m
from roles.health import FunctionData, HatData, OrgData, PersonData, TaskData, Thresholds, WearData
from roles.management.commands.demo import build_nordisk


def small_org(**changes):
    """A tidy organisation: everything passes until a test breaks something."""
    data = OrgData(
        functions=[FunctionData(1, "Ledning", None, 10), FunctionData(2, "Sälj", 1, None)],
        people=[PersonData(10, "Anna"), PersonData(11, "Bo"), PersonData(12, "Gone", active=False)],
        hats=[HatData(100, "VD", 1, "Leda.", 1), HatData(101, "Säljare", 2, "Sälja.", 2)],
        wears=[WearData(100, 10, 50), WearData(101, 11, 100)],
        tasks=[TaskData(1000, "Sälja"), TaskData(1001, "Budget")],
        cells=[(1000, 100, "A"), (1000, 101, "R"), (1001, 100, "A"), (1001, 100, "R")],
        acks={(10, 100), (11, 101)},
        thresholds=Thresholds(max_accountable=5, max_hats=2, overload_share=100),
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def by_key(result):
    return {c.key: c for c in result.checks}


def test_tidy_organisation_scores_full():
    result = hc.evaluate(small_org())
    assert [c.key for c in result.checks] == [
        "function_hats",
        "person_hats",
        "hat_wearers",
        "hat_duties",
        "task_complete",
        "hat_confirmed",
        "overload",
        "no_loops",
        "kpi_reported",
        "kpi_on_target",
    ]
    assert all(c.ok for c in result.checks)
    assert result.score == 1.0
    # Items: 2 functions, 2 active people, 2 hats, 2 hats, 2 tasks, 2 wearers, 2 people,
    # 2 functions and 2 hats.
    assert result.total == 18


def test_empty_organisation_scores_full():
    assert hc.evaluate(OrgData()).score == 1.0


def test_function_without_hat():
    data = small_org()
    data.functions.append(FunctionData(3, "Kundservice", 1, 10))
    check = by_key(hc.evaluate(data))["function_hats"]
    assert (check.passing, check.total) == (2, 3)
    assert [(o.kind, o.id, o.label) for o in check.offenders] == [("function", 3, "Kundservice")]


def test_active_person_without_hat_but_not_inactive():
    data = small_org()
    data.people.append(PersonData(13, "Mikael"))
    check = by_key(hc.evaluate(data))["person_hats"]
    assert (check.passing, check.total) == (2, 3)
    assert [o.id for o in check.offenders] == [13]  # "Gone" is inactive: not counted


def test_vacant_hat_is_held_from_above_by_the_nearest_head():
    data = small_org(wears=[WearData(100, 10, 50)])  # Säljare vacant; Sälj has no head
    check = by_key(hc.evaluate(data))["hat_wearers"]
    assert (check.passing, check.total) == (1, 2)
    [o] = check.offenders
    assert (o.kind, o.id, o.person_id) == ("hat", 101, 10)
    assert "held from above by Anna" in o.label


def test_hat_without_purpose_or_duties():
    data = small_org(
        hats=[HatData(100, "VD", 1, "Leda.", 1), HatData(101, "Säljare", 2, "  ", 2)],
        cells=[(1000, 100, "A"), (1000, 100, "R"), (1000, 101, "C")],
    )
    check = by_key(hc.evaluate(data))["hat_duties"]
    assert (check.passing, check.total) == (1, 2)
    [o] = check.offenders
    assert o.id == 101 and "no purpose" in o.label and "R or A" in o.label


def test_incomplete_tasks_are_listed_apart():
    data = small_org(
        tasks=[
            TaskData(1, "No A"),
            TaskData(2, "Two A"),
            TaskData(3, "No R"),
            TaskData(4, "Empty"),
        ],
        cells=[
            (1, 101, "R"),
            (2, 100, "A"),
            (2, 101, "A"),
            (2, 101, "R"),
            (3, 100, "A"),
            (3, 101, "C"),
        ],
    )
    check = by_key(hc.evaluate(data))["task_complete"]
    assert (check.passing, check.total) == (0, 4)
    groups = {(o.group, o.id) for o in check.offenders}
    assert groups == {("no_a", 1), ("many_a", 2), ("no_r", 3), ("no_a", 4), ("no_r", 4)}
    assert [label for label, _rows in check.grouped()] == ["no A", "two or more A's", "no R"]


def test_unconfirmed_revision_and_unpublished_hat():
    data = small_org(
        hats=[HatData(100, "VD", 1, "Leda.", 0), HatData(101, "Säljare", 2, "Sälja.", 2)],
        acks=set(),
    )
    check = by_key(hc.evaluate(data))["hat_confirmed"]
    # VD was never published: nothing to confirm. Bo has not read Säljare revision 2.
    assert (check.passing, check.total) == (0, 1)
    [o] = check.offenders
    assert (o.id, o.person_id) == (101, 11)
    assert "revision 2" in o.label


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"wears": [WearData(100, 10, 60), WearData(101, 10, 60), WearData(101, 11, 100)]},
            "share",
        ),
        ({"thresholds": Thresholds(max_accountable=1, max_hats=2, overload_share=100)}, "account"),
        ({"thresholds": Thresholds(max_accountable=5, max_hats=0, overload_share=100)}, "hats"),
    ],
)
def test_overload(change, reason):
    check = by_key(hc.evaluate(small_org(**change)))["overload"]
    assert check.passing < check.total
    assert any(reason in o.label for o in check.offenders)


def test_workload_counts_and_order():
    rows = hc.workload(
        small_org(wears=[WearData(100, 10, 60), WearData(101, 10, 60), WearData(101, 11, None)])
    )
    anna = rows[0]
    assert (anna.name, anna.hats, anna.share, anna.a_count, anna.r_count) == ("Anna", 2, 120, 2, 2)
    assert anna.overloaded
    assert rows[1].name == "Bo" and not rows[1].overloaded and rows[1].share == 0


def test_score_is_passing_over_total():
    data = small_org()
    data.functions.append(FunctionData(3, "Kundservice", 1, 10))
    result = hc.evaluate(data)
    assert result.score == pytest.approx(19 / 20)
    assert result.as_dict()["score"] == round(19 / 20, 4)


# The demo ----------------------------------------------------------------------


@pytest.fixture
def nordisk(db):
    return build_nordisk()


def offender_labels(result, key, group=None):
    check = by_key(result)[key]
    return [o.label for o in check.offenders if group is None or o.group == group]


def test_every_planted_gap_of_the_demo_shows_in_its_check(nordisk, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        data = hc.load(nordisk)
    result = hc.evaluate(data)
    assert offender_labels(result, "function_hats") == ["Kundservice"]
    assert offender_labels(result, "person_hats") == ["Mikael Dahl"]
    [vacant] = offender_labels(result, "hat_wearers")
    assert "Säljoperations" in vacant and "Erik Johansson" in vacant
    [no_purpose] = offender_labels(result, "hat_duties")
    assert "Marknadskoordinator" in no_purpose
    assert offender_labels(result, "task_complete", "no_a") == ["Reklamationer"]
    assert offender_labels(result, "task_complete", "many_a") == ["Prissättning och rabatter"]
    assert offender_labels(result, "task_complete", "no_r") == ["Arkivera avtal"]
    [unconfirmed] = offender_labels(result, "hat_confirmed")
    assert "Sara Nilsson" in unconfirmed and "Säljare" in unconfirmed
    [overloaded] = offender_labels(result, "overload")
    assert "Oskar Lund" in overloaded and "120" in overloaded
    assert 0 < result.score < 1


def test_fixing_a_gap_raises_the_score(nordisk):
    before = hc.health_of(nordisk).score
    task = m.Task.objects.for_org(nordisk).get(name="Reklamationer")
    boss = m.Hat.objects.for_org(nordisk).get(title="Försäljningschef")
    m.Responsibility.objects.create(org=nordisk, task=task, hat=boss, letter="A")
    assert hc.health_of(nordisk).score > before


# Commands ----------------------------------------------------------------------


def test_health_command_json(nordisk):
    out = StringIO()
    call_command("health", "nordisk", "--format", "json", stdout=out)
    doc = json.loads(out.getvalue())
    assert 0 <= doc["score"] <= 1
    assert len(doc["checks"]) == len(hc.CHECKS)
    for check in doc["checks"]:
        assert {"key", "label", "passing", "total", "offenders"} <= set(check)
    tasks = next(c for c in doc["checks"] if c["key"] == "task_complete")
    assert {o["label"] for o in tasks["offenders"]} == {
        "Reklamationer",
        "Prissättning och rabatter",
        "Arkivera avtal",
    }
    assert all({"kind", "id", "label"} <= set(o) for o in tasks["offenders"])


def test_health_command_text(nordisk):
    out = StringIO()
    call_command("health", "nordisk", stdout=out)
    assert "Kundservice" in out.getvalue()
    assert "Reklamationer" in out.getvalue()


def test_health_command_unknown_org(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("health", "nope")


def test_snapshot_is_idempotent_per_day(nordisk, world):
    call_command("snapshot_health", stdout=StringIO())
    call_command("snapshot_health", stdout=StringIO())
    assert m.HealthSnapshot.objects.count() == 2  # one per organisation
    snap = m.HealthSnapshot.objects.get(org=nordisk)
    assert snap.score == pytest.approx(hc.health_of(nordisk).score)
    assert len(snap.checks) == len(hc.CHECKS)

    # A fix later the same day updates the row instead of adding one.
    task = m.Task.objects.for_org(nordisk).get(name="Reklamationer")
    boss = m.Hat.objects.for_org(nordisk).get(title="Försäljningschef")
    m.Responsibility.objects.create(org=nordisk, task=task, hat=boss, letter="A")
    call_command("snapshot_health", "nordisk", stdout=StringIO())
    assert m.HealthSnapshot.objects.filter(org=nordisk).count() == 1
    assert m.HealthSnapshot.objects.get(org=nordisk).score > snap.score


def test_snapshot_of_named_org_only(nordisk, world):
    call_command("snapshot_health", world.org.slug, stdout=StringIO())
    assert list(m.HealthSnapshot.objects.values_list("org__slug", flat=True)) == ["alfa"]
    hc.save_snapshot(world.org, datetime.date(2026, 1, 1))
    assert m.HealthSnapshot.objects.filter(org=world.org).count() == 2
