"""The hat editor under concurrent edits (three-way merge), duties under the
task lock, HTTP methods, and the editor's size at scale."""

import threading
from html.parser import HTMLParser

import pytest
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roles import models as m
from roles.services import hats as service
from roles.services import people as people_service

from . import factories as f
from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def url(name, **kwargs):
    kwargs.setdefault("org", "alfa")
    return reverse(f"roles:{name}", kwargs=kwargs)


class EditorForm(HTMLParser):
    """The fields of the editor's main form as a browser would submit them."""

    def __init__(self, html):
        super().__init__()
        self.data, self.inside, self.textarea, self.select = {}, False, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "hat-editor" in (a.get("class") or ""):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind != "submit":
                self.data[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self.select = name
            self.data[name] = ""
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += (
                data.removeprefix("\n") if not self.data[self.textarea] else data
            )


def open_editor(client, hat):
    response = client.get(url("hat-edit", hat_id=hat.pk))
    assert response.status_code == 200
    return EditorForm(response.content.decode()).data


def kpis_of(hat):
    return [k.name for k in hat.kpis.all()]


# Three-way merge ----------------------------------------------------------------------
def test_different_fields_merge_without_a_conflict(world):
    hat = world.hat
    admin, manager = client_for(world.admin), client_for(world.manager)
    a, b = open_editor(admin, hat), open_editor(manager, hat)
    assert a["base"] and a["version"] == "1"

    assert (
        admin.post(url("hat-edit", hat_id=hat.pk), {**a, "purpose": "VD:s syfte"}).status_code
        == 302
    )
    response = manager.post(url("hat-edit", hat_id=hat.pk), {**b, "product": "Chefens produkt"})
    assert response.status_code == 302
    hat.refresh_from_db()
    assert hat.purpose == "VD:s syfte"  # not reverted
    assert hat.product == "Chefens produkt"
    assert hat.version == 3
    page = manager.get(response["Location"]).content.decode()
    assert "together with the changes someone else saved" in page


def test_same_field_is_a_conflict_with_my_text_and_only_that_field(world):
    hat = world.hat
    admin, manager = client_for(world.admin), client_for(world.manager)
    a, b = open_editor(admin, hat), open_editor(manager, hat)
    admin.post(
        url("hat-edit", hat_id=hat.pk), {**a, "purpose": "VD:s syfte", "notes": "VD:s anteckning"}
    )
    mine = {**b, "purpose": "Chefens syfte", "product": "Chefens produkt"}
    stale = manager.post(url("hat-edit", hat_id=hat.pk), mine)
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'name="resolve_purpose"' in page
    assert 'name="resolve_notes"' not in page and 'name="resolve_product"' not in page
    assert "VD:s syfte" in page and "Chefens syfte" in page
    hat.refresh_from_db()
    assert (hat.purpose, hat.notes, hat.version) == ("VD:s syfte", "VD:s anteckning", 2)

    # The form now carries their notes, my product and my purpose.
    form = EditorForm(page).data
    assert form["notes"] == "VD:s anteckning"
    assert form["product"] == "Chefens produkt"
    assert form["purpose"] == "Chefens syfte"
    assert form["conflict_fields"] == "purpose" and form["version"] == "2"
    done = manager.post(url("hat-edit", hat_id=hat.pk), {**form, "resolve_purpose": "mine"})
    assert done.status_code == 302
    hat.refresh_from_db()
    assert (hat.purpose, hat.product, hat.notes) == (
        "Chefens syfte",
        "Chefens produkt",
        "VD:s anteckning",
    )


def test_keep_theirs_then_another_save_does_not_bring_my_text_back(world):
    hat = world.hat
    admin, manager = client_for(world.admin), client_for(world.manager)
    a, b = open_editor(admin, hat), open_editor(manager, hat)
    admin.post(url("hat-edit", hat_id=hat.pk), {**a, "purpose": "VD:s syfte"})
    stale = manager.post(url("hat-edit", hat_id=hat.pk), {**b, "purpose": "Chefens syfte"})
    form = EditorForm(stale.content.decode()).data
    # Meanwhile the admin saves again (another field): the choice merges onto it.
    a2 = open_editor(admin, hat)
    admin.post(url("hat-edit", hat_id=hat.pk), {**a2, "authority": "VD:s befogenhet"})
    again = manager.post(url("hat-edit", hat_id=hat.pk), {**form, "resolve_purpose": "theirs"})
    assert again.status_code == 302
    hat.refresh_from_db()
    assert (hat.purpose, hat.authority) == ("VD:s syfte", "VD:s befogenhet")


def test_kpis_changed_by_both_are_one_conflict_never_merged_row_by_row(world):
    hat = world.hat
    f.KPIFactory(hat=hat, name="Möten", position=0)
    admin, manager = client_for(world.admin), client_for(world.manager)
    a, b = open_editor(admin, hat), open_editor(manager, hat)
    admin.post(url("hat-edit", hat_id=hat.pk), {**a, "kpis-0-name": "Möten bokade"})
    stale = manager.post(url("hat-edit", hat_id=hat.pk), {**b, "kpis-0-name": "Möten hållna"})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'name="resolve_kpis"' in page and "Möten hållna" in page
    assert kpis_of(hat) == ["Möten bokade"]


def test_kpis_changed_by_one_side_are_kept(world):
    hat = world.hat
    f.KPIFactory(hat=hat, name="Möten", position=0)
    admin, manager = client_for(world.admin), client_for(world.manager)
    a, b = open_editor(admin, hat), open_editor(manager, hat)
    admin.post(url("hat-edit", hat_id=hat.pk), {**a, "kpis-0-name": "Möten bokade"})
    assert manager.post(url("hat-edit", hat_id=hat.pk), {**b, "notes": "Ny"}).status_code == 302
    hat.refresh_from_db()
    assert kpis_of(hat) == ["Möten bokade"] and hat.notes == "Ny"


FIELDS = ("purpose", "product", "notes", "authority")


@pytest.mark.parametrize(
    "theirs, mine",
    [
        ({"purpose"}, {"product"}),
        ({"purpose", "notes"}, {"product", "authority"}),
        ({"purpose", "notes"}, {"notes", "authority"}),
        ({"product"}, {"product"}),
        (set(), {"notes"}),
    ],
)
def test_no_lost_updates(world, theirs, mine):
    hat = world.hat
    admin, manager = client_for(world.admin), client_for(world.manager)
    a, b = open_editor(admin, hat), open_editor(manager, hat)
    before = {n: getattr(hat, n) for n in FIELDS}
    if theirs:
        admin.post(url("hat-edit", hat_id=hat.pk), {**a, **{n: f"theirs {n}" for n in theirs}})
    response = manager.post(url("hat-edit", hat_id=hat.pk), {**b, **{n: f"mine {n}" for n in mine}})
    hat.refresh_from_db()
    both = theirs & mine
    if both:
        assert response.status_code == 409
        page = response.content.decode()
        for n in FIELDS:
            assert (f'name="resolve_{n}"' in page) == (n in both)
        for n in theirs:  # nothing of theirs was overwritten
            assert getattr(hat, n) == f"theirs {n}"
    else:
        assert response.status_code == 302
        for n in FIELDS:
            expected = f"theirs {n}" if n in theirs else f"mine {n}" if n in mine else before[n]
            assert getattr(hat, n) == expected


def test_a_forged_base_is_ignored_and_everything_different_is_a_conflict(world):
    hat = world.hat
    admin, manager = client_for(world.admin), client_for(world.manager)
    a, b = open_editor(admin, hat), open_editor(manager, hat)
    admin.post(url("hat-edit", hat_id=hat.pk), {**a, "purpose": "VD:s syfte"})
    forged = {**b, "base": b["base"][:-3] + "abc", "product": "Chefens produkt"}
    response = manager.post(url("hat-edit", hat_id=hat.pk), forged)
    assert response.status_code == 409
    hat.refresh_from_db()
    assert hat.purpose == "VD:s syfte" and hat.product == ""


# Duties under the task lock ---------------------------------------------------------
def letters(world, task, hat):
    return set(m.Responsibility.objects.filter(task=task, hat=hat).values_list("letter", flat=True))


@pytest.mark.parametrize("action", ["add", "remove"])
def test_duty_reads_the_letters_after_locking_the_task(world, monkeypatch, action):
    """A C written by someone else just before the task lock is granted is kept."""
    hat, task = world.hat, world.task  # the hat is R on the task
    real = QuerySet.select_for_update
    written = []

    def lock(qs, *args, **kwargs):
        if qs.model is m.Task and not written:
            written.append(True)  # first: saving the letter locks the task too
            m.Responsibility.objects.create(org=world.org, task=task, hat=hat, letter="C")
        return real(qs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", lock)
    if action == "add":
        service.add_duty(hat, "A", world.manager, task=task)
        assert letters(world, task, hat) == {"A", "C"}
    else:
        service.remove_duty(hat, task, world.manager)
        assert letters(world, task, hat) == {"C"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_duty_waits_for_a_matrix_write_on_postgresql(world):
    """Two connections: one holds the task's lock and writes an I; the duty
    written meanwhile waits for it and keeps the I."""
    hat, task = world.hat, world.task
    locked, go = threading.Event(), threading.Event()

    def matrix_write():
        try:
            with transaction.atomic():
                m.Task.objects.select_for_update().get(pk=task.pk)
                locked.set()
                go.wait(5)
                m.Responsibility.objects.create(org=world.org, task=task, hat=hat, letter="I")
        finally:
            connections.close_all()

    other = threading.Thread(target=matrix_write)
    other.start()
    assert locked.wait(5)
    timer = threading.Timer(0.5, go.set)  # let add_duty reach the lock first
    timer.start()
    service.add_duty(hat, "R", world.manager, task=task)
    other.join(5)
    assert letters(world, task, hat) == {"R", "I"}


# HTTP methods -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, name, kwargs",
    [
        ("put", "hat-edit", "hat"),
        ("patch", "hat-edit", "hat"),
        ("delete", "hat-create", "function"),
        ("put", "hat-detail", "hat"),
        ("delete", "hat-duty-add", "hat"),
        ("put", "org-map", None),
        ("patch", "workload", None),
        ("delete", "org-settings", None),
    ],
)
def test_undeclared_methods_answer_405(world, as_admin, method, name, kwargs):
    args = {}
    if kwargs == "hat":
        args["hat_id"] = world.hat.pk
    elif kwargs == "function":
        args["function_id"] = world.team.pk
    response = getattr(as_admin, method)(url(name, **args))
    assert response.status_code == 405
    world.hat.refresh_from_db()
    assert world.hat.version == 1


# The editor at scale ------------------------------------------------------------------
def grow(world, tasks, people):
    areas = m.Area.objects.bulk_create(
        [m.Area(org=world.org, name=f"Område {i}", position=10 + i) for i in range(20)]
    )
    m.Task.objects.bulk_create(
        [
            m.Task(org=world.org, area=areas[i % 20], name=f"Uppgift {i:05}", position=i)
            for i in range(tasks)
        ]
    )
    m.Person.objects.bulk_create(
        [
            m.Person(org=world.org, name=f"Person {i:05}", email=f"p{i}@example.com")
            for i in range(people)
        ]
    )


def editor(client, world, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url("hat-edit", hat_id=world.hat.pk), params)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_editor_size_and_queries_do_not_grow_with_the_organisation(world, as_manager):
    small_page, small_queries = editor(as_manager, world)
    grow(world, tasks=2000, people=1000)
    page, queries = editor(as_manager, world)
    assert queries == small_queries
    assert len(page) < len(small_page) + 60_000
    assert page.count("<option") <= 2 * 201 + 10  # two capped lists and the short ones
    assert "Showing 200 of 2001 tasks" in page
    assert "Showing 200 of 1003 people" in page  # plus the world's four active people
    # The task the hat's function already works in comes first.
    assert page.index(world.task.name) < page.index("Uppgift 00000")


def test_reports_to_offers_the_nearest_hats_suggests_the_rest_and_saves_any(world, as_admin):
    far = f.FunctionFactory(org=world.org, name="Långt bort", parent=world.root)
    m.Hat.objects.bulk_create(
        [m.Hat(org=world.org, function=far, title=f"Fjärran {i:03}") for i in range(250)]
    )
    page, _ = editor(as_admin, world)
    start = page.index('name="reports_to"')
    offered = page[start : page.index("</select>", start)]
    # Without JavaScript the list holds 200 hats; the field searches the rest.
    assert offered.count("<option") == 200 + 1  # and the empty choice
    assert f'value="{world.hat.pk}"' not in offered  # not itself
    assert "Fjärran 249 (Långt bort)" not in offered
    assert f'data-suggest="/o/alfa/suggest/hats/?exclude={world.hat.pk}"' in offered
    found = as_admin.get(url("suggest-hats"), {"q": "fjärran 249"}).json()["results"]
    last = m.Hat.objects.get(org=world.org, title="Fjärran 249")
    assert found == [{"id": last.pk, "label": "Fjärran 249 (Långt bort)"}]
    data = open_editor(as_admin, world.hat)
    data["reports_to"] = last.pk
    response = as_admin.post(url("hat-edit", hat_id=world.hat.pk), data)
    assert response.status_code == 302
    world.hat.refresh_from_db()
    assert world.hat.reports_to == last
    page, _ = editor(as_admin, world)
    assert f'<option value="{last.pk}" selected>' in page


def test_search_finds_a_task_and_a_person_beyond_the_first_page(world, as_manager):
    grow(world, tasks=500, people=300)
    page, _ = editor(as_manager, world)
    assert "Uppgift 00499" not in page and "Person 00299" not in page
    page, _ = editor(as_manager, world, q="uppgift 00499", who="00299")
    assert "Uppgift 00499" in page and "Person 00299" in page
    assert 'data-suggest="/o/alfa/suggest/tasks/"' in page
    assert 'data-suggest="/o/alfa/suggest/people/"' in page
    # Any task of the organisation can still be chosen.
    task = m.Task.objects.get(org=world.org, name="Uppgift 00499")
    response = as_manager.post(
        url("hat-duty-add", hat_id=world.hat.pk), {"task": task.pk, "letters": "R"}
    )
    assert response.status_code == 302
    assert letters(world, task, world.hat) == {"R"}


# One snapshot, constant My hats -------------------------------------------------------
def test_my_hats_runs_the_same_queries_published_or_not(
    world, as_member, django_capture_on_commit_callbacks
):
    f.KPIFactory(hat=world.hat)
    me = url("me")
    with CaptureQueriesContext(connection) as unpublished:
        assert as_member.get(me).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # raises the stamp: My hats is kept
        service.publish_hat(world.hat, world.manager, "first")
    with CaptureQueriesContext(connection) as published:
        assert as_member.get(me).status_code == 200
    assert len(unpublished.captured_queries) == len(published.captured_queries)


def test_live_snapshot_is_the_published_snapshot(world):
    hat = world.hat
    f.KPIFactory(hat=hat, name="Möten")
    m.ChecklistItem.objects.create(hat=hat, text="Lär dig CRM")
    last = m.Task.objects.create(org=world.org, name="Utan område", position=0)
    f.ResponsibilityFactory(org=world.org, task=last, hat=hat, letter="R")
    worn, _ = people_service.my_hats(world.org, world.member)
    assert worn[0].snapshot == service.snapshot_hat(hat)
    assert [d["task"] for d in worn[0].snapshot["duties"]] == ["Boka möten", "Utan område"]
