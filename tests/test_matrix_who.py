"""In a large organisation the matrix's person filter is a text field: a name or
an email, resolved on the server, instead of a <select> of every wearer."""

import re

import pytest

from roles import models as m
from roles.matrix.filters import PERSON_SELECT_LIMIT, WHO_SHOWN

URL = "/o/alfa/matrix/"


def crowd(world, count, start=0):
    """`count` more active people, each wearing the hat `Crowd`."""
    hat = m.Hat.objects.for_org(world.org).filter(title="Crowd").first() or m.Hat.objects.create(
        org=world.org, function=world.other, title="Crowd"
    )
    people = m.Person.objects.bulk_create(
        [
            m.Person(org=world.org, name=f"Crowd Person {i:05}", email=f"crowd{i}@example.com")
            for i in range(start, start + count)
        ]
    )
    m.Assignment.objects.bulk_create(
        [m.Assignment(org=world.org, hat=hat, person=p) for p in people]
    )
    return people


def filter_form(html):
    return re.search(r'<form method="get".*?</form>', html, re.S).group(0)


def test_small_organisation_keeps_the_select(world, as_admin):
    html = as_admin.get(URL).content.decode()
    assert 'id="f-person"' in html and 'name="who"' not in html


def test_large_organisation_gets_a_labelled_text_field_that_does_not_grow(world, as_admin):
    crowd(world, PERSON_SELECT_LIMIT + 1)
    first = as_admin.get(URL).content.decode()
    form = filter_form(first)
    assert '<select id="f-person"' not in first
    assert 'type="search"' in form and 'name="who"' in form
    assert re.search(r'<label for="f-who"[^>]*>Person \(name or email\)</label>', form)
    crowd(world, 300, start=1000)
    second = as_admin.get(URL).content.decode()
    assert filter_form(second) == form
    assert second.count("<option") == first.count("<option")


@pytest.fixture
def large(world):
    people = crowd(world, PERSON_SELECT_LIMIT + 5)
    world.member.name = "Märta Åberg"
    world.member.save()
    return people


def test_who_resolves_an_email_in_any_case(world, large, as_admin):
    response = as_admin.get(URL, {"who": "  A-MEMBER@Example.com "})
    data = response.context["m"]
    assert data.filters.person == world.member.id
    assert [c.hat.id for c in data.columns] == [world.hat.id]
    assert 'value="Märta Åberg"' in response.content.decode()


def test_who_resolves_a_unique_part_of_a_name(world, large, as_admin):
    response = as_admin.get(URL, {"who": "åBERG", "problems": "1"})
    data = response.context["m"]
    assert data.filters.person == world.member.id and data.filters.problems
    html = response.content.decode()
    assert 'value="Märta Åberg"' in html and "be more specific" not in html


def test_person_id_still_works_and_shows_the_name(world, large, as_admin):
    response = as_admin.get(URL, {"person": world.member.id})
    assert response.context["m"].filters.person == world.member.id
    assert 'name="who" value="Märta Åberg"' in response.content.decode()


def test_ambiguous_who_lists_some_matches_as_links(world, large, as_admin):
    response = as_admin.get(URL, {"who": "crowd person", "area": "none"})
    data = response.context["m"]
    assert data.filters.person is None
    assert data.who_count == PERSON_SELECT_LIMIT + 5
    html = response.content.decode()
    assert f"{PERSON_SELECT_LIMIT + 5} people match — be more specific." in html
    links = re.findall(r'<a href="\?([^"]*person=\d+[^"]*)">Crowd Person', html)
    assert len(links) == WHO_SHOWN
    assert all("area=none" in link for link in links)
    assert f"person={large[0].id}" in links[0]
    assert 'value="crowd person"' in html


def test_a_chosen_person_stays_chosen_when_another_shares_the_name(world, large, as_admin):
    twin = large[0]
    twin.name = "Märta Åberg"
    twin.save()
    html = as_admin.get(URL, {"person": world.member.id}).content.decode()
    assert f'<input type="hidden" name="person" value="{world.member.id}">' in html
    data = as_admin.get(URL, {"who": "Märta Åberg", "person": world.member.id}).context["m"]
    assert data.filters.person == world.member.id
    data = as_admin.get(URL, {"who": "märta åberg"}).context["m"]
    assert data.filters.person is None and data.who_count == 2


def test_who_that_names_no_wearer_says_so(world, large, as_admin):
    response = as_admin.get(URL, {"who": "nobody here", "person": world.member.id})
    assert response.context["m"].filters.person is None
    assert "No one wearing a hat matches “nobody here”." in response.content.decode()


def test_empty_who_clears_the_person(world, large, as_admin):
    response = as_admin.get(URL, {"who": "", "person": world.member.id})
    assert response.context["m"].filters.person is None
    assert "No one wearing" not in response.content.decode()


def test_who_does_not_reach_other_organisations(world, other_world, large, as_admin):
    response = as_admin.get(URL, {"who": other_world.member.email})
    assert response.context["m"].filters.person is None


@pytest.mark.parametrize(
    "who", ["\x00", "a\x00member", "x" * 1_000_000, "²", "%", "_", "' OR 1=1 --", "\u200b\t\n"]
)
def test_hostile_who_never_fails(world, large, as_admin, who):
    response = as_admin.get(URL, {"who": who})
    assert response.status_code == 200
    assert response.context["m"].filters.person is None


def test_who_that_is_not_utf8_never_fails(world, large, as_admin):
    response = as_admin.get(URL + "?who=%ED%A0%80%FF%00")
    assert response.status_code == 200


def test_who_costs_no_more_queries(world, large, as_admin, django_assert_max_num_queries):
    from .test_matrix_speed import PAGE_CEILING

    with django_assert_max_num_queries(PAGE_CEILING):
        as_admin.get(URL, {"who": "åberg"})
    with django_assert_max_num_queries(PAGE_CEILING):
        as_admin.get(URL, {"who": "crowd"})
