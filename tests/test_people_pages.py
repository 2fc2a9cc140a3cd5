"""The people page is paginated: fifty a page, the function filter kept in the
page links, the same queries on every page, and totals over everyone."""

import re

import pytest
from django.urls import reverse

from roles import models as m

pytestmark = pytest.mark.django_db


def people_url(world, query=""):
    return reverse("roles:people", kwargs={"org": world.org.slug}) + query


def add_people(world, n, hat=None, share=None):
    people = m.Person.objects.bulk_create(
        m.Person(org=world.org, name=f"Zeta {i:03}", email=f"z{i}@example.com") for i in range(n)
    )
    if hat is not None:
        m.Assignment.objects.bulk_create(
            m.Assignment(org=world.org, hat=hat, person=p, share=share) for p in people
        )
    return people


def names_on(html):
    return re.findall(r">(Zeta \d{3})</a>", html)


def test_fifty_a_page_with_the_total_and_labelled_page_links(world, as_admin):
    add_people(world, 120)
    total = m.Person.objects.for_org(world.org).count()
    first = as_admin.get(people_url(world)).text
    assert f"{total} people" in first
    rows = re.findall(r'<th scope="row"', first)
    assert len(rows) == 50
    assert '<nav aria-label="Pages of people">' in first
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in first
    assert 'href="?page=2"' in first and 'rel="next"' in first
    last = as_admin.get(people_url(world, "?page=3")).text
    assert len(re.findall(r'<th scope="row"', last)) == total - 100
    assert "Zeta 119" in last and "Zeta 119" not in first
    assert 'rel="prev"' in last and 'rel="next"' not in last
    # Nobody is shown twice, nobody is left out.
    seen = names_on(first) + names_on(as_admin.get(people_url(world, "?page=2")).text)
    seen += names_on(last)
    assert sorted(seen) == [f"Zeta {i:03}" for i in range(120)]


def test_a_page_out_of_range_or_not_a_number_shows_a_real_page(world, as_admin):
    add_people(world, 60)
    assert "Zeta 059" in as_admin.get(people_url(world, "?page=99")).text
    response = as_admin.get(people_url(world, "?page=x"))
    assert response.status_code == 200 and "Zeta 000" in response.text


def test_the_function_filter_stays_in_the_page_links(world, as_admin):
    add_people(world, 70, hat=world.hat, share=10)
    html = as_admin.get(people_url(world, f"?function={world.team.id}")).text
    assert f'href="?function={world.team.id}&amp;page=2"' in html
    page2 = as_admin.get(people_url(world, f"?function={world.team.id}&page=2")).text
    assert names_on(page2) and "Zeta 069" in page2
    # Outside the team: nobody of the seventy.
    assert not names_on(as_admin.get(people_url(world, f"?function={world.other.id}")).text)


def test_flags_count_every_hat_even_on_a_later_page(world, as_admin):
    people = add_people(world, 60, hat=world.hat, share=80)
    m.Assignment.objects.create(org=world.org, hat=world.other_hat, person=people[-1], share=40)
    html = as_admin.get(people_url(world, "?page=2")).text
    row = html[html.index("Zeta 059") :].split("</tr>")[0]
    assert "120 %" in row and "over 100 %" in row


def test_every_page_runs_the_same_queries(world, as_manager, django_assert_max_num_queries):
    add_people(world, 130, hat=world.hat, share=10)
    counts = []
    for query in ("", "?page=2", "?page=3"):
        with django_assert_max_num_queries(13) as ctx:
            assert as_manager.get(people_url(world, query)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2]
    # The filter adds the function tree and its wearers, on any page.
    filtered = []
    for number in (1, 2):
        query = f"?function={world.team.id}&page={number}"
        with django_assert_max_num_queries(15) as ctx:
            assert as_manager.get(people_url(world, query)).status_code == 200
        filtered.append(len(ctx.captured_queries))
    assert filtered[0] == filtered[1]
