"""What a manager may not do through the matrix however the request is built:
forge an undo, change tasks held by other functions' hats, or crash a page with
odd ids. And the task page's history speaks the user's language."""

import json
import re

import pytest
from django.core.management import call_command

from roles import interchange
from roles import models as m
from roles.matrix.filters import Filters
from roles.views import matrix as views

from . import factories as f
from .conftest import client_for

BASE = "/o/alfa/matrix"
CELL = f"{BASE}/cell/"
UNDO = f"{BASE}/undo/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def letters(task, hat):
    return "".join(
        sorted(m.Responsibility.objects.filter(task=task, hat=hat).values_list("letter", flat=True))
    )


def give_a(client, world):
    """The manager gives A to their own hat; it moves from Ekonomichef (not theirs)."""
    response = client.post(
        CELL,
        {"task": world.task.id, "hat": world.hat.id, "letters": "A/R", "expected": "R"},
        **HTMX,
    )
    assert letters(world.task, world.other_hat) == ""
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


# 1. Undo: only what the server offered ------------------------------------------------------
def test_forged_undo_does_not_give_a_to_a_hat_outside_the_managers_functions(world, as_manager):
    m.Responsibility.objects.filter(task=world.task).delete()
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.other_hat, letter="I")
    forged = {
        "task": world.task.id,
        "hat": world.hat.id,
        "letters": "",
        "expected": "",
        "other": world.other_hat.id,
        "other_letters": "A/I",
        "other_expected": "I",
    }
    for extra in ({}, HTMX):
        response = as_manager.post(UNDO, forged, **extra)
        assert response.status_code in (200, 302)
        assert letters(world.task, world.other_hat) == "I"
    assert not m.CellChange.objects.filter(task=world.task).exists()


def test_forged_undo_on_the_demo_changes_nothing(db):
    call_command("demo", password="demo12345", verbosity=0)
    org = m.Organisation.objects.get(slug="nordisk")
    task = m.Task.objects.for_org(org).get(name="Ringa och mejla prospekt")
    inside = m.Hat.objects.for_org(org).get(title="Innesäljare")
    outside = m.Hat.objects.for_org(org).get(title="Marknadschef")
    # The cells the forged undo claims: Innesäljare empty, Marknadschef I.
    m.Responsibility.objects.filter(task=task, hat=inside).delete()
    f.ResponsibilityFactory(org=org, task=task, hat=outside, letter="I")
    before = set(m.Responsibility.objects.filter(task=task).values_list("hat_id", "letter"))
    client = client_for(m.Person.objects.get(org=org, email="saljchef@nordisk.example"))
    client.post(
        "/o/nordisk/matrix/undo/",
        {
            "task": task.id,
            "hat": inside.id,
            "letters": "",
            "expected": "",
            "other": outside.id,
            "other_letters": "A/I",
            "other_expected": "I",
        },
    )
    after = set(m.Responsibility.objects.filter(task=task).values_list("hat_id", "letter"))
    assert after == before
    assert (outside.id, "A") not in after


def test_tampered_undo_token_is_refused(world, as_manager):
    token = give_a(as_manager, world)
    value, _sep, signature = token.rpartition(":")
    response = as_manager.post(UNDO, {"token": f"{value}x:{signature}"}, **HTMX)
    assert "can no longer be undone" in json.loads(response["HX-Trigger"])["announce"]
    assert letters(world.task, world.other_hat) == ""


def test_someone_elses_undo_token_is_refused(world, as_manager, as_admin):
    token = give_a(as_manager, world)
    response = as_admin.post(UNDO, {"token": token}, follow=True)
    assert "can no longer be undone" in response.content.decode()
    assert letters(world.task, world.other_hat) == ""


def test_expired_undo_token_is_refused(world, as_manager, monkeypatch):
    token = give_a(as_manager, world)
    monkeypatch.setattr(views, "UNDO_MAX_AGE", -1)
    response = as_manager.post(UNDO, {"token": token}, **HTMX)
    assert "can no longer be undone" in json.loads(response["HX-Trigger"])["announce"]
    assert letters(world.task, world.other_hat) == ""


def test_genuine_undo_gives_back_the_a_outside_the_managers_functions(world, as_manager):
    token = give_a(as_manager, world)
    response = as_manager.post(UNDO, {"token": token}, **HTMX)
    assert "Undone" in json.loads(response["HX-Trigger"])["announce"]
    assert letters(world.task, world.other_hat) == "A"
    assert letters(world.task, world.hat) == "R"


# 2. Tasks and areas held by other functions -------------------------------------------------
def test_manager_may_not_delete_or_rename_a_task_of_other_functions(world, as_manager):
    held = f.TaskFactory(org=world.org, area=world.area, name="Inkasso")
    f.ResponsibilityFactory(org=world.org, task=held, hat=world.other_hat, letter="A")
    assert as_manager.post(f"{BASE}/tasks/{held.id}/delete/").status_code == 403
    assert as_manager.get(f"{BASE}/tasks/{held.id}/delete/").status_code == 403
    response = as_manager.post(f"{BASE}/tasks/{held.id}/edit/", {"name": "Borta", "area": ""})
    assert response.status_code == 403
    held.refresh_from_db()
    assert held.name == "Inkasso" and held.area_id == world.area.id
    # Shared with the manager's own hat: still not theirs alone.
    assert as_manager.post(f"{BASE}/tasks/{world.task.id}/delete/").status_code == 403
    assert m.Task.objects.filter(pk=world.task.pk).exists()


def test_manager_changes_tasks_of_their_own_hats_or_without_letters(world, as_manager):
    own = f.TaskFactory(org=world.org, area=world.area, name="Egen")
    f.ResponsibilityFactory(org=world.org, task=own, hat=world.hat, letter="A")
    bare = f.TaskFactory(org=world.org, area=world.area, name="Tom")
    response = as_manager.post(f"{BASE}/tasks/{own.id}/edit/", {"name": "Egen 2", "area": ""})
    assert response.status_code == 302
    assert as_manager.post(f"{BASE}/tasks/{bare.id}/delete/").status_code == 302
    own.refresh_from_db()
    assert own.name == "Egen 2" and own.area is None
    assert not m.Task.objects.filter(pk=bare.pk).exists()


def test_admin_deletes_any_task(world, as_admin):
    assert as_admin.post(f"{BASE}/tasks/{world.task.id}/delete/").status_code == 302
    assert not m.Task.objects.filter(pk=world.task.pk).exists()


def test_task_page_hides_what_the_manager_may_not_do(world, as_manager, as_admin):
    edit = f"{BASE}/tasks/{world.task.id}/edit/"
    assert edit not in as_manager.get(f"{BASE}/tasks/{world.task.id}/").content.decode()
    assert edit in as_admin.get(f"{BASE}/tasks/{world.task.id}/").content.decode()
    m.Responsibility.objects.filter(task=world.task, hat=world.other_hat).delete()
    assert edit in as_manager.get(f"{BASE}/tasks/{world.task.id}/").content.decode()


def test_manager_may_not_rename_or_delete_an_area_with_tasks_of_other_functions(
    world, as_manager, as_admin
):
    own = f.AreaFactory(org=world.org, name="Egen")
    f.ResponsibilityFactory(
        org=world.org, task=f.TaskFactory(org=world.org, area=own), hat=world.hat, letter="R"
    )
    area = world.area.id
    assert as_manager.get(f"{BASE}/areas/{area}/edit/").status_code == 403
    assert as_manager.post(f"{BASE}/areas/{area}/edit/", {"name": "X"}).status_code == 403
    assert as_manager.post(f"{BASE}/areas/{area}/delete/", {"move_to": ""}).status_code == 403
    assert m.Area.objects.filter(pk=area, name="Prospektering").exists()
    page = as_manager.get(f"{BASE}/areas/").content.decode()
    assert f"{BASE}/areas/{area}/edit/" not in page
    assert f"{BASE}/areas/{own.id}/edit/" in page
    assert as_manager.get(f"{BASE}/areas/{own.id}/delete/").status_code == 200
    assert f"{BASE}/areas/{area}/edit/" in as_admin.get(f"{BASE}/areas/").content.decode()


# 3. Odd ids are refused, never a 500 ---------------------------------------------------------
@pytest.mark.parametrize("bad", ["²", "١", "1²", " ", "9" * 30, "-1"])
def test_odd_ids_are_404_not_500(world, as_admin, bad):
    t, h, o = world.task.id, world.hat.id, world.other_hat.id
    assert as_admin.get(CELL, {"task": bad, "hat": h}).status_code == 404
    assert as_admin.get(CELL, {"task": t, "hat": bad}).status_code == 404
    assert as_admin.get(CELL, {"c": f"{bad}-{h}"}).status_code == 404
    assert as_admin.post(CELL, {"task": bad, "hat": h, "letters": "R"}).status_code == 404
    assert as_admin.post(CELL, {"task": t, "hat": bad, "letters": "R"}).status_code == 404
    response = as_admin.post(UNDO, {"task": bad, "hat": bad, "other": bad})
    assert response.status_code == 302  # no valid offer: told so, nothing changed
    assert as_admin.post(UNDO, {"task": t, "hat": h, "other": o, "token": bad}).status_code == 302
    assert as_admin.get(f"{BASE}/tasks/new/", {"area": bad}).status_code == 200
    assert as_admin.get(f"{BASE}/", {"function": bad, "area": bad, "page": bad}).status_code == 200
    assert letters(world.task, world.hat) == "R"


def test_filters_read_only_plain_ascii_ids():
    filters = Filters.from_query({"function": "²", "person": "12", "page": "١", "cpage": "0"})
    assert (filters.function, filters.person, filters.page, filters.cpage) == (None, 12, 1, 1)


def test_a_cell_page_opens_from_the_matrix_form_without_javascript(world, as_manager):
    response = as_manager.get(CELL, {"c": f"{world.task.id}-{world.hat.id}", "q": "area=1"})
    assert response.status_code == 200
    assert 'name="expected" value="R"' in response.content.decode()


# 4. History notes in the user's language -----------------------------------------------------
def test_task_history_shows_notes_through_their_labels(world, as_admin, monkeypatch):
    m.CellChange.objects.create(
        org=world.org, task=world.task, hat=world.hat, old="", new="R", note="undo"
    )
    monkeypatch.setitem(interchange.NOTE_LABELS, "undo", "ångrat")
    page = as_admin.get(f"{BASE}/tasks/{world.task.id}/").content.decode()
    assert "<td>ångrat</td>" in page
    assert "<td>undo</td>" not in page


# 5. Page weight --------------------------------------------------------------------------------
def test_cells_are_compact_and_share_one_menu(world, as_admin):
    page = as_admin.get(f"{BASE}/").content.decode()
    cell = re.search(rf'<td id="cell-{world.task.id}-{world.hat.id}".*?</td>', page).group(0)
    # Measure the markup, not the ids (they grow with the database's sequences).
    markup = cell.replace(f"{world.task.id}-{world.hat.id}", "T-H")
    assert len(markup) < 100, cell
    assert page.count('role="menu"') == 1
    assert 'id="matrix-cells" method="get"' in page  # the path without JavaScript


def test_person_filter_offers_only_people_who_wear_a_hat(world, as_admin):
    idle = f.PersonFactory(org=world.org, name="Utan Hatt")
    assert "Utan Hatt" not in as_admin.get(f"{BASE}/").content.decode()
    assert "Utan Hatt" in as_admin.get(f"{BASE}/", {"person": idle.id}).content.decode()
