"""Tasks and areas of the matrix: add, rename, reorder, move, delete, and each
task's page with its history."""

import pytest

from roles import models as m

from . import factories as f
from .conftest import client_for

BASE = "/o/alfa/matrix"


def names_in(area):
    return list(
        m.Task.objects.filter(area=area).order_by("position", "id").values_list("name", flat=True)
    )


# Access ladder over every task and area page ------------------------------------------------
def pages(world):
    t, a = world.task.id, world.area.id
    return [
        ("get", f"{BASE}/tasks/new/"),
        ("get", f"{BASE}/tasks/{t}/edit/"),
        ("get", f"{BASE}/tasks/{t}/delete/"),
        ("post", f"{BASE}/tasks/{t}/move/"),
        ("get", f"{BASE}/areas/"),
        ("get", f"{BASE}/areas/new/"),
        ("get", f"{BASE}/areas/{a}/edit/"),
        ("get", f"{BASE}/areas/{a}/delete/"),
        ("post", f"{BASE}/areas/{a}/move/"),
        ("post", f"{BASE}/tasks/{t}/delete/"),
    ]


def test_members_may_not_change_tasks_or_areas(world, as_member):
    for method, url in pages(world):
        assert getattr(as_member, method)(url).status_code == 403, url
    assert m.Task.objects.filter(pk=world.task.pk).exists()


def test_outsider_gets_404_everywhere(world, as_outsider):
    for method, url in [*pages(world), ("get", f"{BASE}/tasks/{world.task.id}/")]:
        assert getattr(as_outsider, method)(url).status_code == 404, url
    assert m.Task.objects.filter(pk=world.task.pk).exists()


def test_anonymous_is_sent_to_login(world, client):
    for method, url in [*pages(world), ("get", f"{BASE}/tasks/{world.task.id}/")]:
        assert getattr(client, method)(url).status_code == 302, url


def test_managers_and_admins_open_every_page(world, as_manager, as_admin):
    # world.task has a letter of Ekonomichef, outside the manager's functions.
    m.Responsibility.objects.filter(task=world.task, hat=world.other_hat).delete()
    for client in (as_manager, as_admin):
        for method, url in pages(world):
            if method == "get":
                assert client.get(url).status_code == 200, url


def test_objects_of_another_organisation_are_404(world, other_world, as_admin):
    for url in (
        f"{BASE}/tasks/{other_world.task.id}/",
        f"{BASE}/tasks/{other_world.task.id}/edit/",
        f"{BASE}/areas/{other_world.area.id}/edit/",
        f"{BASE}/areas/{other_world.area.id}/delete/",
    ):
        assert as_admin.get(url).status_code == 404, url
    assert as_admin.post(f"{BASE}/tasks/{other_world.task.id}/delete/").status_code == 404
    assert m.Task.objects.filter(pk=other_world.task.pk).exists()


# Tasks ---------------------------------------------------------------------------------
def test_manager_adds_a_task_at_the_end_of_its_area(world, as_manager):
    response = as_manager.post(
        f"{BASE}/tasks/new/", {"name": "  Skicka   offert ", "area": world.area.id}
    )
    assert response.status_code == 302
    assert names_in(world.area) == ["Boka möten", "Skicka offert"]


def test_add_another_keeps_the_area(world, as_admin):
    response = as_admin.post(
        f"{BASE}/tasks/new/", {"name": "Ny", "area": world.area.id, "another": "1"}
    )
    assert response["Location"].endswith(f"/tasks/new/?area={world.area.id}")
    page = as_admin.get(response["Location"]).content.decode()
    assert f'value="{world.area.id}" selected' in page


def test_task_without_area_and_blank_name(world, as_admin):
    response = as_admin.post(f"{BASE}/tasks/new/", {"name": "   ", "area": ""})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert m.Task.objects.for_org(world.org).count() == 1
    as_admin.post(f"{BASE}/tasks/new/", {"name": "Lös", "area": ""})
    assert m.Task.objects.get(name="Lös").area is None


def test_task_cannot_be_put_in_another_organisations_area(world, other_world, as_admin):
    response = as_admin.post(f"{BASE}/tasks/new/", {"name": "Fel", "area": other_world.area.id})
    assert response.status_code == 200
    assert "Choose an area of this organisation" in response.content.decode()
    assert not m.Task.objects.filter(name="Fel").exists()
    assert as_admin.get(f"{BASE}/tasks/new/", {"area": other_world.area.id}).status_code == 404


def test_rename_and_move_a_task_to_another_area(world, as_manager):
    m.Responsibility.objects.filter(task=world.task, hat=world.other_hat).delete()
    order = f.AreaFactory(org=world.org, name="Order")
    f.TaskFactory(org=world.org, area=order, name="Skriva order")
    response = as_manager.post(
        f"{BASE}/tasks/{world.task.id}/edit/", {"name": "Boka kundmöten", "area": order.id}
    )
    assert response.status_code == 302
    assert names_in(order) == ["Skriva order", "Boka kundmöten"]
    assert names_in(world.area) == []


def test_reorder_tasks_up_and_down(world, as_manager):
    second = f.TaskFactory(org=world.org, area=world.area, name="Ringa")
    f.TaskFactory(org=world.org, area=world.area, name="Mejla")
    response = as_manager.post(f"{BASE}/tasks/{second.id}/move/", {"direction": "up"})
    assert response.status_code == 302 and f"area={world.area.id}" in response["Location"]
    assert names_in(world.area) == ["Ringa", "Boka möten", "Mejla"]
    as_manager.post(f"{BASE}/tasks/{second.id}/move/", {"direction": "up"})  # already first
    assert names_in(world.area) == ["Ringa", "Boka möten", "Mejla"]
    as_manager.post(f"{BASE}/tasks/{world.task.id}/move/", {"direction": "down"})
    assert names_in(world.area) == ["Ringa", "Mejla", "Boka möten"]


def test_reorder_copes_with_equal_positions(world, as_admin):
    tasks = [m.Task.objects.create(org=world.org, area=world.area, name=n) for n in "XYZ"]
    m.Task.objects.filter(area=world.area).update(position=0)
    as_admin.post(f"{BASE}/tasks/{tasks[2].id}/move/", {"direction": "up"})
    assert names_in(world.area) == ["Boka möten", "X", "Z", "Y"]


def test_deleting_a_task_with_letters_asks_first_and_lists_them(world, as_admin):
    page = as_admin.get(f"{BASE}/tasks/{world.task.id}/delete/").content.decode()
    assert "Innesäljare" in page and "Ekonomichef" in page
    assert m.Task.objects.filter(pk=world.task.pk).exists()
    response = as_admin.post(f"{BASE}/tasks/{world.task.id}/delete/")
    assert response.status_code == 302
    assert not m.Task.objects.filter(pk=world.task.pk).exists()
    assert not m.Responsibility.objects.filter(task_id=world.task.pk).exists()


def test_task_detail_shows_cells_and_every_change(world, as_admin, as_member):
    as_admin.post(
        f"{BASE}/cell/",
        {"task": world.task.id, "hat": world.hat.id, "letters": "A/R", "expected": "R"},
    )
    response = as_member.get(f"{BASE}/tasks/{world.task.id}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Innesäljare" in page and "A/R" in page
    assert "Alfa AB Admin" in page  # who
    assert "R → A/R" in page  # from → to
    assert "A → empty" in page  # the A that moved away
    assert "Edit" not in page  # members only read


# Areas ---------------------------------------------------------------------------------
def test_add_rename_and_reorder_areas(world, as_manager):
    as_manager.post(f"{BASE}/areas/new/", {"name": "Order"})
    as_manager.post(f"{BASE}/areas/new/", {"name": "Eftermarknad"})
    order = m.Area.objects.get(name="Order")
    response = as_manager.post(f"{BASE}/areas/{order.id}/edit/", {"name": "Orderhantering"})
    assert response.status_code == 302
    after = m.Area.objects.get(name="Eftermarknad")
    as_manager.post(f"{BASE}/areas/{after.id}/move/", {"direction": "up"})
    names = list(m.Area.objects.for_org(world.org).values_list("name", flat=True))
    assert names == ["Prospektering", "Eftermarknad", "Orderhantering"]
    # The matrix follows the area order.
    assert [a.name for a in as_manager.get(f"{BASE}/").context["m"].areas] == names


@pytest.mark.parametrize("name", ["prospektering", "  PROSPEKTERING ", ""])
def test_area_names_are_unique_and_not_blank(world, as_admin, name):
    response = as_admin.post(f"{BASE}/areas/new/", {"name": name})
    assert response.status_code == 200
    assert m.Area.objects.for_org(world.org).count() == 1


def test_deleting_an_area_with_tasks_moves_them(world, as_admin):
    order = f.AreaFactory(org=world.org, name="Order")
    page = as_admin.get(f"{BASE}/areas/{world.area.id}/delete/").content.decode()
    assert "Boka möten" in page and "Move its tasks to" in page
    response = as_admin.post(f"{BASE}/areas/{world.area.id}/delete/", {"move_to": order.id})
    assert response.status_code == 302
    assert not m.Area.objects.filter(pk=world.area.pk).exists()
    assert names_in(order) == ["Boka möten"]
    assert m.Responsibility.objects.filter(task=world.task).count() == 2  # letters stay


def test_deleting_an_area_can_leave_its_tasks_without_area(world, as_admin):
    as_admin.post(f"{BASE}/areas/{world.area.id}/delete/", {"move_to": ""})
    world.task.refresh_from_db()
    assert world.task.area is None


def test_deleting_an_area_refuses_a_target_of_another_organisation(world, other_world, as_admin):
    response = as_admin.post(
        f"{BASE}/areas/{world.area.id}/delete/", {"move_to": other_world.area.id}
    )
    assert response.status_code == 200
    assert "Choose another area of this organisation" in response.content.decode()
    assert m.Area.objects.filter(pk=world.area.pk).exists()


def test_manager_outside_any_function_still_sees_the_pages(world):
    """Managing rows is for managers as such; cells stay limited to their hats."""
    lone = f.PersonFactory(org=world.org, access="manager", email="lone@example.com")
    lone.user = f.UserFactory(email="lone@example.com")
    lone.save()
    client = client_for(lone)
    assert client.get(f"{BASE}/areas/").status_code == 200
    response = client.post(
        f"{BASE}/cell/", {"task": world.task.id, "hat": world.hat.id, "letters": "A"}
    )
    assert response.status_code == 403
