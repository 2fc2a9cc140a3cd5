"""The matrix page, a cell update and the task page run a fixed number of
queries whatever the size of the organisation."""

import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roles import models as m
from roles.access import Access
from roles.matrix.filters import MAX_COLUMNS, PER_PAGE
from roles.services import matrix as services

from . import factories as f
from .conftest import build_world, client_for
from .test_matrix_cells import a_holders, run_in_threads

PAGE_CEILING = 13  # session, login, person, the bell, the managed functions, the builder's 8
# A cell update's own work: person; hat with "may edit" (one query, no function
# tree); lock the task; its row with the hats on it and their column counts; then
# at most one delete, one insert, the two history inserts (CellChange,
# HatChange), the update of the task's status counts, the organisation's status
# totals for the page's totals line and the organisation's stamp (which the map's
# cache is keyed by); when an A or R moves, the notification of the hats'
# wearers: who they are with their choices, the cross-organisation check of the
# insert, and the insert. Counted without the session and the signed-in user,
# which every request loads (AUTH_QUERIES), and without SAVEPOINT/RELEASE, which
# appear only because a test runs inside a transaction.
CELL_CEILING = 14
AUTH_QUERIES = 2
TASK_CEILING = 7  # session, login, person, the bell, task, its cells, its history


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
    m.Task.objects.for_org(org).refresh_status()
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


def test_naming_the_hats_of_rows_with_two_as_costs_no_query(sized, django_assert_max_num_queries):
    # Every task of the page with two A's: the same queries, whatever the size.
    tasks = list(m.Task.objects.for_org(sized.org).order_by("id")[:PER_PAGE])
    hats = list(m.Hat.objects.for_org(sized.org).order_by("id")[:2])
    m.Responsibility.objects.bulk_create(
        [m.Responsibility(org=sized.org, task=t, hat=h, letter="A") for t in tasks for h in hats],
        ignore_conflicts=True,
    )
    m.Task.objects.for_org(sized.org).refresh_status()
    manager = client_for(sized.manager)
    with django_assert_max_num_queries(PAGE_CEILING):
        response = manager.get("/o/alfa/matrix/", {"problems": "1"})
    rows = [r for g in response.context["m"].groups for r in g.rows]
    assert rows and all(len(r.a_holders) >= 2 for r in rows)


SAVEPOINT = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)
AUTH = re.compile(r'\bFROM "(django_session|roles_user)"')


def counted_post(client, data):
    """POST a cell with htmx; return the response, the queries of its own work
    (no auth, no savepoints) and the number of auth queries."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/o/alfa/matrix/cell/", data, HTTP_HX_REQUEST="true")
    sql = [q["sql"] for q in ctx.captured_queries if not SAVEPOINT.match(q["sql"])]
    auth = [q for q in sql if AUTH.search(q)]
    own = [q for q in sql if not AUTH.search(q)]
    assert len(auth) == AUTH_QUERIES, auth
    return response, own


def assert_within_ceiling(own):
    assert len(own) <= CELL_CEILING, "\n".join(own)
    assert len(own) + AUTH_QUERIES <= CELL_CEILING + AUTH_QUERIES


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_cell_update_queries_do_not_grow(sized, who):
    world = sized
    client = client_for(getattr(world, who))
    data = {"task": world.task.id, "hat": world.hat.id, "letters": "A/R", "expected": "R"}

    # Gains A, which moves from Ekonomichef: the most work a cell does.
    response, own = counted_post(client, data)
    assert response.status_code == 200
    assert "A moved from Ekonomichef" in json.loads(response["HX-Trigger"])["announce"]
    assert_within_ceiling(own)
    assert a_holders(world.task) == {world.hat.id}
    if connection.features.has_select_for_update:
        assert any(re.search(r'FROM "roles_task".*FOR UPDATE', q) for q in own), own
    page = response.content.decode()
    # The cell the A left is swapped in too, editable only by who may edit it.
    other_cell = page[page.index(f'id="cell-{world.task.id}-{world.other_hat.id}"') :]
    other_cell = other_cell[: other_cell.index("</td>")]
    assert ("<button " in other_cell) == (who == "admin")
    history = m.CellChange.objects.filter(task=world.task)
    assert {(c.hat_id, c.old, c.new) for c in history} >= {
        (world.hat.id, "R", "A/R"),
        (world.other_hat.id, "A", ""),
    }
    duties = m.HatChange.objects.filter(kind=m.HatChange.DUTY, field=world.task.name)
    assert {h.hat_id for h in duties} == {world.hat.id, world.other_hat.id}

    # Letters out and in: A/R → C.
    response, own = counted_post(client, {**data, "letters": "C", "expected": "A/R"})
    assert "A/R → C" in json.loads(response["HX-Trigger"])["announce"]
    assert_within_ceiling(own)

    # A plain R on an empty cell of another task.
    task = f.TaskFactory(org=world.org, area=world.area, name="Offerera")
    response, own = counted_post(
        client, {"task": task.id, "hat": world.hat.id, "letters": "R", "expected": ""}
    )
    assert "empty → R" in json.loads(response["HX-Trigger"])["announce"]
    assert_within_ceiling(own)

    # A stale page reads and changes nothing.
    response, own = counted_post(
        client, {"task": task.id, "hat": world.hat.id, "letters": "C", "expected": ""}
    )
    assert "meanwhile" in json.loads(response["HX-Trigger"])["announce"]
    assert_within_ceiling(own)
    assert not any(q.lstrip().upper().startswith(("INSERT", "DELETE")) for q in own)


def test_may_edit_in_the_query_agrees_with_the_predicate(world):
    """The one-query "may edit this hat" answers as Access.can_edit_hat does, for
    every hat and every level, also below a function deeper in the tree."""
    deep = f.FunctionFactory(org=world.org, name="Djup", parent=world.team)
    f.HatFactory(org=world.org, function=deep, title="Djup hatt")
    f.HatFactory(org=world.org, function=world.root, title="Vd")
    for person in (world.admin, world.manager, world.member):
        access = Access(person)
        hats = m.Hat.objects.for_org(world.org).annotate(may_edit=access.may_edit_hat_expression())
        got = {h.id: bool(h.may_edit) for h in hats}
        assert got == {h.id: access.can_edit_hat(h) for h in hats}, person.access
    manager = Access(world.manager)
    flags = dict(
        m.Hat.objects.for_org(world.org)
        .annotate(may_edit=manager.may_edit_hat_expression())
        .values_list("title", "may_edit")
    )
    assert flags["Djup hatt"] and flags[world.hat.title]
    assert not flags[world.other_hat.title] and not flags["Vd"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_a_through_the_matrix_never_leaves_two(db):
    """The row read after the lock sees what a write that held the lock committed."""
    world = build_world(slug="eta", name="Eta AB", prefix="h")
    hats = [f.HatFactory(org=world.org, function=world.team, title=f"Hatt {i}") for i in range(4)]
    for round_ in range(5):
        run_in_threads(
            *[
                (lambda h=h: services.change_cell(world.org, world.task.id, h, "A", world.admin))
                for h in hats
            ]
        )
        assert len(a_holders(world.task)) == 1, round_


def test_task_page_queries_do_not_grow(sized, django_assert_max_num_queries):
    client = client_for(sized.member)
    task = m.Task.objects.for_org(sized.org).order_by("-id").first()
    with django_assert_max_num_queries(TASK_CEILING):
        assert client.get(f"/o/alfa/matrix/tasks/{task.id}/").status_code == 200


def test_large_organisation_renders_a_bounded_page(world, as_admin):
    grow(world)
    response = as_admin.get("/o/alfa/matrix/")
    page = response.content.decode()
    assert page.count('<td id="cell-') == PER_PAGE * MAX_COLUMNS
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


def test_a_link_to_a_task_opens_the_page_that_holds_it(world, django_assert_max_num_queries):
    grow(world)
    loose = f.TaskFactory(org=world.org, area=None, name="Utan område")
    admin = client_for(world.admin)
    tasks = m.Task.objects.for_org(world.org)
    # Each once: a second look at the same address is the kept page, without a context.
    picks = dict.fromkeys([*tasks.order_by("?")[:4], tasks.order_by("-position").first(), loose])
    for task in picks:
        with django_assert_max_num_queries(PAGE_CEILING + 2):
            response = admin.get("/o/alfa/matrix/", {"task": task.id})
        data = response.context["m"]
        assert task.id in [r.task.id for g in data.groups for r in g.rows], (task, data.page)
    assert response.context["m"].page == response.context["m"].pages  # no area: last
    # A task the filters leave out: the first page, as without it.
    complete = tasks.filter(a_count=1, r_count__gte=1, unusual_count=0).first()
    response = admin.get("/o/alfa/matrix/", {"task": complete.id, "problems": "1"})
    assert response.status_code == 200 and response.context["m"].page == 1
    # A page asked for wins; a bad id is ignored.
    assert admin.get("/o/alfa/matrix/", {"task": loose.id, "page": 2}).context["m"].page == 2
    assert admin.get("/o/alfa/matrix/", {"task": "x'"}).status_code == 200
