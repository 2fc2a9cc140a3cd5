"""My hats: what a wearer reads, and "I have read my hat"."""

import pytest
from django.urls import reverse

from roles import models as m
from roles.services import hats as hat_services

from . import factories as f

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"roles:{name}", kwargs={"org": world.org.slug, **kwargs})


def fill_hat(world):
    hat = world.hat
    hat.purpose, hat.product, hat.authority = "Boka möten", "Möten i kalendern", "Ge rabatt 5 %"
    hat.reports_to = world.other_hat
    hat.save()
    f.KPIFactory(hat=hat, name="Bokade möten", target="12", unit="st", period="vecka")
    m.ChecklistItem.objects.create(hat=hat, text="Lär dig CRM")
    consulted = f.TaskFactory(org=world.org, area=world.area, name="Budget")
    f.ResponsibilityFactory(org=world.org, task=consulted, hat=hat, letter="C")
    return hat


def test_my_hats_shows_live_data_with_a_note_before_publishing(world, as_member):
    fill_hat(world)
    response = as_member.get(url("me", world))
    assert response.status_code == 200
    text = response.text
    for expected in [
        "Innesäljare",
        "Boka möten",
        "Möten i kalendern",
        "Ge rabatt 5 %",
        "Ekonomichef",  # reports to
        "Bokade möten: 12 st / vecka",
        "Lär dig CRM",
        "Budget",
        "100 % of your time",
        "Not published yet",
    ]:
        assert expected in text, expected
    assert "I have read my hat" not in text
    assert (
        "Accountable (A) for 0, responsible (R) for 1, consulted (C) on 1, informed (I) of 0"
        in (text)
    )


def test_my_hats_reads_the_published_revision(world, as_member):
    fill_hat(world)
    hat_services.publish_hat(world.hat, world.manager, "first")
    world.hat.purpose = "Opublicerat syfte"
    world.hat.save()
    text = as_member.get(url("me", world)).text
    assert "Boka möten" in text and "Opublicerat syfte" not in text
    assert "Revision 1 of" in text and "I have read my hat" in text


def test_acknowledgement_round_trip_asks_again_and_lists_changes(
    world, as_member, django_capture_on_commit_callbacks
):
    fill_hat(world)
    hat_services.publish_hat(world.hat, world.manager, "first")
    ack = url("me-acknowledge", world, hat_id=world.hat.id)
    response = as_member.post(ack, follow=True)
    assert "You confirmed revision 1" in response.text
    assert "Confirmed revision 1 on" in response.text
    assert "I have read my hat" not in response.text
    assert m.Acknowledgement.objects.filter(person=world.member, revision__number=1).exists()

    with django_capture_on_commit_callbacks(execute=True):  # raises the stamp: My hats is kept
        world.hat.purpose = "Boka kvalificerade möten"
        world.hat.save()
        f.KPIFactory(hat=world.hat, name="Vunna affärer", target="3")
        hat_services.publish_hat(world.hat, world.manager, "second")
    text = as_member.get(url("me", world)).text
    assert "Revision 2 is new: you confirmed revision 1" in text
    assert "Boka kvalificerade möten" in text and "Vunna affärer" in text
    assert "I have read my hat" in text

    response = as_member.post(ack, follow=True)
    assert "Confirmed revision 2 on" in response.text
    assert "Revision 2 is new" not in response.text
    assert m.Acknowledgement.objects.filter(person=world.member, hat=world.hat).count() == 2


def test_acknowledging_an_unpublished_hat_records_nothing(world, as_member):
    response = as_member.post(url("me-acknowledge", world, hat_id=world.hat.id), follow=True)
    assert "nothing to confirm" in response.text
    assert not m.Acknowledgement.objects.exists()


def test_only_hats_one_wears_can_be_acknowledged(world, other_world, as_member, as_manager):
    hat_services.publish_hat(world.other_hat, world.admin)
    hat_services.publish_hat(world.hat, world.admin)
    assert (
        as_member.post(url("me-acknowledge", world, hat_id=world.other_hat.id)).status_code == 404
    )
    assert (
        as_member.post(url("me-acknowledge", world, hat_id=other_world.hat.id)).status_code == 404
    )
    assert as_manager.post(url("me-acknowledge", world, hat_id=world.hat.id)).status_code == 404
    assignment = m.Assignment.objects.get(person=world.member, hat=world.hat)
    assignment.ended = assignment.started
    assignment.save()
    assert as_member.post(url("me-acknowledge", world, hat_id=world.hat.id)).status_code == 404
    assert not m.Acknowledgement.objects.exists()


def test_my_hats_access(world, client, as_outsider):
    assert client.get(url("me", world)).status_code == 302
    assert as_outsider.get(url("me", world)).status_code == 404
    target = url("me-acknowledge", world, hat_id=world.hat.id)
    assert client.post(target).status_code == 302
    assert as_outsider.post(target).status_code == 404


def test_my_hats_without_hats(world, as_manager):
    response = as_manager.get(url("me", world))
    assert "You wear no hat yet" in response.text


def test_nav_links_to_my_hats_and_people(world, as_member):
    text = as_member.get(url("me", world)).text
    assert f'href="{url("me", world)}"' in text and f'href="{url("people", world)}"' in text
