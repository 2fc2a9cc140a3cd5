"""The pages of the weekly numbers: entry on My hats, the team grid, the
scorecards and a KPI's graph."""

import datetime
from decimal import Decimal

import pytest

from roles import models as m
from roles import numbers as rules
from roles.services import numbers as services

from . import factories as f
from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpi(world):
    return f.KPIFactory(hat=world.hat, name="Bokade möten", value_kind="count", target="10")


def enter(client, world, kpi, value, person=None, period=None, was=None, htmx=True):
    data = {
        "kpi": kpi.id,
        "person": (person or world.member).id,
        "period": (period or services.current(world.org)).isoformat(),
        "value": value,
    }
    if was is not None:
        data["was"] = was
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/o/{world.org.slug}/numbers/enter/", data, headers=headers)


def test_my_hats_offers_this_weeks_numbers_with_last_week_and_target(as_member, world, kpi):
    last = rules.shift(services.current(world.org), -1)
    m.KPIValue.objects.create(org=world.org, kpi=kpi, person=world.member, period=last, value=7)
    page = as_member.get(f"/o/{world.org.slug}/me/").content.decode()
    assert "This week's numbers" in page
    assert "Bokade möten" in page and "last period: 7" in page and "target: 10" in page


def test_a_value_saves_itself_and_says_so(as_member, world, kpi):
    response = enter(as_member, world, kpi, "12")
    body = response.content.decode()
    assert response.status_code == 200 and "saved" in body
    assert m.KPIValue.objects.get(kpi=kpi).value == 12
    assert 'name="was" value="12"' in body  # the next change starts from it


@pytest.mark.parametrize(
    ("value", "message"),
    [("tolv", "is not a number"), ("-1", "cannot be negative"), ("2.5", "whole number")],
)
def test_bad_input_is_refused_with_a_message_and_kept_in_the_field(
    as_member, world, kpi, value, message
):
    body = enter(as_member, world, kpi, value).content.decode()
    assert message in body and f'value="{value}"' in body and 'aria-invalid="true"' in body
    assert not m.KPIValue.objects.exists()


def test_a_future_week_and_a_hat_no_longer_worn_are_refused(as_member, world, kpi):
    future = rules.shift(services.current(world.org), 1)
    assert "not started yet" in enter(as_member, world, kpi, "3", period=future).content.decode()
    m.Assignment.objects.filter(person=world.member).update(ended="2026-01-01T00:00Z")
    assert "does not wear" in enter(as_member, world, kpi, "3").content.decode()
    assert not m.KPIValue.objects.exists()


@pytest.mark.swedish
def test_a_decimal_comma_in_swedish(world):
    kpi = f.KPIFactory(hat=world.hat, value_kind="percent")
    client = client_for(world.member)
    client.cookies["django_language"] = "sv"
    enter(client, world, kpi, "12,5")
    assert m.KPIValue.objects.get(kpi=kpi).value == Decimal("12.5")


def test_another_organisations_kpi_is_404(as_outsider, world, kpi):
    response = as_outsider.post(
        "/o/beta/numbers/enter/",
        {"kpi": kpi.id, "person": world.member.id, "period": "2026-11-30", "value": "1"},
    )
    assert response.status_code == 404


def test_a_member_cannot_enter_for_someone_else(world, kpi):
    colleague = f.PersonFactory(org=world.org)
    f.AssignmentFactory(org=world.org, hat=world.hat, person=colleague)
    response = enter(client_for(world.member), world, kpi, "3", person=colleague)
    assert response.status_code == 403 and not m.KPIValue.objects.exists()


def test_the_manager_corrects_in_the_team_grid_and_the_scorecard_turns_green(
    as_manager, world, kpi
):
    this = services.current(world.org)
    m.KPIValue.objects.create(org=world.org, kpi=kpi, person=world.member, period=this, value=4)
    grid = as_manager.get(f"/o/{world.org.slug}/functions/{world.sales.id}/numbers/")
    assert grid.status_code == 200 and world.member.name in grid.content.decode()
    card = f"/o/{world.org.slug}/scorecard/?function={world.sales.id}"
    assert 'class="text-end score-off">4' in as_manager.get(card).content.decode()
    enter(as_manager, world, kpi, "11", was="4")
    assert 'class="text-end score-on">11' in as_manager.get(card).content.decode()
    change = m.KPIValueChange.objects.get()
    assert (change.old, change.new, change.author) == (4, 11, world.manager)


def test_a_manager_has_no_grid_for_a_function_not_theirs(as_manager, world):
    response = as_manager.get(f"/o/{world.org.slug}/functions/{world.other.id}/numbers/")
    assert response.status_code == 403


def test_the_graph_draws_the_hat_and_each_wearer_with_a_table(as_member, world, kpi):
    this = services.current(world.org)
    for back, value in enumerate((12, 9, 8)):
        m.KPIValue.objects.create(
            org=world.org,
            kpi=kpi,
            person=world.member,
            period=rules.shift(this, -back),
            value=value,
        )
    for n in (13, 26, 52):
        page = as_member.get(f"/o/{world.org.slug}/kpis/{kpi.id}/?n={n}").content.decode()
        assert "<svg" in page and 'role="img"' in page and "<polyline" in page
        assert page.count("<tr>") == n + 1  # the table: a row per period
        assert "rising" in page and 'class="goal"' in page


def test_kpi_settings_refuse_a_range_upside_down(as_manager, world, kpi):
    url = f"/o/{world.org.slug}/kpis/{kpi.id}/edit/"
    data = {
        "value_kind": "percent",
        "direction": "range",
        "frequency": "weekly",
        "aggregation": "",
        "goal": "90",
        "goal_high": "80",
    }
    assert "below the lower end" in as_manager.post(url, data).content.decode()
    data["goal_high"] = "95"
    assert as_manager.post(url, data).status_code == 302
    kpi.refresh_from_db()
    assert (kpi.value_kind, kpi.goal, kpi.goal_high) == ("percent", 90, 95)


@pytest.mark.parametrize("size", [1, 12])
def test_numbers_pages_keep_a_flat_query_count(world, django_assert_max_num_queries, size):
    this = services.current(world.org)
    for i in range(size):
        person = f.PersonFactory(org=world.org)
        hat = f.HatFactory(org=world.org, function=world.team)
        f.AssignmentFactory(org=world.org, hat=hat, person=person)
        if i == 0:
            f.AssignmentFactory(org=world.org, hat=hat, person=world.member)
        for _k in range(2):
            kpi = f.KPIFactory(hat=hat)
            m.KPIValue.objects.bulk_create(
                m.KPIValue(
                    org=world.org, kpi=kpi, person=person, period=rules.shift(this, -w), value=w
                )
                for w in range(13)
            )
    admin = client_for(world.admin)
    slug = world.org.slug
    kpi = m.KPI.objects.filter(hat__org=world.org).first()
    for url in (
        f"/o/{slug}/scorecard/",
        f"/o/{slug}/functions/{world.sales.id}/numbers/",
        f"/o/{slug}/kpis/{kpi.id}/?n=52",
    ):
        with django_assert_max_num_queries(12):
            assert admin.get(url).status_code == 200


def test_health_flags_missing_numbers_and_a_kpi_off_target_three_periods(world, as_admin):
    from roles import health as hc

    kpi = f.KPIFactory(hat=world.hat, name="Offerter", value_kind="count", target="10")
    due = services.due_period(world.org, "weekly")
    checks = {c.key: c for c in hc.health_of(world.org).checks}
    assert [o.id for o in checks["kpi_reported"].offenders] == [kpi.id]
    assert checks["kpi_on_target"].ok  # missing is not off target
    for back in range(3):
        m.KPIValue.objects.create(
            org=world.org, kpi=kpi, person=world.member, period=rules.shift(due, -back), value=4
        )
    checks = {c.key: c for c in hc.health_of(world.org).checks}
    assert checks["kpi_reported"].ok
    assert [o.id for o in checks["kpi_on_target"].offenders] == [kpi.id]
    world.org.kpi_off_target_periods = 4
    world.org.save()
    assert {c.key: c for c in hc.health_of(world.org).checks}["kpi_on_target"].ok
    world.org.kpi_off_target_periods = 3
    world.org.save()
    page = as_admin.get(f"/o/{world.org.slug}/").content.decode()
    assert f'href="/o/{world.org.slug}/kpis/{kpi.id}/"' in page  # the offender, linked
    assert "0 of 1 KPI on target this week" in page


def test_the_map_counts_kpis_on_target_in_each_function(world, as_admin):
    kpi = f.KPIFactory(hat=world.hat, value_kind="count", target="10")
    f.KPIFactory(hat=world.hat, value_kind="count", target="10")
    this = services.current(world.org)
    m.KPIValue.objects.create(org=world.org, kpi=kpi, person=world.member, period=this, value=11)
    page = as_admin.get(f"/o/{world.org.slug}/").content.decode()
    assert "1 of 2 KPIs on target this week" in page
    assert f"/o/{world.org.slug}/scorecard/?function={world.team.id}" in page


def test_the_hat_pdf_carries_each_kpis_graph(world, as_member, kpi, monkeypatch):
    import weasyprint

    m.KPIValue.objects.create(
        org=world.org, kpi=kpi, person=world.member, period=services.current(world.org), value=3
    )
    seen = []
    real = weasyprint.HTML

    def capture(*args, string="", **kwargs):
        seen.append(string)
        return real(*args, string=string, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", capture)
    response = as_member.get(f"/o/{world.org.slug}/hats/{world.hat.id}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "<svg" in seen[0] and "Bokade möten" in seen[0]


def test_the_demo_has_numbers_worth_looking_at():
    import io

    from django.core.management import call_command

    from roles import health as hc

    call_command("demo", password="demo-pass-4711", stdout=io.StringIO())
    org = m.Organisation.objects.get(slug="nordisk")
    sara = m.Person.objects.get(org=org, email="saljare@nordisk.example")
    johan = m.Person.objects.get(org=org, email="johan.berg@nordisk.example")
    meetings = m.KPI.objects.get(hat__org=org, name="Kundmöten")
    weeks = rules.last_periods(services.current(org), 26)

    def series(person):
        found = services.person_values(org, [meetings.id], weeks[0], weeks[-1], [person.id])
        return [found.get((meetings.id, person.id, w), (None,))[0] for w in weeks]

    assert rules.trend(series(sara)) == "up" and series(sara)[-1] is None  # hers to enter
    assert rules.trend(series(johan)) == "down"
    checks = {c.key: c for c in hc.health_of(org).checks}
    assert "Kundmöten (Säljare)" in [o.label for o in checks["kpi_reported"].offenders]
    assert [o.label for o in checks["kpi_on_target"].offenders] == ["Bokade möten (Innesäljare)"]


def test_the_scorecard_comes_in_pages_of_fifty_kpis(world, as_admin):
    for i in range(55):
        f.KPIFactory(hat=world.hat, name=f"Mått {i:02}", position=i)
    first = as_admin.get(f"/o/{world.org.slug}/scorecard/").content.decode()
    second = as_admin.get(f"/o/{world.org.slug}/scorecard/?page=2").content.decode()
    assert "Mått 49" in first and "Mått 50" not in first and "?page=2" in first
    assert "Mått 54" in second and "Mått 49" not in second


def test_entering_a_value_takes_a_fixed_number_of_queries(world, kpi, django_assert_num_queries):
    client = client_for(world.member)
    enter(client, world, kpi, "1")  # the session is warm
    # Session, login, caller, KPI, the wearer's assignment locked, the value
    # with last period's, its write, its history, the organisation's stamp (once);
    # and the savepoint pair the test's own transaction turns the view's
    # transaction into.
    with django_assert_num_queries(11):
        enter(client, world, kpi, "2")
    with django_assert_num_queries(11):
        enter(client, world, kpi, "3", was="2")


def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_server_error(as_member, world, kpi):
    for day in ("0001-01-01", "9999-12-31"):
        assert as_member.get(f"/o/{world.org.slug}/me/?week={day}").status_code == 200
        body = enter(as_member, world, kpi, "3", period=datetime.date.fromisoformat(day))
        assert body.status_code == 200 and "not a period" in body.content.decode()
    assert not m.KPIValue.objects.exists()
