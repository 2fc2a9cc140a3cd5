"""The most read pages keep their content until the organisation's next write
(roles.pagecache): a reader never sees a page older than the last write, never
another person's page, and a kept form still works in each of their browsers."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from roles import models as m
from roles.services import hats as hat_services

from .conftest import client_for

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"roles:{name}", kwargs={"org": world.org.slug, **kwargs})


def pages(world):
    return {
        "me": url("me", world),
        "hat": url("hat-detail", world, hat_id=world.hat.id),
        "function": url("function-detail", world, function_id=world.team.id),
        "matrix": url("matrix", world),
    }


def test_a_page_is_kept_until_a_write_request_and_then_read_afresh(world, as_member, as_admin):
    seen = pages(world)
    for name, address in seen.items():
        assert "Innesälj" in as_member.get(address).text, name
    # A change no request made (as a shell would, without raising the stamp) is
    # not seen: the pages are kept.
    m.Function.objects.filter(pk=world.team.pk).update(name="Fältsälj")
    m.Hat.objects.filter(pk=world.hat.pk).update(title="Fältsäljare")
    for name, address in seen.items():
        assert "Fältsälj" not in as_member.get(address).text, name
    # Any write request to the organisation, by anyone, lets them all go.
    assert as_admin.post(url("org-settings", world), {}).status_code in (200, 302)
    for name, address in seen.items():
        assert "Fältsälj" in as_member.get(address).text, name


def test_a_save_through_the_model_lets_the_pages_go_once_committed(
    world, as_member, django_capture_on_commit_callbacks
):
    address = url("hat-detail", world, hat_id=world.hat.id)
    assert "Boka kvalificerade" not in as_member.get(address).text
    with django_capture_on_commit_callbacks(execute=True):
        world.hat.purpose = "Boka kvalificerade möten"
        world.hat.save()
    assert "Boka kvalificerade möten" in as_member.get(address).text


def test_each_person_reads_their_own_page(world, as_member, as_manager):
    address = url("me", world)
    assert "Innesäljare" in as_member.get(address).text
    # The manager wears no hat: the member's kept page is not theirs.
    assert "You wear no hat yet" in as_manager.get(address).text
    assert "You wear no hat yet" not in as_member.get(address).text


def test_the_language_is_part_of_the_page(world, as_member, settings):
    address = url("me", world)
    # The heading is the page's own content, not the navigation's.
    assert '<h1 class="h3">My hats</h1>' in as_member.get(address).text
    as_member.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert '<h1 class="h3">Mina hattar</h1>' in as_member.get(address).text


def token_of(page, action):
    """The CSRF token of the form that posts to `action` (the page's own, not
    one of the navigation's)."""
    form = re.search(rf'<form method="post" action="{action}">(.*?)</form>', page, re.S)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(1)).group(1)


def test_a_kept_form_works_in_each_of_a_persons_browsers(world):
    hat_services.publish_hat(world.hat, world.manager, "first")
    address, confirm = url("me", world), url("me-acknowledge", world, hat_id=world.hat.id)
    browsers = []
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(world.member.user)
        browsers.append(browser)
    first, second = (token_of(b.get(address).text, confirm) for b in browsers)
    # The second browser confirms with the token its own page gave it.
    response = browsers[1].post(confirm, {"csrfmiddlewaretoken": second})
    assert response.status_code == 302
    assert m.Acknowledgement.objects.filter(person=world.member, hat=world.hat).count() == 1
    assert first  # the first browser's page was kept under its own secret


def test_a_message_is_shown_once_not_kept_with_the_page(world, as_member):
    hat_services.publish_hat(world.hat, world.manager, "first")
    confirm = url("me-acknowledge", world, hat_id=world.hat.id)
    assert "You confirmed revision 1" in as_member.post(confirm, follow=True).text
    assert "You confirmed revision 1" not in as_member.get(url("me", world)).text


def test_the_bell_is_counted_on_every_page_not_kept(world, as_member):
    address = url("me", world)
    assert "data-unread" not in as_member.get(address).text
    m.Notification.objects.create(org=world.org, person=world.member, kind="revision", url="/")
    assert 'data-unread="1"' in as_member.get(address).text


def test_another_organisations_kept_page_is_never_served(world, other_world):
    outsider = client_for(other_world.admin)
    member = client_for(world.member)
    address = url("hat-detail", world, hat_id=world.hat.id)
    assert member.get(address).status_code == 200
    assert outsider.get(address).status_code == 404


def test_the_admins_bulk_delete_and_an_organisation_saved_raise_the_stamp(
    world, django_capture_on_commit_callbacks
):
    from django.contrib import admin

    stamp = m.Organisation.objects.get(pk=world.org.pk).stamp
    area = m.Area.objects.create(org=world.org, name="Tom")
    with django_capture_on_commit_callbacks(execute=True):
        admin.site._registry[m.Area].delete_queryset(None, m.Area.objects.filter(pk=area.pk))
    assert m.Organisation.objects.get(pk=world.org.pk).stamp == stamp + 1
    with django_capture_on_commit_callbacks(execute=True):
        world.org.week_ends = 5
        world.org.save()
    assert m.Organisation.objects.get(pk=world.org.pk).stamp == stamp + 2
