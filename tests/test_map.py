"""The CEO's map at /o/<slug>/: org chart, health panel, workload and thresholds."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roles import health as hc
from roles import models as m
from roles.management.commands.demo import build_nordisk

from .conftest import client_for
from .factories import UserFactory

pytestmark = pytest.mark.django_db


def url(name, org):
    return reverse(name, kwargs={"org": org.slug})


def login(org, email):
    person = m.Person.objects.for_org(org).get(email=email)
    person.user = UserFactory(email=email, name=person.name)
    person.save(update_fields=["user"])
    return client_for(person)


@pytest.fixture
def nordisk(db):
    return build_nordisk()


@pytest.fixture
def as_ceo(nordisk):
    return login(nordisk, "vd@nordisk.example")


def health_panel(html):
    match = re.search(r'<section class="map-health".*?</section>', html, re.S)
    return match.group(0) if match else ""


# The map -----------------------------------------------------------------------


def test_map_draws_every_function_hat_and_wearer(nordisk, as_ceo):
    response = as_ceo.get(url("roles:org-map", nordisk))
    assert response.status_code == 200
    html = response.text
    chart = html[html.index('class="orgchart"') :]
    for name in m.Function.objects.for_org(nordisk).values_list("name", flat=True):
        assert name in chart
    for title in m.Hat.objects.for_org(nordisk).values_list("title", flat=True):
        assert title in chart
    assert "Oskar Lund" in chart
    # The vacant hat says who holds it; the function without a hat says so.
    assert "held from above by Erik Johansson" in chart
    assert "No hat yet" in chart and "Add a hat" in chart
    # Collapsible branches without script, and the structure is a nested list.
    assert "<details open" in chart
    assert re.search(r"<ul class=\"orgchart-level is-(row|col)\">\s*<li", chart)
    assert "style=" not in html


def test_map_boxes_link_to_their_pages(world, as_member):
    html = as_member.get(url("roles:org-map", world.org)).text
    for name, kwargs in [
        ("roles:function-detail", {"function_id": world.team.id}),
        ("roles:hat-detail", {"hat_id": world.hat.id}),
        ("roles:person-detail", {"person_id": world.member.id}),
    ]:
        href = reverse(name, kwargs={"org": world.org.slug, **kwargs})
        assert f'href="{href}"' in html


def test_every_planted_gap_shows_with_a_working_link(nordisk, as_ceo):
    html = health_panel(as_ceo.get(url("roles:org-map", nordisk)).text)
    for gap in [
        "Kundservice",
        "Mikael Dahl",
        "Säljoperations",
        "Marknadskoordinator",
        "Reklamationer",
        "Prissättning och rabatter",
        "Arkivera avtal",
        "Sara Nilsson",
        "Oskar Lund",
    ]:
        assert gap in html, gap
    hrefs = set(re.findall(r'<li><a href="([^"]+)"', html))
    assert hrefs, "offenders are links where their pages exist"
    for href in hrefs:
        response = as_ceo.get(href.split("#")[0])
        assert response.status_code == 200, href


def test_fixing_a_gap_raises_the_score_on_the_map(
    nordisk, as_ceo, django_capture_on_commit_callbacks
):
    def score():
        html = as_ceo.get(url("roles:org-map", nordisk)).text
        return int(re.search(r'map-score-number">(\d+) %', html).group(1))

    before = score()
    task = m.Task.objects.for_org(nordisk).get(name="Reklamationer")
    boss = m.Hat.objects.for_org(nordisk).get(title="Försäljningschef")
    # The map is cached under the organisation's stamp, which a committed save
    # raises (the test's transaction never commits: run the hooks it queued).
    with django_capture_on_commit_callbacks(execute=True):
        m.Responsibility.objects.create(org=nordisk, task=task, hat=boss, letter="A")
    assert score() > before


def test_the_map_is_cached_until_the_organisation_changes(nordisk, as_ceo):
    """A second look at the map reads nothing of the organisation; any write
    request in the organisation makes the next look read everything again."""
    map_url = url("roles:org-map", nordisk)
    as_ceo.get(map_url)
    with CaptureQueriesContext(connection) as cached:
        assert as_ceo.get(map_url).status_code == 200
    # The session, the login, the person with the organisation, the bell.
    assert len(cached) <= 4
    as_ceo.post(url("roles:org-settings", nordisk), {})  # any write request raises the stamp
    with CaptureQueriesContext(connection) as fresh:
        as_ceo.get(map_url)
    assert len(fresh) > len(cached)


def test_saving_an_organisation_keeps_the_stamp_raised_meanwhile(nordisk):
    stale = m.Organisation.objects.get(pk=nordisk.pk)
    m.Organisation.touch(nordisk.pk)
    stale.name = "Nordisk Försäljning AB"
    stale.save()
    stale.refresh_from_db()
    assert stale.stamp == nordisk.stamp + 1
    assert stale.name == "Nordisk Försäljning AB"


def test_member_sees_map_and_own_gaps_but_no_health_panel(nordisk):
    sara = login(nordisk, "saljare@nordisk.example")
    html = sara.get(url("roles:org-map", nordisk)).text
    assert "Fältsälj" in html
    assert health_panel(html) == ""
    assert "Reklamationer" not in html
    mine = html[html.index('class="map-mine"') :].split("</section>")[0]
    assert "Säljare, revision 2" in mine
    # Other people's gaps stay off the member's map, and so does "add a hat".
    assert "no purpose" not in html and "not confirmed" not in html
    assert "Add a hat" not in html
    me = reverse("roles:me", kwargs={"org": nordisk.slug})
    assert f'href="{me}"' in mine


def test_manager_sees_the_whole_health_panel(nordisk):
    emma = login(nordisk, "emma.forsberg@nordisk.example")  # manager, heads Marknad only
    html = emma.get(url("roles:org-map", nordisk)).text
    assert "Kundservice" in health_panel(html) and "Oskar Lund" in health_panel(html)
    # Kundservice is not Emma's: no "add a hat" there, its gap links to the function.
    assert "Add a hat" not in html
    kundservice = m.Function.objects.for_org(nordisk).get(name="Kundservice")
    page = reverse(
        "roles:function-detail", kwargs={"org": nordisk.slug, "function_id": kundservice.id}
    )
    assert f'<a href="{page}">Kundservice</a>' in health_panel(html)


def test_print_style_is_landscape():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("hatta.css")).read_text(encoding="utf-8")
    assert "@page map { size: landscape" in css


def test_trend_of_the_last_90_days(nordisk, as_ceo):
    today = timezone.localdate()
    for days, score in [(200, 0.1), (60, 0.5), (30, 0.7), (1, 0.8)]:
        m.HealthSnapshot.objects.create(
            org=nordisk, date=today - datetime.timedelta(days=days), score=score, passing=1, total=2
        )
    html = as_ceo.get(url("roles:org-map", nordisk)).text
    assert "<polyline" in html
    points = re.search(r'points="([^"]+)"', html).group(1).split()
    assert len(points) == 4  # three stored days in range and today's live score
    assert "From 50 %" in html  # the text alternative; the 200-day-old one is left out
    # Coordinates are numbers for SVG, not Swedish decimals ("160,0").
    as_ceo.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    html = as_ceo.get(url("roles:org-map", nordisk)).text
    assert re.search(r'<circle class="trend-dot" cx="160\.0" cy="[\d.]+"', html)


def test_a_single_day_of_trend_is_a_number_not_a_dot(nordisk, as_ceo):
    html = as_ceo.get(url("roles:org-map", nordisk)).text
    assert "<polyline" not in html and "trend-dot" not in html
    assert "the first day measured" in html


@pytest.mark.parametrize("name", ["roles:org-map", "roles:workload", "roles:org-settings"])
def test_outsider_gets_404(world, as_outsider, name):
    assert as_outsider.get(url(name, world.org)).status_code == 404


@pytest.mark.parametrize("name", ["roles:org-map", "roles:workload", "roles:org-settings"])
def test_anonymous_is_sent_to_login(world, client, name):
    response = client.get(url(name, world.org))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# Workload ----------------------------------------------------------------------


def test_workload_sorted_by_load_with_overload_marked(nordisk, as_ceo):
    html = as_ceo.get(url("roles:workload", nordisk)).text
    rows = re.findall(
        r"<tr class=\"([^\"]*)\">\s*<th scope=\"row\"[^>]*>(?:<a[^>]*>)?([^<]+)", html
    )
    assert rows[0] == ("is-overloaded", "Oskar Lund")
    assert "Overloaded" in html  # a text marker, not colour alone
    assert "120 %" in html


def test_workload_access(world, as_member, as_manager):
    assert as_member.get(url("roles:workload", world.org)).status_code == 403
    assert as_manager.get(url("roles:workload", world.org)).status_code == 200


# Settings ----------------------------------------------------------------------


def test_settings_only_for_admins(world, as_member, as_manager, as_admin):
    target = url("roles:org-settings", world.org)
    assert as_member.get(target).status_code == 403
    assert as_manager.get(target).status_code == 403
    assert as_manager.post(target, {"max_accountable": 1}).status_code == 403
    assert as_admin.get(target).status_code == 200


def test_admin_changes_thresholds(world, as_admin):
    target = url("roles:org-settings", world.org)
    response = as_admin.post(
        target,
        {
            "max_accountable": 3,
            "max_hats": 2,
            "overload_share": 120,
            "week_ends": 4,
            "kpi_grace_days": 0,
            "kpi_off_target_periods": 2,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == target
    world.org.refresh_from_db()
    assert (world.org.max_accountable, world.org.max_hats, world.org.overload_share) == (3, 2, 120)
    assert (world.org.week_ends, world.org.kpi_grace_days, world.org.kpi_off_target_periods) == (
        4,
        0,
        2,
    )


def test_admin_sets_the_organisations_language(world, as_admin):
    target = url("roles:org-settings", world.org)
    assert 'name="language"' in as_admin.get(target).text
    data = {"max_accountable": 3, "max_hats": 2, "overload_share": 120, "week_ends": 4}
    data |= {"kpi_grace_days": 0, "kpi_off_target_periods": 2}
    as_admin.post(target, {**data, "language": "en"})
    world.org.refresh_from_db()
    assert world.org.language == "en"
    as_admin.post(target, data)  # not sent: kept
    world.org.refresh_from_db()
    assert world.org.language == "en"
    as_admin.post(target, {**data, "language": "xx"})
    world.org.refresh_from_db()
    assert world.org.language == "en"


@pytest.mark.parametrize(
    "data",
    [
        {"max_accountable": 0, "max_hats": 2, "overload_share": 100},
        {"max_accountable": 3, "max_hats": 100000, "overload_share": 100},
        {"max_accountable": 3, "max_hats": 2, "overload_share": "lots"},
        {"max_accountable": 3, "max_hats": 2},
    ],
)
def test_bad_thresholds_are_rejected(world, as_admin, data):
    response = as_admin.post(url("roles:org-settings", world.org), data)
    assert response.status_code == 200
    assert "invalid-feedback" in response.text or "is-invalid" in response.text
    world.org.refresh_from_db()
    assert (world.org.max_accountable, world.org.max_hats, world.org.overload_share) == (12, 4, 100)


def test_threshold_change_shows_on_the_map(world, as_admin):
    world.org.max_hats = 1
    world.org.save()
    m.Assignment.objects.create(org=world.org, hat=world.other_hat, person=world.member)
    html = health_panel(as_admin.get(url("roles:org-map", world.org)).text)
    assert world.member.name in html and "wears 2 hats" in html
    assert hc.health_of(world.org).score < 1
