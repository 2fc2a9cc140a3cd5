"""The map stays light for large organisations: at most ten offenders per check
with "and N more", a chart cut to its top levels with links below, and at most
twelve wearers named per hat."""

import re

import pytest
from django.urls import reverse

from roles import models as m
from roles.health import health_of
from roles.views.map import CHART_BOXES, OFFENDER_LIMIT, WEARER_LIMIT, visible_depth

pytestmark = pytest.mark.django_db


def map_html(client, world):
    return client.get(reverse("roles:org-map", kwargs={"org": world.org.slug})).text


def chart_of(html):
    return html[html.index('class="orgchart"') :]


def panel_of(html):
    return html[html.index('class="map-health"') : html.index('class="map-chart"')]


def balanced(html, tag):
    return html.count(f"<{tag} ") + html.count(f"<{tag}>") == html.count(f"</{tag}>")


def test_visible_depth_draws_everything_that_fits_and_at_least_two_levels():
    assert visible_depth([0, 1, 1, 2]) == 2
    assert visible_depth([]) == 0
    wide = [0] + [1] * 10 + [2] * 100
    assert visible_depth(wide, budget=30) == 1
    deep = [0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2] + [3] * 27 + [4] * 81
    assert visible_depth(deep, budget=CHART_BOXES) == 2
    assert visible_depth([0] + [1] * 50, budget=30) == 1  # never less than the top and its children


def test_a_check_lists_ten_offenders_then_says_how_many_more(world, as_admin):
    m.Function.objects.bulk_create(
        m.Function(org=world.org, name=f"Tom funktion {i:02}", parent=world.root) for i in range(15)
    )
    panel = panel_of(map_html(as_admin, world))
    check = panel[panel.index('id="check-function_hats"') :].split("</li>\n    \n")[0]
    offenders = check[check.index('class="offender-list"') :]
    assert offenders.count("<li>") == OFFENDER_LIMIT
    assert "Tom funktion 00" in offenders and "Tom funktion 14" not in offenders
    # The count is still the whole number (the world has functions without a hat too).
    failing = next(c for c in health_of(world.org).checks if c.key == "function_hats").failing
    assert failing >= 15
    assert f"… and {failing - OFFENDER_LIMIT} more." in check
    assert f"{failing} to fix" in check


def test_the_full_list_is_linked_where_a_page_has_it(world, as_admin):
    people = m.Person.objects.bulk_create(
        m.Person(org=world.org, name=f"Utan hatt {i:02}", email=f"u{i}@example.com")
        for i in range(12)
    )
    assert people
    panel = panel_of(map_html(as_admin, world))
    check = panel[panel.index('id="check-person_hats"') :].split("</li>\n    \n")[0]
    people_url = reverse("roles:people", kwargs={"org": world.org.slug})
    assert f'<a href="{people_url}">See the full list' in check


def test_a_deep_organisation_is_cut_to_its_top_levels_with_links_below(world, as_admin):
    below = m.Function.objects.bulk_create(
        m.Function(org=world.org, name=f"Nivå {i:02}", parent=world.team)
        for i in range(CHART_BOXES + 5)
    )
    html = map_html(as_admin, world)
    chart = chart_of(html)
    assert "open a function to see the functions under it" in html
    # The world's root, sales and team show; the level below is a link and a count.
    assert "Nivå 00" not in chart
    team_url = reverse(
        "roles:function-detail", kwargs={"org": world.org.slug, "function_id": world.team.id}
    )
    assert f'<a href="{team_url}">{len(below)} functions below' in chart
    assert all(balanced(chart, tag) for tag in ("li", "ul", "details"))


def test_a_small_organisation_draws_every_level_with_balanced_markup(world, as_admin):
    for i in range(3):  # a deeper branch, to close several levels at once
        m.Function.objects.create(org=world.org, name=f"Djup {i}", parent=world.team)
    chart = chart_of(map_html(as_admin, world))
    assert all(balanced(chart, tag) for tag in ("li", "ul", "details"))
    assert "Djup 2" in chart and "functions below" not in chart


def test_a_hat_names_twelve_wearers_then_says_how_many_more(world, as_admin):
    people = m.Person.objects.bulk_create(
        m.Person(org=world.org, name=f"Bärare {i:02}", email=f"b{i}@example.com") for i in range(15)
    )
    m.Assignment.objects.bulk_create(
        m.Assignment(org=world.org, hat=world.hat, person=p, share=5) for p in people
    )
    chart = chart_of(map_html(as_admin, world))
    # The world's member wears it too: sixteen wearers, twelve named.
    assert len(re.findall(r"Bärare \d\d", chart)) == WEARER_LIMIT - 1
    assert "and 4 more" in chart


def test_a_hat_lists_its_wearers_by_name_escaped_with_their_shares(world, as_admin):
    m.Person.objects.filter(pk=world.member.pk).update(name="Zäta <b>&</b> co")
    anna = m.Person.objects.create(org=world.org, name="Anna", email="anna@example.com")
    m.Assignment.objects.create(org=world.org, hat=world.hat, person=anna)
    m.Assignment.objects.filter(hat=world.hat, person=world.member).update(share=40)
    chart = chart_of(map_html(as_admin, world))
    anna_href = reverse("roles:person-detail", kwargs={"org": world.org.slug, "person_id": anna.pk})
    member_href = reverse(
        "roles:person-detail", kwargs={"org": world.org.slug, "person_id": world.member.pk}
    )
    assert (
        f'<a href="{anna_href}">Anna</a>, '
        f'<a href="{member_href}">Zäta &lt;b&gt;&amp;&lt;/b&gt; co</a> (40 %)'
    ) in chart
    assert "<b>&" not in chart


def test_the_limited_checks_of_the_map_agree_with_the_full_ones(world, as_admin):
    """The map evaluates with a limit; its counts are the full evaluation's,
    and what it leaves out is counted in "and N more"."""
    # More offenders than the map lists: tasks without letters (listed under
    # both "no A" and "no R") and unconfirmed wearers of a published hat.
    m.Task.objects.bulk_create(
        [m.Task(org=world.org, name=f"Tom {i:02}", position=i) for i in range(OFFENDER_LIMIT + 3)]
    )
    world.hat.revision = 1
    world.hat.save(update_fields=["revision"])
    people = m.Person.objects.bulk_create(
        [
            m.Person(org=world.org, name=f"Bärare {i:02}", email=f"b{i}@example.com")
            for i in range(OFFENDER_LIMIT + 2)
        ]
    )
    m.Assignment.objects.bulk_create(
        [m.Assignment(org=world.org, hat=world.hat, person=p) for p in people]
    )
    full = health_of(world.org)
    html = map_html(as_admin, world)
    cut = 0
    for check in full.checks:
        start = html.index(f'id="check-{check.key}"')
        end = html.find('<li class="health-check', start)
        row = html[start : end if end != -1 else html.index("</ol>", start)]
        assert f"{check.passing} of {check.total}" in row, check.key
        listed = row.count("<li>")
        assert listed <= OFFENDER_LIMIT * max(1, len(check.grouped()))
        if len(check.offenders) > listed:
            cut += 1
            assert f"… and {len(check.offenders) - listed} more." in row, check.key
        else:
            assert "more." not in row, check.key
    assert cut >= 2  # task complete and hat confirmed were cut
