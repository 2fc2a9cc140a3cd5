"""Query ceilings: the function page, the people page, the person view and My hats
run the same number of queries for a small and a large organisation."""

import pytest
from django.urls import reverse

from roles import models as m
from roles.services import hats as hat_services

pytestmark = pytest.mark.django_db

CEILINGS = {"function": 12, "people": 12, "person": 10, "me": 12}


def grow(world, functions=40, hats=120, people=300, tasks=400):
    """Make the world's organisation large, fast (bulk_create). The world's member
    and manager end up wearing many hats with many tasks and revisions."""
    org = world.org
    fs = m.Function.objects.bulk_create(
        [
            m.Function(org=org, name=f"Funktion {i}", parent=world.team if i < 10 else world.root)
            for i in range(functions)
        ]
    )
    for i, fn in enumerate(fs):
        if i >= 10:
            fn.parent = fs[i % 10]
    m.Function.objects.bulk_update(fs[10:], ["parent"])
    hs = m.Hat.objects.bulk_create(
        [
            m.Hat(org=org, function=world.team if i < 20 else fs[i % functions], title=f"Hatt {i}")
            for i in range(hats)
        ]
    )
    ps = m.Person.objects.bulk_create(
        [m.Person(org=org, name=f"Person {i:03}", email=f"p{i}@example.com") for i in range(people)]
    )
    areas = m.Area.objects.bulk_create(
        [m.Area(org=org, name=f"Område {i}", position=i) for i in range(20)]
    )
    ts = m.Task.objects.bulk_create(
        [m.Task(org=org, area=areas[i % 20], name=f"Uppgift {i}", position=i) for i in range(tasks)]
    )
    resp = []
    for i, t in enumerate(ts):
        resp.append(m.Responsibility(org=org, task=t, hat=hs[i % hats], letter="A"))
        resp.append(m.Responsibility(org=org, task=t, hat=hs[(i + 1) % hats], letter="R"))
        resp.append(m.Responsibility(org=org, task=t, hat=hs[(i + 2) % hats], letter="C"))
        resp.append(m.Responsibility(org=org, task=t, hat=world.hat, letter="I"))
    m.Responsibility.objects.bulk_create(resp)
    assignments = [
        m.Assignment(org=org, hat=hs[i % hats], person=p, share=60) for i, p in enumerate(ps)
    ]
    assignments += [m.Assignment(org=org, hat=h, person=world.member, share=5) for h in hs[:20]]
    m.Assignment.objects.bulk_create(assignments)
    for hat in hs[:20]:
        hat_services.publish_hat(hat, world.manager, "one")
        hat_services.acknowledge(world.member, hat)
        m.Hat.objects.filter(pk=hat.pk).update(purpose="Ändrat syfte")
        hat.refresh_from_db()
        hat_services.publish_hat(hat, world.manager, "two")
    for p in ps[:100]:
        hat_services.acknowledge(p, hs[ps.index(p) % hats])


def pages(world):
    slug = world.org.slug
    return {
        "function": reverse(
            "roles:function-detail", kwargs={"org": slug, "function_id": world.team.id}
        ),
        "people": reverse("roles:people", kwargs={"org": slug}),
        "person": reverse(
            "roles:person-detail", kwargs={"org": slug, "person_id": world.member.id}
        ),
        "me": reverse("roles:me", kwargs={"org": slug}),
    }


@pytest.fixture
def count_queries(django_assert_max_num_queries):
    def count(client, path, ceiling):
        with django_assert_max_num_queries(ceiling) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    return count


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("who", ["as_member", "as_manager", "as_admin"])
def test_query_ceilings(world, size, who, request, record_property, count_queries):
    hat_services.publish_hat(world.hat, world.manager, "first")
    if size == "large":
        grow(world)
    client = request.getfixturevalue(who)
    counts = {}
    for name, path in pages(world).items():
        counts[name], response = count_queries(client, path, CEILINGS[name])
    record_property("figure", f"{size} {who} queries={counts}")


def test_large_pages_show_what_they_should(world, as_manager, count_queries):
    grow(world)
    paths = pages(world)
    # Paginated: every page runs the same queries, and someone is on one of them.
    texts = []
    for number in range(1, 9):
        _, response = count_queries(
            as_manager, f"{paths['people']}?page={number}", CEILINGS["people"]
        )
        texts.append(response.text)
    assert any("Person 299" in text for text in texts)
    _, response = count_queries(as_manager, paths["person"], CEILINGS["person"])
    assert "Uppgift 399" in response.text  # informed of every task through Innesäljare
    _, response = count_queries(as_manager, paths["function"], CEILINGS["function"])
    assert "Hatt 19" in response.text and "Funktion 9" in response.text


def test_my_hats_ceiling_for_a_wearer_of_many_hats(world, as_member, count_queries):
    grow(world)
    _, response = count_queries(as_member, pages(world)["me"], CEILINGS["me"])
    # 20 hats ask again; Innesäljare is not published, so it asks nothing yet.
    assert response.text.count("I have read my hat") == 20
    assert "Not published yet" in response.text
    assert response.text.count("Revision 2 is new") == 20
