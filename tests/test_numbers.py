"""The rules of the weekly numbers: periods, reading a number, targets, trends,
and the hat's figure computed in SQL from its wearers' values."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from roles import models as m
from roles import numbers as rules
from roles.services import numbers as services

from . import factories as f

D = Decimal
UTC = datetime.UTC


def dt(*args):
    return datetime.datetime(*args, tzinfo=UTC)


# Periods ------------------------------------------------------------------------


def test_iso_week_runs_monday_to_sunday():
    assert rules.period_start(datetime.date(2026, 12, 3)) == datetime.date(2026, 11, 30)
    assert rules.period_start(datetime.date(2026, 12, 6)) == datetime.date(2026, 11, 30)
    assert rules.period_start(datetime.date(2026, 12, 7)) == datetime.date(2026, 12, 7)
    assert rules.period_end(datetime.date(2026, 11, 30)) == datetime.date(2026, 12, 6)


def test_an_organisation_may_end_its_week_on_friday():
    friday, saturday = datetime.date(2026, 12, 4), datetime.date(2026, 12, 5)
    assert rules.period_start(friday, week_ends=4) == datetime.date(2026, 11, 28)
    assert rules.period_start(saturday, week_ends=4) == saturday


@pytest.mark.parametrize(
    ("moment", "week_start"),
    [
        # Spring forward in Stockholm: Sunday 29 March 2026 is still week 13 …
        (dt(2026, 3, 29, 21, 59), datetime.date(2026, 3, 23)),  # 23:59 CEST Sunday
        # … and Monday 00:00 local (22:00 UTC, summer time) is week 14.
        (dt(2026, 3, 29, 22, 0), datetime.date(2026, 3, 30)),
        # Fall back: Sunday 25 October 23:59 CET is 22:59 UTC, still week 43 …
        (dt(2026, 10, 25, 22, 59), datetime.date(2026, 10, 19)),
        # … and Monday 00:00 CET (23:00 UTC) starts week 44.
        (dt(2026, 10, 25, 23, 0), datetime.date(2026, 10, 26)),
    ],
)
def test_week_boundaries_follow_stockholm_time_across_daylight_saving(settings, moment, week_start):
    settings.TIME_ZONE = "Europe/Stockholm"
    assert rules.current_period(now=moment) == week_start


@pytest.mark.swedish
def test_iso_week_53_and_the_turn_of_the_year():
    start = datetime.date(2026, 12, 28)
    assert rules.period_start(datetime.date(2027, 1, 3)) == start  # Sunday of week 53
    assert rules.shift(start, 1) == datetime.date(2027, 1, 4)
    with translation.override("en"):
        assert rules.period_label(start) == "wk 53"
        assert rules.period_label(rules.shift(start, 1)) == "wk 1"
    with translation.override("sv"):
        assert rules.period_label(start) == "v. 53"


def test_months_and_the_last_periods():
    jan = datetime.date(2026, 1, 1)
    assert rules.shift(jan, -1, "monthly") == datetime.date(2025, 12, 1)
    assert rules.period_end(datetime.date(2028, 2, 1), "monthly") == datetime.date(2028, 2, 29)
    assert rules.last_periods(jan, 3, "monthly") == [
        datetime.date(2025, 11, 1),
        datetime.date(2025, 12, 1),
        jan,
    ]
    weeks = rules.last_periods(datetime.date(2026, 11, 30), 13)
    assert len(weeks) == 13 and weeks[0] == datetime.date(2026, 9, 7)


# Reading a number ------------------------------------------------------------------


@pytest.mark.swedish
def test_a_decimal_comma_is_read_in_swedish():
    with translation.override("sv"):
        assert rules.parse_value("12,5", "amount") == D("12.5")
        assert rules.parse_value("1 200,5", "amount") == D("1200.5")


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("abc", "count", "is not a number"),
        ("", "count", "Enter a number"),
        ("NaN", "amount", "is not a number"),
        ("1e400", "amount", "too large"),
        ("140", "percent", "between 0 and 100"),
        ("-1", "count", "cannot be negative"),
        ("2.5", "count", "whole number"),
        ("-3", "duration", "cannot be negative"),
        ("1.23456", "amount", "four decimals"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(text, kind, message):
    with pytest.raises(rules.BadNumber, match=message):
        rules.parse_value(text, kind)


# Targets and trends --------------------------------------------------------------------


def test_status_follows_the_direction():
    assert rules.status(D(10), "higher", D(10)) == rules.ON
    assert rules.status(D(9), "higher", D(10)) == rules.OFF
    assert rules.status(D(9), "lower", D(10)) == rules.ON
    assert rules.status(D(11), "lower", D(10)) == rules.OFF
    assert rules.status(D(5), "range", D(4), D(6)) == rules.ON
    assert rules.status(D(7), "range", D(4), D(6)) == rules.OFF
    assert rules.status(None, "higher", D(10)) == rules.MISSING
    assert rules.status(D(3), "higher", None) == rules.NO_TARGET


def test_trend_skips_missing_periods_and_is_judged_by_direction():
    rising = [D(1), None, D(3), D(4), None, D(6)]
    assert rules.trend(rising) == "up"
    assert rules.trend([D(5), D(5), None, D(5)]) == "flat"
    assert rules.trend([None, D(5)]) is None
    assert rules.trend_is_good("higher", "up") is True
    assert rules.trend_is_good("lower", "up") is False
    assert rules.trend_is_good("range", "up") is None
    assert rules.off_in_a_row(["on", "off", "off", "off"]) == 3
    assert rules.off_in_a_row(["off", "missing", "off"]) == 1


def test_aggregate_sums_or_averages_and_skips_the_absent():
    assert rules.aggregate([D(2), None, D(4)], "sum") == D(6)
    assert rules.aggregate([D(2), None, D(4)], "average") == D(3)
    assert rules.aggregate([None], "sum") is None


def test_goal_read_from_the_target_text():
    assert rules.goal_of("10") == D(10)
    assert rules.goal_of("≥ 95 %") == D(95)
    assert rules.goal_of("12,5") == D("12.5")
    assert rules.goal_of("many") is None


# The hat's figure in SQL ----------------------------------------------------------------


@pytest.fixture
def two_wearers(world):
    second = f.PersonFactory(org=world.org, name="Andra Säljaren")
    f.AssignmentFactory(org=world.org, hat=world.hat, person=second)
    return world, second


def test_hat_figure_is_the_sum_for_counts_and_the_average_for_percents(two_wearers):
    w, second = two_wearers
    meetings = f.KPIFactory(hat=w.hat, value_kind="count")
    hit_rate = f.KPIFactory(hat=w.hat, value_kind="percent")
    week = datetime.date(2026, 11, 30)
    for kpi, a, b in ((meetings, 3, 5), (hit_rate, 40, 60)):
        m.KPIValue.objects.create(org=w.org, kpi=kpi, person=w.member, period=week, value=a)
        m.KPIValue.objects.create(org=w.org, kpi=kpi, person=second, period=week, value=b)
    found = services.figures(w.org, [meetings, hit_rate], week, week)
    assert found[(meetings.id, week)] == D(8)
    assert found[(hit_rate.id, week)] == D(50)
    hit_rate.aggregation = "sum"  # overridden
    assert services.figures(w.org, [hit_rate], week, week)[(hit_rate.id, week)] == D(100)


def test_scorecard_marks_missing_periods_and_colours_by_target(world):
    kpi = f.KPIFactory(hat=world.hat, value_kind="count", target="10")
    now = dt(2026, 12, 3, 12)
    this = datetime.date(2026, 11, 30)
    for back, value in ((0, 12), (2, 4)):
        m.KPIValue.objects.create(
            org=world.org,
            kpi=kpi,
            person=world.member,
            period=rules.shift(this, -back),
            value=value,
        )
    (row,) = services.score_rows(world.org, [kpi], n=13, now=now)
    assert [c.status for c in row.cells[-3:]] == ["off", "missing", "on"]
    assert row.cells[-1].label == "wk 49"
    assert row.trend == "up" and row.trend_good is True


# Entering a value ---------------------------------------------------------------------


NOW = dt(2026, 12, 3, 12)  # Thursday of week 49
WEEK = datetime.date(2026, 11, 30)


def test_entering_keeps_every_change_and_marks_late_entries(world):
    kpi = f.KPIFactory(hat=world.hat, value_kind="count")
    services.enter_value(world.org, kpi, world.member, WEEK, "7", world.member, now=NOW)
    services.enter_value(world.org, kpi, world.member, WEEK, "8", world.manager, was="7", now=NOW)
    value = m.KPIValue.objects.get(kpi=kpi)
    assert value.value == 8 and value.author == world.manager and not value.late
    changes = list(m.KPIValueChange.objects.filter(kpi=kpi).order_by("id"))
    assert [(c.old, c.new, c.author) for c in changes] == [
        (None, D(7), world.member),
        (D(7), D(8), world.manager),
    ]
    last_week = rules.shift(WEEK, -1)
    late, _ = services.enter_value(
        world.org, kpi, world.member, last_week, "3", world.member, now=NOW
    )
    assert late.late


def test_refusals_save_nothing(world, other_world):
    kpi = f.KPIFactory(hat=world.hat, value_kind="percent")
    cases = [
        (world.member, WEEK, "140", "between 0 and 100"),
        (world.member, rules.shift(WEEK, 1), "5", "not started yet"),
        (world.member, WEEK + datetime.timedelta(days=1), "5", "first day"),
        (world.manager, WEEK, "5", "does not wear"),
    ]
    for person, period, text, message in cases:
        with pytest.raises(services.Refused, match=message):
            services.enter_value(world.org, kpi, person, period, text, person, now=NOW)
    assignment = m.Assignment.objects.get(hat=world.hat, person=world.member)
    assignment.ended = NOW
    assignment.save()
    with pytest.raises(services.Refused, match="does not wear"):
        services.enter_value(world.org, kpi, world.member, WEEK, "5", world.member, now=NOW)
    assert not m.KPIValue.objects.exists() and not m.KPIValueChange.objects.exists()


def test_a_change_made_meanwhile_is_not_overwritten(world):
    kpi = f.KPIFactory(hat=world.hat)
    services.enter_value(world.org, kpi, world.member, WEEK, "7", world.member, was="", now=NOW)
    with pytest.raises(services.Conflict, match="now 7"):
        services.enter_value(
            world.org, kpi, world.member, WEEK, "9", world.manager, was="", now=NOW
        )
    assert m.KPIValue.objects.get(kpi=kpi).value == 7


def test_editing_a_hats_kpis_keeps_their_numbers(world):
    from roles.services import hats as hat_services

    kpi = f.KPIFactory(hat=world.hat, name="Möten", value_kind="count")
    m.KPIValue.objects.create(org=world.org, kpi=kpi, person=world.member, period=WEEK, value=4)
    rows = [
        {"name": "Nya kunder", "target": "2", "unit": "st", "period": "vecka"},
        {"name": "möten", "target": "12", "unit": "st", "period": "vecka"},
    ]
    hat_services.save_hat(world.hat, {}, world.hat.version, world.admin, kpis=rows)
    kpi.refresh_from_db()
    assert (kpi.name, kpi.target, kpi.position) == ("möten", "12", 1)
    assert m.KPIValue.objects.get().kpi == kpi
    assert world.hat.kpis.count() == 2
