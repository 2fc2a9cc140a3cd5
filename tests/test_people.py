"""The people list, the person view and the people writes."""

import re

import pytest
from django.urls import reverse

from roles import models as m
from roles.services import hats as hat_services

from . import factories as f
from .conftest import client_for, make_person
from .jobs_helpers import drain

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"roles:{name}", kwargs={"org": world.org.slug, **kwargs})


def row_of(html, name):
    """The table row (<tr>…</tr>) that mentions `name`."""
    for row in re.findall(r"<tr.*?</tr>", html, re.S):
        if name in row:
            return row
    raise AssertionError(f"no row for {name}")


# The list ------------------------------------------------------------------------------
def test_people_list_shows_hats_share_and_counts(world, as_member):
    extra = f.HatFactory(org=world.org, function=world.team, title="Kundvårdare")
    f.AssignmentFactory(org=world.org, hat=extra, person=world.member, share=30)
    task2 = f.TaskFactory(org=world.org, area=world.area, name="Följa upp")
    f.ResponsibilityFactory(org=world.org, task=task2, hat=extra, letter="A")
    f.ResponsibilityFactory(org=world.org, task=task2, hat=world.hat, letter="A")
    response = as_member.get(url("people", world))
    assert response.status_code == 200
    row = row_of(response.text, world.member.name)
    assert "Innesäljare" in row and "Kundvårdare" in row
    assert "130 %" in row and "over 100 %" in row  # flagged in words, not colour only
    cells = re.findall(r'<td class="text-end">(\d+)', row)
    assert cells == ["130", "1", "1"]  # share, A tasks (one task, two hats), R tasks
    assert "Confirmed" not in response.text  # members do not see confirmations


def test_a_hat_worn_with_no_share_reads_share_not_set(world, as_member):
    wearer = f.PersonFactory(org=world.org, name="Utan Andel")
    f.AssignmentFactory(org=world.org, hat=world.hat, person=wearer, share=None)
    row = row_of(as_member.get(url("people", world)).text, "Utan Andel")
    assert "share not set" in row and "0 %" not in row


def test_people_list_access(world, client, as_outsider):
    assert client.get(url("people", world)).status_code == 302
    assert as_outsider.get(url("people", world)).status_code == 404


def test_people_filter_by_function_includes_sub_functions(world, as_member):
    response = as_member.get(url("people", world) + f"?function={world.sales.id}")
    text = response.text
    assert world.member.name in text  # wears a hat in team, below sales
    assert world.manager.name in text  # heads sales
    assert world.admin.name not in text


def test_people_filter_ignores_foreign_or_bad_function(world, other_world, as_member):
    for value in [str(other_world.sales.id), "abc", "99999999999999999999"]:
        response = as_member.get(url("people", world) + f"?function={value}")
        assert response.status_code == 200
        assert world.admin.name in response.text


def test_managers_see_who_confirmed_their_hats(world, as_manager, as_admin):
    hat_services.publish_hat(world.hat, world.manager, "first")
    hat_services.publish_hat(world.other_hat, world.admin, "first")
    f.AssignmentFactory(org=world.org, hat=world.other_hat, person=world.member)
    row = row_of(as_manager.get(url("people", world)).text, world.member.name)
    assert "0 of 1 hats confirmed" in row  # other_hat is outside the manager's functions
    assert "Not confirmed" in row and "Innesäljare" in row
    hat_services.acknowledge(world.member, world.hat)
    row = row_of(as_manager.get(url("people", world)).text, world.member.name)
    assert "1 of 1 hats confirmed" in row
    row = row_of(as_admin.get(url("people", world)).text, world.member.name)
    assert "1 of 2 hats confirmed" in row and "Ekonomichef" in row


# The person view ---------------------------------------------------------------------------
def test_person_view_lists_hats_and_tasks_with_letters(world, as_member):
    t2 = f.TaskFactory(org=world.org, area=world.area, name="Skicka offert")
    t3 = f.TaskFactory(org=world.org, area=None, name="Månadsrapport")
    f.ResponsibilityFactory(org=world.org, task=t2, hat=world.hat, letter="A")
    f.ResponsibilityFactory(org=world.org, task=t2, hat=world.hat, letter="R")
    f.ResponsibilityFactory(org=world.org, task=t3, hat=world.hat, letter="I")
    response = as_member.get(url("person-detail", world, person_id=world.member.id))
    assert response.status_code == 200
    text = response.text
    assert "Innesäljare" in text and "Boka möten" in text and "Skicka offert" in text
    assert "Without area" in text and "Månadsrapport" in text
    assert '<strong class="raci-letters">A/R</strong>' in text
    assert (
        "Accountable (A) for 1, responsible (R) for 2, consulted (C) on 0, informed (I) of 1"
        in (text)
    )
    assert "not published yet" in text


def test_person_view_shows_acknowledgement_status(world, as_manager):
    hat_services.publish_hat(world.hat, world.manager)
    target = url("person-detail", world, person_id=world.member.id)
    assert "Revision 1 not confirmed yet" in as_manager.get(target).text
    hat_services.acknowledge(world.member, world.hat)
    assert "Confirmed revision 1 on" in as_manager.get(target).text
    world.hat.purpose = "Ändrat syfte"
    world.hat.save()
    hat_services.publish_hat(world.hat, world.manager)
    assert "Revision 2 not confirmed yet (confirmed revision 1)" in as_manager.get(target).text


def test_person_view_access(world, other_world, client, as_outsider, as_admin):
    target = url("person-detail", world, person_id=world.member.id)
    assert client.get(target).status_code == 302
    assert as_outsider.get(target).status_code == 404
    foreign = url("person-detail", world, person_id=other_world.member.id)
    assert as_admin.get(foreign).status_code == 404


# Adding people ------------------------------------------------------------------------------
def test_admin_adds_a_person_with_an_access_level(world, as_admin):
    response = as_admin.post(
        url("person-create", world),
        {"name": "Nina Ny", "email": "Nina@Example.com", "access": "manager"},
    )
    person = m.Person.objects.get(org=world.org, name="Nina Ny")
    assert response.status_code == 302
    assert (person.email, person.access, person.user) == ("nina@example.com", "manager", None)


def test_manager_adds_a_member_wearing_a_hat(world, as_manager):
    response = as_manager.post(
        url("person-create", world),
        {
            "name": "Olle Ny",
            "email": "olle@example.com",
            "access": "admin",  # ignored: managers add members
            "hat": world.hat.id,
            "share": 40,
        },
    )
    assert response.status_code == 302
    person = m.Person.objects.get(org=world.org, name="Olle Ny")
    assert person.access == "member"
    assignment = person.assignments.get()
    assert (assignment.hat, assignment.share, assignment.ended) == (world.hat, 40, None)


def test_manager_cannot_put_a_hat_outside_their_functions(world, other_world, as_manager):
    for hat in (world.other_hat, other_world.hat):
        response = as_manager.post(
            url("person-create", world),
            {"name": "Olle", "email": "olle@example.com", "hat": hat.id},
        )
        assert response.status_code == 200
        assert "Choose a hat in a function you may edit." in response.text
    assert not m.Person.objects.filter(name="Olle").exists()


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("A-MEMBER@example.com", "already belongs to someone in this organisation"),
        ("not-an-email", 'id="error_1_id_email"'),
        ("", 'id="error_1_id_email"'),
    ],
)
def test_bad_email_is_a_form_error(world, as_admin, email, message):
    before = m.Person.objects.count()
    response = as_admin.post(
        url("person-create", world), {"name": "X", "email": email, "access": "member"}
    )
    assert response.status_code == 200
    assert message in response.text
    assert m.Person.objects.count() == before


def test_same_email_in_another_org_is_fine(world, other_world, as_admin):
    response = as_admin.post(
        url("person-create", world),
        {"name": "Dubbel", "email": other_world.member.email, "access": "member"},
    )
    assert response.status_code == 302


def test_share_out_of_range_is_refused(world, as_manager):
    for share in (0, 150):
        response = as_manager.post(
            url("person-create", world),
            {"name": "Olle", "email": "olle@example.com", "hat": world.hat.id, "share": share},
        )
        assert response.status_code == 200
        assert "is-invalid" in response.text
    assert not m.Person.objects.filter(name="Olle").exists()


def test_member_cannot_add_people(world, as_member, as_outsider, client):
    target = url("person-create", world)
    data = {"name": "X", "email": "x@example.com"}
    assert as_member.get(target).status_code == 403
    assert as_member.post(target, data).status_code == 403
    assert as_outsider.post(target, data).status_code == 404
    assert client.post(target, data).status_code == 302
    assert not m.Person.objects.filter(email="x@example.com").exists()


# Editing -----------------------------------------------------------------------------------
def test_admin_edits_a_person(world, as_admin):
    response = as_admin.post(
        url("person-edit", world, person_id=world.member.id),
        {"name": "Ny Namn", "email": "ny@example.com", "access": "manager", "active": "on"},
    )
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert (world.member.name, world.member.email, world.member.access) == (
        "Ny Namn",
        "ny@example.com",
        "manager",
    )


def test_edit_refuses_a_duplicate_email(world, as_admin):
    response = as_admin.post(
        url("person-edit", world, person_id=world.member.id),
        {"name": "X", "email": world.manager.email.upper(), "access": "member", "active": "on"},
    )
    assert "already belongs to someone in this organisation" in response.text


def test_last_admin_cannot_demote_or_deactivate_themselves(world, as_admin):
    target = url("person-edit", world, person_id=world.admin.id)
    data = {
        "name": world.admin.name,
        "email": world.admin.email,
        "access": "member",
        "active": "on",
    }
    response = as_admin.post(target, data)
    assert response.status_code == 200
    assert "last admin" in response.text
    response = as_admin.post(target, {**data, "access": "admin", "active": ""})
    assert "last admin" in response.text
    response = as_admin.post(url("person-deactivate", world, person_id=world.admin.id), follow=True)
    assert "last admin" in response.text
    world.admin.refresh_from_db()
    assert world.admin.access == "admin" and world.admin.active


def test_an_admin_may_step_down_when_another_admin_remains(world, as_admin):
    make_person(world.org, "admin", "second-admin@example.com", "Andra Admin")
    response = as_admin.post(
        url("person-edit", world, person_id=world.admin.id),
        {"name": world.admin.name, "email": world.admin.email, "access": "manager", "active": "on"},
    )
    assert response.status_code == 302
    world.admin.refresh_from_db()
    assert world.admin.access == "manager"


def test_only_admins_edit_people(world, as_manager, as_member, as_outsider):
    target = url("person-edit", world, person_id=world.member.id)
    assert as_manager.get(target).status_code == 403
    assert as_member.post(target, {"name": "X"}).status_code == 403
    assert as_outsider.get(target).status_code == 404


# Inviting -----------------------------------------------------------------------------------
def test_invite_creates_a_login_and_sends_a_single_use_link(world, as_admin, client, mailoutbox):
    person = f.PersonFactory(org=world.org, name="Ny Person", email="ny@example.com")
    response = as_admin.post(url("person-invite", world, person_id=person.id))
    assert response.status_code == 302
    drain()
    person.refresh_from_db()
    assert person.user is not None and not person.user.has_usable_password()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ny@example.com"]
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mailoutbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "en-bra-lösen-42", "password2": "en-bra-lösen-42"}
    )
    assert response.status_code == 302
    person.user.refresh_from_db()
    assert person.user.check_password("en-bra-lösen-42")
    # Single use: the same link no longer works.
    response = client.get(path, follow=True)
    assert "This link no longer works" in response.text


def test_invite_of_someone_with_a_login_sends_a_sign_in_link(world, as_admin, mailoutbox):
    response = as_admin.post(url("person-invite", world, person_id=world.member.id))
    assert response.status_code == 302
    drain()
    assert "/accounts/login/" in mailoutbox[0].body
    assert "/accounts/password/reset/" not in mailoutbox[0].body


def test_invite_of_an_existing_login_waits_for_its_consent(world, other_world, as_admin):
    person = f.PersonFactory(org=world.org, name="Konsult", email=other_world.member.email)
    as_admin.post(url("person-invite", world, person_id=person.id))
    person.refresh_from_db()
    assert person.user is None
    invitation = m.Invitation.objects.get(person=person)
    assert invitation.user == other_world.member.user and invitation.status == "pending"


def test_invite_access(world, as_manager, as_member, as_outsider, client, mailoutbox):
    assert (
        as_manager.post(url("person-invite", world, person_id=world.member.id)).status_code == 302
    )
    assert as_manager.post(url("person-invite", world, person_id=world.admin.id)).status_code == 403
    target = url("person-invite", world, person_id=world.member.id)
    assert as_member.post(target).status_code == 403
    assert as_outsider.post(target).status_code == 404
    assert client.post(target).status_code == 302
    assert as_manager.get(target).status_code == 405
    drain()
    assert len(mailoutbox) == 1


# Deactivating --------------------------------------------------------------------------------
def test_deactivate_ends_assignments_keeps_history_and_locks_out_at_once(world, as_admin):
    member_client = client_for(world.member)
    assert member_client.get(url("me", world)).status_code == 200
    target = url("person-deactivate", world, person_id=world.member.id)
    response = as_admin.get(target)
    assert response.status_code == 200 and "Innesäljare" in response.text
    response = as_admin.post(target)
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert not world.member.active
    assignment = m.Assignment.objects.get(person=world.member, hat=world.hat)
    assert assignment.ended is not None  # kept, ended
    assert m.Hat.objects.filter(pk=world.hat.pk).exists()
    assert m.Responsibility.objects.filter(hat=world.hat).exists()
    # The hat is vacant now.
    page = as_admin.get(url("function-detail", world, function_id=world.team.id)).text
    assert "vacant" in page
    # The already signed-in session no longer opens the organisation.
    assert member_client.get(url("me", world)).status_code == 404
    assert (
        member_client.get(reverse("roles:org-map", kwargs={"org": world.org.slug})).status_code
        == 404
    )
    # The person page still shows who they were and what they wore.
    page = as_admin.get(url("person-detail", world, person_id=world.member.id)).text
    assert "inactive" in page and "Hats worn before" in page


def test_deactivate_access(world, as_manager, as_member, as_outsider, client):
    target = url("person-deactivate", world, person_id=world.member.id)
    assert as_manager.post(target).status_code == 403
    assert as_member.post(target).status_code == 403
    assert as_outsider.post(target).status_code == 404
    assert client.post(target).status_code == 302
    world.member.refresh_from_db()
    assert world.member.active


def test_deactivating_a_head_leaves_their_functions_without_head(world, as_admin):
    make_person(world.org, "admin", "second-admin@example.com", "Andra Admin")
    target = url("person-deactivate", world, person_id=world.manager.id)
    assert world.sales.name in as_admin.get(target).text
    as_admin.post(target)
    world.sales.refresh_from_db()
    assert world.sales.head is None


def test_adding_with_invite_sends_the_link_at_once(world, as_manager, mailoutbox):
    response = as_manager.post(
        url("person-create", world),
        {"name": "Petra Ny", "email": "petra@example.com", "invite": "on"},
        follow=True,
    )
    assert "Invitation sent to petra@example.com" in response.text
    drain()
    assert mailoutbox[0].to == ["petra@example.com"]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    assert world.org.name in mailoutbox[0].subject


def test_invite_of_an_inactive_person_is_refused(world, as_admin, mailoutbox):
    person = f.PersonFactory(org=world.org, name="Borta", email="borta@example.com", active=False)
    response = as_admin.post(url("person-invite", world, person_id=person.id), follow=True)
    assert "is inactive" in response.text
    drain()
    assert not mailoutbox
