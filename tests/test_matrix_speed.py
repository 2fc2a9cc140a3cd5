"""The matrix page, a cell update and the task page run a fixed number of
queries whatever the size of the organisation."""

import pytest
from django.core.management import call_command

from roles import models as m
from roles.matrix import MAX_COLUMNS, PER_PAGE

from .conftest import build_world, client_for

PAGE_CEILING = 11  # session, login, person, the managed functions, and the builder's 7
CELL_CEILING = 16  # session, login, person, hat, functions; lock + row; the write (set_cell)
TASK_CEILING = 6  # session, login, person, task, its cells, its history


def grow(world, tasks=400, hats=120):
    """A large organisation built with bulk_create: functions in a tree, hats with
    wearers, areas, tasks and about five letters a task."""
    org = world.org
    functions = m.Function.objects.bulk_create(
        [m.Function(org=org, name=f"Funktion {i}", parent=world.sales) for i in range(12)]
    )
    new_hats = m.Hat.objects.bulk_create(
        [
            m.Hat(org=org, function=functions[i % len(functions)], title=f"Hatt {i}")
            for i in range(hats - 2)
        ]
    )
    people = m.Person.objects.bulk_create(
        [m.Person(org=org, name=f"Person {i}", email=f"p{i}@example.com") for i in range(hats)]
    )
    m.Assignment.objects.bulk_create(
        [m.Assignment(org=org, hat=h, person=p) for h, p in zip(new_hats, people, strict=False)]
    )
    areas = m.Area.objects.bulk_create(
        [m.Area(org=org, name=f"Område {i}", position=i + 1) for i in range(8)]
    )
    new_tasks = m.Task.objects.bulk_create(
        [
            m.Task(org=org, area=areas[i % len(areas)], name=f"Uppgift {i}", position=i)
            for i in range(tasks - 1)
        ]
    )
    letters = []
    for i, task in enumerate(new_tasks):
        for offset, letter in enumerate("ARRCI"):
            letters.append(
                m.Responsibility(
                    org=org,
                    task=task,
                    hat=new_hats[(i + offset * 7) % len(new_hats)],
                    letter=letter,
                )
            )
    m.Responsibility.objects.bulk_create(letters, ignore_conflicts=True)
    for i, task in enumerate(new_tasks[:50]):
        m.CellChange.objects.create(
            org=org, task=task, hat=new_hats[i % len(new_hats)], old="", new="R"
        )
    assert m.Task.objects.for_org(org).count() == tasks
    assert m.Hat.objects.for_org(org).count() == hats


@pytest.fixture(params=["small", "large"])
def sized(request, world):
    if request.param == "large":
        grow(world)
    return world


def test_matrix_page_queries_do_not_grow(sized, django_assert_max_num_queries):
    manager = client_for(sized.manager)
    admin = client_for(sized.admin)
    with django_assert_max_num_queries(PAGE_CEILING):
        response = manager.get("/o/alfa/matrix/")
    assert response.status_code == 200
    data = response.context["m"]
    assert data.rows_shown <= PER_PAGE and len(data.columns) <= MAX_COLUMNS
    for query in ({"problems": "1"}, {"function": sized.sales.id}, {"person": sized.member.id}):
        with django_assert_max_num_queries(PAGE_CEILING):
            assert admin.get("/o/alfa/matrix/", query).status_code == 200


def test_cell_update_queries_do_not_grow(sized, django_assert_max_num_queries):
    manager = client_for(sized.manager)
    data = {"task": sized.task.id, "hat": sized.hat.id, "letters": "A/R", "expected": "R"}
    with django_assert_max_num_queries(CELL_CEILING):
        response = manager.post("/o/alfa/matrix/cell/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "A moved" in response["HX-Trigger"]
    with django_assert_max_num_queries(CELL_CEILING):
        manager.post(
            "/o/alfa/matrix/cell/",
            {**data, "letters": "C", "expected": "A/R"},
            HTTP_HX_REQUEST="true",
        )


def test_task_page_queries_do_not_grow(sized, django_assert_max_num_queries):
    client = client_for(sized.member)
    task = m.Task.objects.for_org(sized.org).order_by("-id").first()
    with django_assert_max_num_queries(TASK_CEILING):
        assert client.get(f"/o/alfa/matrix/tasks/{task.id}/").status_code == 200


def test_large_organisation_renders_a_bounded_page(world, as_admin):
    grow(world)
    response = as_admin.get("/o/alfa/matrix/")
    page = response.content.decode()
    assert page.count('class="cell ') == PER_PAGE * MAX_COLUMNS
    assert "more columns not shown" in page


def test_demo_matrix_shows_the_planted_problems(db):
    call_command("demo", password="demo12345", verbosity=0)
    manager = m.Person.objects.get(email="saljchef@nordisk.example")
    response = client_for(manager).get("/o/nordisk/matrix/", {"problems": "1"})
    assert response.status_code == 200
    rows = {r.task.name: r.status.key for g in response.context["m"].groups for r in g.rows}
    assert rows.get("Reklamationer") == "no_a"
    assert rows.get("Prissättning och rabatter") == "many_a"
    assert rows.get("Arkivera avtal") == "no_r"
    assert response.context["m"].can_edit_any


def test_build_world_is_reusable_for_other_sizes(db):
    world = build_world(slug="zeta", name="Zeta AB", prefix="z")
    grow(world, tasks=60, hats=10)
    response = client_for(world.admin).get("/o/zeta/matrix/")
    assert response.context["m"].total_tasks == 60
