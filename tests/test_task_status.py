"""Each task's stored status counts (Task.objects.refresh_status) agree with its
letters after every way letters are written, and the matrix built on them
shows what the letters say on every page, whatever the filters."""

import importlib
import io
import itertools
import json
import threading

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate_size
from roles import models as m
from roles import raci
from roles.access import Access
from roles.interchange import importer
from roles.interchange.backup import export_org, import_org
from roles.interchange.reader import read_sheet
from roles.matrix import page as matrix_page
from roles.matrix import queries as matrix_queries
from roles.matrix.filters import NO_AREA, Filters
from roles.matrix.page import build_matrix
from roles.matrix.queries import functions_in_tree_order
from roles.models.raci import TaskQuerySet
from roles.services import hats as hat_services
from roles.services.cells import set_cell
from roles.tree import descendants

from . import factories as f

HTMX = {"HTTP_HX_REQUEST": "true"}


def assert_stored(org):
    """Every task's stored counts are those of its letters."""
    assert m.Task.objects.for_org(org).status_mismatches() == {}


def stored(task):
    task.refresh_from_db()
    return (task.a_count, task.r_count, task.unusual_count)


# Every write of letters ---------------------------------------------------------------
def test_set_cell_adds_removes_and_moves_an_a(world):
    assert stored(world.task) == (1, 1, 0)
    set_cell(world.task, world.hat, "A/R")  # the A moves from Ekonomichef
    assert stored(world.task) == (1, 1, 0)
    set_cell(world.task, world.hat, "R/C")
    assert stored(world.task) == (0, 1, 1)
    set_cell(world.task, world.other_hat, "A")
    set_cell(world.task, world.hat, "")
    assert stored(world.task) == (1, 0, 0)
    assert_stored(world.org)


def test_matrix_cell_write_and_its_undo(world, as_admin):
    response = as_admin.post(
        "/o/alfa/matrix/cell/",
        {"task": world.task.id, "hat": world.hat.id, "letters": "A", "expected": "R"},
        **HTMX,
    )
    assert stored(world.task) == (1, 0, 0)
    assert "no R" in response.content.decode()
    token = response.content.decode().split('name="token" value="')[1].split('"')[0]
    as_admin.post("/o/alfa/matrix/undo/", {"token": token}, **HTMX)
    assert stored(world.task) == (1, 1, 0)
    assert_stored(world.org)


def test_duties_from_the_hat_page(world):
    result = hat_services.add_duty(world.hat, "A", world.admin, task_name="Ny", area_name="Ny")
    assert stored(result.task) == (1, 0, 0)
    hat_services.remove_duty(world.hat, world.task, world.admin)
    assert stored(world.task) == (1, 0, 0)
    assert_stored(world.org)


def import_sheet(org, data):
    importer.apply(importer.plan(org, read_sheet(data.encode(), "x.csv")))


def test_import_apply_to_new_and_existing_tasks(world):
    import_sheet(
        world.org, "Task,Innesäljare,Ny hatt\nProspektering,,\nBoka möten,R/C,\nNy,R,A/I\n"
    )
    assert stored(world.task) == (1, 1, 1)
    assert stored(m.Task.objects.get(name="Ny")) == (1, 1, 1)
    # The A moves from Ekonomichef, which is not in the sheet.
    import_sheet(world.org, "Task,Innesäljare\nProspektering,\nBoka möten,A\n")
    assert stored(world.task) == (1, 0, 0)
    assert_stored(world.org)


def test_restore_counts_from_the_letters_whatever_the_document_says(world):
    document = json.loads(json.dumps(export_org(world.org), default=str))
    for row in document["tables"]["task"]:
        row["a_count"] = 7  # a document edited by hand
    assert_stored(import_org(document, slug="kopia"))
    for row in document["tables"]["task"]:  # a document older than the counts
        for name in m.Task.STATUS_FIELDS:
            row.pop(name)
    assert_stored(import_org(document, slug="kopia2"))


def test_deleting_a_hat_deletes_its_letters_and_keeps_the_counts(world):
    world.other_hat.delete()
    assert stored(world.task) == (0, 1, 0)
    assert_stored(world.org)


def test_admin_deletes_hats_and_letters_in_bulk(world):
    hats = admin.site._registry[m.Hat]
    hats.delete_queryset(None, m.Hat.objects.filter(pk=world.other_hat.pk))
    assert stored(world.task) == (0, 1, 0)
    letters = admin.site._registry[m.Responsibility]
    letters.delete_queryset(None, m.Responsibility.objects.filter(task=world.task))
    assert stored(world.task) == (0, 0, 0)
    assert_stored(world.org)


def test_one_letter_saved_moved_or_deleted_on_its_own(world):
    other = f.TaskFactory(org=world.org, area=world.area, name="Annan")
    letter = f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.hat, letter="C")
    assert stored(world.task) == (1, 1, 1)
    letter.task = other  # as the admin's change form may
    letter.save()
    assert stored(world.task) == (1, 1, 0) and stored(other) == (0, 0, 0)
    letter.delete()
    assert_stored(world.org)


def test_saving_an_edited_task_keeps_counts_written_meanwhile(world):
    task = m.Task.objects.get(pk=world.task.pk)  # read before the cell write
    set_cell(world.task, world.hat, "")
    task.name = "Boka fler möten"
    task.save()
    assert stored(world.task) == (1, 0, 0)
    assert_stored(world.org)


def test_demo_and_generator(db):
    call_command("demo", password="demo12345", verbosity=0)
    generate_size("gen-status", "S", seed=3)
    for org in m.Organisation.objects.all():
        assert_stored(org)


def test_the_migration_fills_existing_tasks(world):
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.hat, letter="I")
    m.Task.objects.update(a_count=0, r_count=0, unusual_count=0)
    migration = importlib.import_module("roles.migrations.0003_task_status_counts")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.fill(apps, editor)
    assert stored(world.task) == (1, 1, 1)
    assert_stored(world.org)


cells = st.lists(
    st.tuples(
        st.integers(0, 2), st.integers(0, 2), st.sampled_from(["", "R", "A", "A/R", "C", "R/I"])
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes=cells)
def test_any_sequence_of_cell_writes_keeps_the_counts(world, writes):
    tasks = [world.task, *m.Task.objects.for_org(world.org).exclude(pk=world.task.pk)[:2]]
    while len(tasks) < 3:
        tasks.append(f.TaskFactory(org=world.org, area=world.area, name=f"T{len(tasks)}"))
    hats = [world.hat, world.other_hat]
    hats.append(
        m.Hat.objects.for_org(world.org).exclude(pk__in=[h.pk for h in hats]).first()
        or f.HatFactory(org=world.org, function=world.team, title="Tredje")
    )
    for task, hat, letters in writes:
        set_cell(tasks[task], hats[hat], letters)
        assert_stored(world.org)


# The matrix against a brute-force reading of the same rows ------------------------------
serial = itertools.count()


@st.composite
def organisations(draw):
    """A small random organisation: areas, tasks with and without one, a
    function tree, hats, people wearing some (some no longer), letters."""
    org = f.OrganisationFactory(slug=f"slump-{next(serial)}", name="Slump")
    admin_person = f.PersonFactory(org=org, access="admin", email="admin@slump.example")
    areas = [
        m.Area.objects.create(org=org, name=f"Område {i}", position=draw(st.integers(0, 2)))
        for i in range(draw(st.integers(0, 3)))
    ]
    tasks = [
        m.Task.objects.create(
            org=org,
            area=draw(st.sampled_from([None, *areas])),
            name=f"Uppgift {i}",
            position=draw(st.integers(0, 3)),
        )
        for i in range(draw(st.integers(0, 9)))
    ]
    functions = []
    for i in range(draw(st.integers(1, 4))):
        parent = draw(st.sampled_from([None, *functions])) if functions else None
        functions.append(
            m.Function.objects.create(
                org=org, name=f"F{i}", parent=parent, position=draw(st.integers(0, 1))
            )
        )
    hats = [
        m.Hat.objects.create(
            org=org,
            function=draw(st.sampled_from(functions)),
            title=f"H{i}",
            position=draw(st.integers(0, 1)),
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    people = [
        f.PersonFactory(
            org=org, email=f"p{i}@slump.example", name=f"P{i % 2}", active=draw(st.booleans())
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    for person in people:
        for hat in draw(st.lists(st.sampled_from(hats), unique=True)) if hats else []:
            assignment = m.Assignment.objects.create(org=org, hat=hat, person=person)
            if draw(st.booleans()):
                m.Assignment.objects.filter(pk=assignment.pk).update(ended=timezone.now())
    letters = []
    for task in tasks:
        for hat in hats:
            for letter in draw(st.sampled_from(["", "", "", "R", "A", "AR", "C", "RC"])):
                letters.append(m.Responsibility(org=org, task=task, hat=hat, letter=letter))
    m.Responsibility.objects.bulk_create(letters)
    m.Task.objects.for_org(org).refresh_status()
    filters = {
        "function": draw(st.sampled_from([None, *[fn.id for fn in functions]])),
        "area": draw(st.sampled_from([None, NO_AREA, *[a.id for a in areas]])),
        "person": draw(st.sampled_from([None, *[p.id for p in people]])),
        "problems": draw(st.booleans()),
    }
    return org, admin_person, filters


def expected(org, filters):
    """(task ids in page order, hat ids in column order, {status: n}) by reading
    every row and applying the rules of the matrix in Python."""
    areas = list(
        m.Area.objects.for_org(org).order_by("position", "id").values_list("id", flat=True)
    )
    letters = {}
    for task_id, hat_id, letter in m.Responsibility.objects.for_org(org).values_list(
        "task_id", "hat_id", "letter"
    ):
        letters.setdefault(task_id, {}).setdefault(hat_id, set()).add(letter)
    person = filters["person"]
    if person and not m.Person.objects.filter(pk=person, active=True).exists():
        person = None
    worn = set(
        m.Assignment.objects.filter(person_id=person, ended__isnull=True).values_list(
            "hat_id", flat=True
        )
    )
    totals = dict.fromkeys(raci.STATUS_LABELS, 0)
    rows = []
    tasks = m.Task.objects.for_org(org).values_list("id", "area_id", "position")
    for task_id, area_id, _position in sorted(
        tasks, key=lambda t: (areas.index(t[1]) if t[1] else len(areas), t[2], t[0])
    ):
        cells = letters.get(task_id, {})
        status = raci.task_status(cells.values())
        totals[status.key] += 1
        if filters["area"] == NO_AREA and area_id is not None:
            continue
        if isinstance(filters["area"], int) and area_id != filters["area"]:
            continue
        if person and not worn & set(cells):
            continue
        if filters["problems"] and status.ok:
            continue
        rows.append(task_id)
    functions = list(m.Function.objects.for_org(org))
    allowed = None
    if filters["function"]:
        allowed = descendants({fn.id: fn.parent_id for fn in functions}, [filters["function"]])
    columns = []
    for function, _depth in functions_in_tree_order(functions):
        if allowed is not None and function.id not in allowed:
            continue
        for hat in m.Hat.objects.filter(function=function).order_by("position", "title", "id"):
            if person is None or hat.id in worn:
                columns.append(hat.id)
    return rows, columns, totals, letters


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=organisations(), data=st.data())
def test_every_page_of_the_matrix_shows_what_the_letters_say(monkeypatch, case, data):
    org, admin_person, filters = case
    per_page, per_column_page = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    for module in (matrix_page, matrix_queries):  # where the page sizes are read
        monkeypatch.setattr(module, "PER_PAGE", per_page)
        monkeypatch.setattr(module, "MAX_COLUMNS", per_column_page)
    rows, columns, totals, letters = expected(org, filters)
    access = Access(admin_person)

    def build(**page):
        return build_matrix(access, Filters(**filters, **page))

    first = build()
    assert first.status_totals == totals
    assert first.total_tasks == sum(totals.values())
    assert first.matching_tasks == len(rows) and first.matching_hats == len(columns)
    shown = []
    for page in range(1, first.pages + 1):
        data_ = build(page=page)
        assert data_.page == page
        for group in data_.groups:
            for row in group.rows:
                assert group.area is None or group.area.id == row.task.area_id
                cells = letters.get(row.task.id, {})
                assert row.status == raci.task_status(cells.values())
                visible = {c.hat.id for c in data_.columns}
                assert row.letters == {h: frozenset(v) for h, v in cells.items() if h in visible}
                shown.append(row.task.id)
    assert shown == rows
    assert build(page=first.pages + 5).page == first.pages  # past the end: the last page
    seen = []
    for cpage in range(1, first.cpages + 1):
        data_ = build(cpage=cpage)
        for column in data_.columns:
            counts = dict.fromkeys(raci.LETTERS, 0)
            for cells in letters.values():
                for letter in cells.get(column.hat.id, ()):
                    counts[letter] += 1
            assert column.counts == counts
            seen.append(column.hat.id)
    assert seen == columns


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks")
@pytest.mark.django_db(transaction=True)
def test_a_cell_written_while_its_hat_is_deleted_leaves_no_stale_count(monkeypatch):
    """A letter of the doomed hat written on another task while the delete
    reads which tasks it touches must not be deleted unseen: it waits for the
    hat, then fails, and every task's counts stay right."""
    from .conftest import build_world

    world = build_world(slug="race", name="Race AB", prefix="r")
    doomed = f.HatFactory(org=world.org, function=world.team, title="Doomed")
    other = f.TaskFactory(org=world.org, area=world.area, name="Annan")
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=doomed, letter="C")
    read, written = threading.Event(), threading.Event()
    original = TaskQuerySet.ids_of_hats

    def slow(self, ids):
        found = original(self, ids)
        read.set()
        written.wait(3)  # the cell write below gets its chance here
        return found

    monkeypatch.setattr(TaskQuerySet, "ids_of_hats", slow)
    errors = []

    def delete():
        try:
            m.Hat.objects.get(pk=doomed.pk).delete()
        finally:
            connections.close_all()

    def write():
        try:
            read.wait(10)
            set_cell(m.Task.objects.get(pk=other.pk), m.Hat.objects.get(pk=doomed.pk), "A")
        except Exception as exc:  # the hat is gone by the time its lock is granted
            errors.append(exc)
        finally:
            written.set()
            connections.close_all()

    threads = [threading.Thread(target=delete), threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not m.Hat.objects.filter(pk=doomed.pk).exists()
    assert not m.Responsibility.objects.filter(hat_id=doomed.pk).exists()
    assert m.Task.objects.for_org(world.org).status_mismatches() == {}


def test_refresh_command_repairs_counts_that_drifted(world):
    m.Task.objects.filter(pk=world.task.pk).update(a_count=5, r_count=0, unusual_count=2)
    assert m.Task.objects.for_org(world.org).status_mismatches()
    out = io.StringIO()
    call_command("refresh_task_status", world.org.slug, stdout=out)
    assert f"{world.org.slug}: 1 task(s) recounted" in out.getvalue()
    assert m.Task.objects.for_org(world.org).status_mismatches() == {}
    with pytest.raises(CommandError):
        call_command("refresh_task_status", "no-such-org", stdout=out)


def test_editing_a_task_deleted_meanwhile_is_not_found(world):
    from roles.services import matrix as matrix_services

    task = m.Task.objects.get(pk=world.task.pk)
    m.Task.objects.filter(pk=task.pk).delete()
    task.name = "Nytt namn"
    with pytest.raises(m.Task.DoesNotExist):
        matrix_services.save_task(task)
    assert not m.Task.objects.filter(pk=task.pk).exists()  # not brought back
