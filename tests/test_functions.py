"""The function page and the function writes."""

import pytest
from django.urls import reverse

from roles import models as m

from . import factories as f

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"roles:{name}", kwargs={"org": world.org.slug, **kwargs})


# The page ----------------------------------------------------------------------------
def test_function_page_shows_head_hats_people_children_and_tasks(world, as_member):
    vacant = f.HatFactory(org=world.org, function=world.sales, title="Säljoperations")
    worn = f.HatFactory(org=world.org, function=world.sales, title="Säljchef")
    f.AssignmentFactory(org=world.org, hat=worn, person=world.manager, share=50)
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=worn, letter="A")
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=vacant, letter="C")
    response = as_member.get(url("function-detail", world, function_id=world.sales.id))
    assert response.status_code == 200
    page = response.text
    assert world.manager.name in page  # the head, and a wearer
    assert "Säljoperations" in page and "held from above by" in page
    assert world.team.name in page  # sub-function
    assert world.area.name in page and world.task.name in page
    assert 'Säljchef</a>: <strong class="raci-letters">A</strong>' in page
    assert "Säljoperations</a>: <strong" not in page  # C is not a duty


def test_vacant_hat_without_head_is_held_by_the_nearest_head_above(world, as_member):
    f.HatFactory(org=world.org, function=world.team, title="Vakant")
    response = as_member.get(url("function-detail", world, function_id=world.team.id))
    assert f"held from above by {world.manager.name}" in response.text


def test_function_page_links_from_the_map(world, as_member):
    response = as_member.get(reverse("roles:org-map", kwargs={"org": world.org.slug}))
    assert url("function-detail", world, function_id=world.team.id) in response.text


def test_function_page_access(world, client, as_outsider):
    target = url("function-detail", world, function_id=world.sales.id)
    assert client.get(target).status_code == 302
    assert as_outsider.get(target).status_code == 404


def test_function_of_another_org_is_404(world, other_world, as_admin):
    target = url("function-detail", world, function_id=other_world.sales.id)
    assert as_admin.get(target).status_code == 404


# Create -------------------------------------------------------------------------------
def test_manager_creates_a_sub_function(world, as_manager):
    response = as_manager.post(
        url("function-create", world) + f"?parent={world.sales.id}",
        {"name": "Key Account", "parent": world.sales.id, "head": world.manager.id},
    )
    created = m.Function.objects.get(org=world.org, name="Key Account")
    assert response.status_code == 302
    assert response["Location"] == url("function-detail", world, function_id=created.id)
    assert created.parent == world.sales and created.head == world.manager


def test_create_form_prefills_the_parent(world, as_manager):
    response = as_manager.get(url("function-create", world) + f"?parent={world.team.id}")
    assert response.status_code == 200
    assert f'<option value="{world.team.id}" selected>' in response.text


def test_manager_cannot_create_outside_their_functions(world, as_manager):
    target = url("function-create", world)
    assert as_manager.get(target + f"?parent={world.other.id}").status_code == 403
    response = as_manager.post(target, {"name": "Smuggel", "parent": world.other.id})
    assert response.status_code == 200
    assert "Choose a function of this organisation that you may edit." in response.text
    response = as_manager.post(target, {"name": "Toppnivå", "parent": ""})
    assert response.status_code == 200
    assert not m.Function.objects.filter(name__in=["Smuggel", "Toppnivå"]).exists()


def test_admin_creates_a_top_level_function(world, as_admin):
    response = as_admin.post(url("function-create", world), {"name": "Styrelse", "parent": ""})
    assert response.status_code == 302
    assert m.Function.objects.get(org=world.org, name="Styrelse").parent is None


def test_member_cannot_create(world, as_member):
    target = url("function-create", world) + f"?parent={world.team.id}"
    assert as_member.get(target).status_code == 403
    assert as_member.post(target, {"name": "X", "parent": world.team.id}).status_code == 403


def test_duplicate_name_is_a_form_error(world, as_admin):
    response = as_admin.post(
        url("function-create", world),
        {"name": world.sales.name.upper(), "parent": world.root.id},
    )
    assert response.status_code == 200
    assert "There is already a function called" in response.text
    assert m.Function.objects.filter(org=world.org).count() == 4


def test_same_name_in_another_org_is_fine(world, other_world, as_admin):
    response = as_admin.post(
        url("function-create", world), {"name": "Beta AB Försäljning", "parent": world.root.id}
    )
    assert response.status_code == 302


def test_head_from_another_org_is_refused(world, other_world, as_admin):
    response = as_admin.post(
        url("function-create", world),
        {"name": "Ny", "parent": world.root.id, "head": other_world.admin.id},
    )
    assert response.status_code == 200
    assert "Choose an active person of this organisation." in response.text
    assert not m.Function.objects.filter(name="Ny").exists()


def test_inactive_head_is_refused(world, as_admin):
    world.member.active = False
    world.member.save()
    response = as_admin.post(
        url("function-create", world),
        {"name": "Ny", "parent": world.root.id, "head": world.member.id},
    )
    assert "Choose an active person of this organisation." in response.text


def test_empty_and_overlong_names_are_refused(world, as_admin):
    for name in ["   ", "x" * 201]:
        response = as_admin.post(url("function-create", world), {"name": name, "parent": ""})
        assert response.status_code == 200
        assert "is-invalid" in response.text
    assert m.Function.objects.filter(org=world.org).count() == 4


# Edit and move -----------------------------------------------------------------------
def test_manager_renames_moves_and_sets_head(world, as_manager):
    sub = f.FunctionFactory(org=world.org, name="Sub", parent=world.team)
    response = as_manager.post(
        url("function-edit", world, function_id=sub.id),
        {"name": "Partner", "parent": world.sales.id, "head": world.member.id},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.name, sub.parent, sub.head) == ("Partner", world.sales, world.member)


def test_manager_edits_the_function_they_head_keeping_its_parent(world, as_manager):
    response = as_manager.post(
        url("function-edit", world, function_id=world.sales.id),
        {"name": "Sälj", "parent": world.root.id, "head": world.manager.id},
    )
    assert response.status_code == 302
    world.sales.refresh_from_db()
    assert world.sales.name == "Sälj" and world.sales.parent == world.root


def test_moving_below_itself_is_a_form_error(world, as_admin):
    for parent in (world.sales, world.team):
        response = as_admin.post(
            url("function-edit", world, function_id=world.sales.id),
            {"name": world.sales.name, "parent": parent.id},
        )
        assert response.status_code == 200
        assert "cannot be placed below itself" in response.text
    world.sales.refresh_from_db()
    assert world.sales.parent == world.root


def test_manager_outside_their_functions_cannot_edit(world, as_manager):
    target = url("function-edit", world, function_id=world.other.id)
    assert as_manager.get(target).status_code == 403
    assert as_manager.post(target, {"name": "X", "parent": world.root.id}).status_code == 403


def test_member_cannot_edit(world, as_member):
    target = url("function-edit", world, function_id=world.team.id)
    assert as_member.get(target).status_code == 403
    assert as_member.post(target, {"name": "X"}).status_code == 403


def test_edit_by_outsider_and_anonymous(world, client, as_outsider):
    target = url("function-edit", world, function_id=world.team.id)
    assert as_outsider.post(target, {"name": "X"}).status_code == 404
    assert client.get(target).status_code == 302


def test_rename_to_own_name_in_other_case_is_fine(world, as_admin):
    response = as_admin.post(
        url("function-edit", world, function_id=world.team.id),
        {"name": world.team.name.upper(), "parent": world.sales.id},
    )
    assert response.status_code == 302


# Delete -------------------------------------------------------------------------------
def test_delete_asks_then_deletes_an_empty_function(world, as_manager):
    empty = f.FunctionFactory(org=world.org, name="Tom", parent=world.team)
    target = url("function-delete", world, function_id=empty.id)
    response = as_manager.get(target)
    assert response.status_code == 200 and "Delete the function" in response.text
    response = as_manager.post(target)
    assert response.status_code == 302
    assert response["Location"] == url("function-detail", world, function_id=world.team.id)
    assert not m.Function.objects.filter(pk=empty.pk).exists()


def test_delete_refused_while_hats_or_sub_functions_remain(world, as_admin):
    target = url("function-delete", world, function_id=world.sales.id)
    f.HatFactory(org=world.org, function=world.sales, title="Säljchef")
    response = as_admin.get(target)
    assert "cannot be deleted yet" in response.text
    response = as_admin.post(target, follow=True)
    assert "still has 1 hat and 1 sub-function" in response.text
    assert "Move or delete them first" in response.text
    assert m.Function.objects.filter(pk=world.sales.pk).exists()


def test_delete_access(world, as_manager, as_member, as_outsider, client):
    target = url("function-delete", world, function_id=world.other.id)
    assert as_manager.post(target).status_code == 403
    assert as_member.post(target).status_code == 403
    assert as_outsider.post(target).status_code == 404
    assert client.post(target).status_code == 302
    assert m.Function.objects.filter(pk=world.other.pk).exists()


def test_buttons_follow_access(world, as_manager, as_member):
    edit = url("function-edit", world, function_id=world.team.id)
    assert edit in as_manager.get(url("function-detail", world, function_id=world.team.id)).text
    assert edit not in as_member.get(url("function-detail", world, function_id=world.team.id)).text
    other_edit = url("function-edit", world, function_id=world.other.id)
    page = as_manager.get(url("function-detail", world, function_id=world.other.id)).text
    assert other_edit not in page


def test_parent_choices_show_the_path(world, as_admin):
    response = as_admin.get(url("function-edit", world, function_id=world.team.id))
    assert f"{world.root.name} › {world.sales.name}" in response.text


def test_a_name_the_database_refuses_goes_back_to_the_form(world, as_admin, monkeypatch):
    """Two saves at once can both pass the form's check; the constraint decides."""
    from roles.forms.functions import FunctionForm

    monkeypatch.setattr(FunctionForm, "clean_name", lambda form: form.cleaned_data["name"])
    response = as_admin.post(
        url("function-create", world), {"name": world.other.name.lower(), "parent": ""}
    )
    assert response.status_code == 200
    assert "There is already a function called" in response.text
    assert m.Function.objects.filter(org=world.org).count() == 4
