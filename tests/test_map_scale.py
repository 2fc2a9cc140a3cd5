"""The map and its health panel run a fixed number of queries, whatever the size."""

import time

import pytest
from django.urls import reverse

from roles import models as m

from .conftest import client_for, make_person

pytestmark = pytest.mark.django_db

# Session, login, the caller's person, ten health queries, the trend, and a margin.
CEILING = 15


def build_large_org(functions=150, hats=600, people=2000, tasks=4000):
    """A generated organisation, written with bulk_create: a root, ten sections,
    the rest below them; hats spread over all but the last five functions; every
    person but five wears a hat, every tenth a second; most tasks have an A and an R."""
    org = m.Organisation.objects.create(name="Stor AB", slug="stor")
    oid = org.id
    admin = make_person(org, "admin", "stor-admin@example.com", "Stor Admin")
    staff = m.Person.objects.bulk_create(
        m.Person(org_id=oid, name=f"Person {i:04}", email=f"p{i}@stor.example")
        for i in range(people - 1)
    )
    person_ids = [admin.id] + [p.id for p in staff]
    root = m.Function.objects.create(org=org, name="Ledning", head=admin)
    sections = m.Function.objects.bulk_create(
        m.Function(org_id=oid, name=f"Sektion {i}", parent_id=root.id, head_id=person_ids[i + 1])
        for i in range(10)
    )
    leaves = m.Function.objects.bulk_create(
        m.Function(
            org_id=oid,
            name=f"Funktion {i}",
            parent_id=sections[i % 10].id,
            head_id=person_ids[11 + i] if i % 7 else None,
            position=i,
        )
        for i in range(functions - 11)
    )
    function_ids = [root.id] + [f.id for f in sections] + [f.id for f in leaves]
    hatted = function_ids[:-5]  # the last five functions have no hat
    hat_ids = [
        h.id
        for h in m.Hat.objects.bulk_create(
            m.Hat(
                org_id=oid,
                function_id=hatted[i % len(hatted)],
                title=f"Hatt {i}",
                purpose="" if i % 50 == 0 else "Att göra nytta.",
                revision=1,
            )
            for i in range(hats)
        )
    ]
    revision_of = {
        r.hat_id: r.id
        for r in m.HatRevision.objects.bulk_create(
            m.HatRevision(org_id=oid, hat_id=h, number=1) for h in hat_ids
        )
    }
    worn = [(hat_ids[i % (hats - 20)], p, 100) for i, p in enumerate(person_ids[:-5])]
    worn += [(hat_ids[(i + 7) % hats], p, 30) for i, p in enumerate(person_ids[::10])]
    m.Assignment.objects.bulk_create(
        m.Assignment(org_id=oid, hat_id=h, person_id=p, share=share) for h, p, share in worn
    )
    m.Acknowledgement.objects.bulk_create(
        m.Acknowledgement(org_id=oid, person_id=p, hat_id=h, revision_id=revision_of[h])
        for h, p, _share in worn[::2]
    )
    areas = m.Area.objects.bulk_create(m.Area(org_id=oid, name=f"Område {i}") for i in range(20))
    task_ids = [
        t.id
        for t in m.Task.objects.bulk_create(
            m.Task(org_id=oid, area_id=areas[i % 20].id, name=f"Uppgift {i}", position=i)
            for i in range(tasks)
        )
    ]
    cells = []
    for i, t in enumerate(task_ids):
        letters = []
        if i % 40:
            letters.append(("A", hat_ids[i % hats]))
        if i % 33:
            letters.append(("R", hat_ids[(i * 7 + 3) % hats]))
        cells += [
            m.Responsibility(org_id=oid, task_id=t, hat_id=hat, letter=letter)
            for letter, hat in letters
        ]
    m.Responsibility.objects.bulk_create(cells)
    return org, admin


def map_queries(client, org, django_assert_max_num_queries):
    target = reverse("roles:org-map", kwargs={"org": org.slug})
    with django_assert_max_num_queries(CEILING) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_map_query_ceiling_on_a_small_org(
    world, as_admin, as_member, django_assert_max_num_queries
):
    map_queries(as_admin, world.org, django_assert_max_num_queries)
    map_queries(as_member, world.org, django_assert_max_num_queries)


def test_map_query_ceiling_and_speed_on_a_large_org(django_assert_max_num_queries, record_property):
    started = time.process_time()
    org, admin = build_large_org()
    built = time.process_time() - started
    client = client_for(admin)
    started = time.process_time()
    response, count = map_queries(client, org, django_assert_max_num_queries)
    took = time.process_time() - started
    record_property(
        "figure",
        f"map of 150 functions, 2000 people: {count} queries, {took:.2f} s "
        f"(built in {built:.1f} s)",
    )
    html = response.text
    chart = html[html.index('class="orgchart"') :]
    # A large chart draws its top levels; each cut branch links to its function page.
    assert "Ledning" in chart and "Sektion 9" in chart and "Funktion 138" not in chart
    section = m.Function.objects.get(org=org, name="Sektion 0")
    assert f'href="/o/stor/functions/{section.id}/">14 functions below' in chart
    # Each check lists at most ten offenders, then says how many more and where they are.
    panel = html[html.index('class="map-health"') : html.index('class="map-chart"')]
    assert panel.count("<li><a ") <= 10 * 7
    # Tasks: 100 without A (1 in 40) and 122 without R (1 in 33) are listed, ten shown.
    assert "and 212 more." in panel
    assert "?problems=1" in panel
    assert len(html) < 150_000
    # CPU time of this process: the view runs here, and other work on the machine does not count.
    assert took < 5, f"map took {took:.1f} s of CPU (building took {built:.1f} s)"
    workload = client.get(reverse("roles:workload", kwargs={"org": org.slug}))
    assert workload.status_code == 200


def test_a_member_map_reads_no_tasks_or_letters(world, as_member, as_admin):
    """Members see the chart and their own gaps, not the checks: their map
    skips the two largest tables. The admin's reads them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    target = reverse("roles:org-map", kwargs={"org": world.org.slug})
    for client, reads_tasks in ((as_member, False), (as_admin, True)):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(target).status_code == 200
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert ('"roles_responsibility"' in sql) is reads_tasks
        assert ('FROM "roles_task"' in sql) is reads_tasks
