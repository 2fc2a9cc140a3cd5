"""The export's filters read the URL as the matrix page does: values the page
ignores are ignored, and no value gives a server error."""

import csv
import io

import pytest
from django.urls import reverse

from . import factories as f

BAD = ["²", "99999999999999999999", "-1", "0", "1e3", " ", "x"]


def url(name, org, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse(f"roles:{name}", kwargs={"org": org.slug}) + (f"?{query}" if query else "")


def titles(response):
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = next(r for r in rows if r and r[0] == "Task")
    return header[1:-1]


@pytest.mark.parametrize("kind", ["matrix-csv", "matrix-xlsx"])
@pytest.mark.parametrize("key", ["function", "area", "person"])
@pytest.mark.parametrize("value", BAD)
def test_odd_filter_values_are_ignored(world, as_member, kind, key, value):
    from urllib.parse import quote  # noqa: PLC0415

    plain = as_member.get(url(kind, world.org))
    response = as_member.get(url(kind, world.org, **{key: quote(value)}))
    assert response.status_code == 200
    if kind == "matrix-csv":
        assert response.content == plain.content


@pytest.mark.parametrize("key", ["function", "area", "person"])
def test_ids_of_another_org_are_ignored(world, other_world, as_member, key):
    plain = as_member.get(url("matrix-csv", world.org)).content
    foreign = {
        "function": other_world.sales.id,
        "area": other_world.area.id,
        "person": other_world.member.id,
    }[key]
    assert as_member.get(url("matrix-csv", world.org, **{key: foreign})).content == plain


def test_an_inactive_person_is_ignored_like_on_the_page(world, as_member):
    plain = as_member.get(url("matrix-csv", world.org)).content
    gone = f.PersonFactory(org=world.org, name="Gone")
    f.AssignmentFactory(org=world.org, hat=world.other_hat, person=gone, share=100)
    assert titles(as_member.get(url("matrix-csv", world.org, person=gone.id))) == ["Ekonomichef"]
    gone.active = False
    gone.save()
    assert as_member.get(url("matrix-csv", world.org, person=gone.id)).content == plain
    page = as_member.get(url("matrix", world.org, person=gone.id))
    assert page.context["m"].filters.person is None


def test_a_person_without_hats_gives_no_columns_like_on_the_page(world, as_member):
    idle = f.PersonFactory(org=world.org, name="Idle")
    assert titles(as_member.get(url("matrix-csv", world.org, person=idle.id))) == []
