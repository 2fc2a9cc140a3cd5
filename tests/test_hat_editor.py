"""The hat editor as one form: no button drops what was typed elsewhere on the
page; publishing shows its changes, refuses an unchanged hat and offers a
minor edit; the search-as-you-type suggestions stay inside the organisation."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roles import models as m
from roles.services import hats as service

from . import factories as f
from .test_hats_merge import grow, open_editor, url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def post(client, name, hat, data, **kwargs):
    return client.post(url(name, hat_id=hat.pk, **kwargs), data)


# No button drops typing ------------------------------------------------------------
def test_add_duty_saves_the_typed_purpose_too(world, as_manager):
    data = open_editor(as_manager, world.hat)
    data.update(purpose="Skrivet syfte", product="Skriven produkt", new_task="Ny uppgift")
    response = post(as_manager, "hat-duty-add", world.hat, data)
    assert response.status_code == 302
    world.hat.refresh_from_db()
    assert (world.hat.purpose, world.hat.product) == ("Skrivet syfte", "Skriven produkt")
    task = m.Task.objects.get(org=world.org, name="Ny uppgift")
    assert m.Responsibility.objects.filter(task=task, hat=world.hat, letter="R").exists()


def test_save_keeps_a_duty_and_a_note_typed_but_not_added(world, as_manager):
    data = open_editor(as_manager, world.hat)
    assignment = world.hat.assignments.get()
    data.update(purpose="Nytt", new_task="Halvfärdig uppgift")
    data[f"end{assignment.pk}-note"] = "Kunderna i norr"
    response = post(as_manager, "hat-edit", world.hat, data)
    assert response.status_code == 302
    page = as_manager.get(response.url).content.decode()
    assert 'value="Halvfärdig uppgift"' in page
    assert "Kunderna i norr</textarea>" in page
    assert "What you started typing below is kept" in page
    world.hat.refresh_from_db()
    assert world.hat.purpose == "Nytt"
    assert not m.Task.objects.filter(name="Halvfärdig uppgift").exists()
    assignment.refresh_from_db()
    assert assignment.ended is None


def test_add_wearer_with_an_invalid_field_keeps_everything(world, as_manager):
    newcomer = f.PersonFactory(org=world.org, name="Nykomling")
    data = open_editor(as_manager, world.hat)
    data.update(title="", purpose="Skrivet syfte", person=newcomer.pk, share=50)
    response = post(as_manager, "hat-wearer-add", world.hat, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Give the hat a title." in page
    assert "Skrivet syfte</textarea>" in page and 'value="50"' in page
    assert not world.hat.assignments.filter(person=newcomer).exists()


# Publishing -------------------------------------------------------------------------
def test_publish_with_typed_changes_saves_them_and_shows_the_diff_first(world, as_manager):
    service.publish_hat(world.hat, world.manager, "first")
    data = open_editor(as_manager, world.hat)
    data.update(purpose="Ett nytt syfte", note="Nytt syfte")
    response = post(as_manager, "hat-publish", world.hat, data)
    page = response.content.decode()
    assert world.hat.revisions.count() == 1  # nothing published unseen
    assert "check below what publishing will change" in page
    assert "Ett nytt syfte" in page[page.index('id="publish"') :]
    assert "Nytt syfte</textarea>" in page  # the change note is kept
    # Published from the page that showed the change: revision 2 holds it.
    data = open_editor(as_manager, world.hat)
    data["note"] = "Nytt syfte"
    response = post(as_manager, "hat-publish", world.hat, data)
    assert response.status_code == 302
    revision = world.hat.revisions.get(number=2)
    assert revision.snapshot["purpose"] == "Ett nytt syfte" and not revision.minor


def test_publish_with_nothing_changed_is_disabled_and_refused(world, as_manager):
    service.publish_hat(world.hat, world.manager, "first")
    page = as_manager.get(url("hat-edit", hat_id=world.hat.pk)).content.decode()
    button = re.search(r'<button type="submit" formaction="[^"]*/publish/"[^>]*>', page)[0]
    assert " disabled" in button
    assert "Nothing to publish" in page
    response = post(as_manager, "hat-publish", world.hat, open_editor(as_manager, world.hat))
    assert world.hat.revisions.count() == 1
    assert response.status_code == 302
    # From the revisions page (no editor fields) too.
    post(as_manager, "hat-publish", world.hat, {"note": "again"})
    assert world.hat.revisions.count() == 1
    with pytest.raises(service.NothingToPublish):
        service.publish_hat(world.hat, world.manager)
    with pytest.raises(service.NothingToPublish):
        service.save_minor_edit(world.hat, world.manager)


def test_a_page_that_showed_other_changes_publishes_nothing(world, as_manager):
    service.publish_hat(world.hat, world.manager, "first")
    service.save_hat(world.hat, {"purpose": "Mitt"}, world.hat.version, world.manager)
    data = open_editor(as_manager, world.hat)  # shows "Mitt"
    world.hat.refresh_from_db()
    service.save_hat(world.hat, {"notes": "Någon annans"}, world.hat.version, world.admin)
    response = post(as_manager, "hat-publish", world.hat, {**data, "notes": "Någon annans"})
    assert response.status_code == 409
    assert world.hat.revisions.count() == 1
    assert "Någon annans" in response.content.decode()


def test_minor_edit_does_not_ask_wearers_again(
    world, as_manager, as_member, django_capture_on_commit_callbacks
):
    service.publish_hat(world.hat, world.manager, "first")
    service.acknowledge(world.member, world.hat)
    data = open_editor(as_manager, world.hat)
    data.update(purpose="Att göra nytta, rättstavat.")
    post(as_manager, "hat-edit", world.hat, data)
    data = open_editor(as_manager, world.hat)
    data.update(kind="minor", note="Stavfel")
    response = post(as_manager, "hat-publish", world.hat, data)
    assert response.status_code == 302
    revision = world.hat.revisions.get(number=2)
    assert revision.minor and revision.snapshot["purpose"] == "Att göra nytta, rättstavat."
    me = as_member.get(url("me")).content.decode()
    assert "Att göra nytta, rättstavat." in me
    assert "I have read my hat" not in me
    # A new revision afterwards asks again.
    world.hat.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):  # raises the stamp: My hats is kept
        service.save_hat(world.hat, {"purpose": "Helt nytt"}, world.hat.version, world.manager)
        service.publish_hat(world.hat, world.manager, "Nytt syfte")
    me = as_member.get(url("me")).content.decode()
    assert "I have read my hat" in me and "Helt nytt" in me


def test_first_revision_cannot_be_a_minor_edit(world, as_manager):
    page = as_manager.get(url("hat-edit", hat_id=world.hat.pk)).content.decode()
    assert 'value="minor"' not in page
    data = {**open_editor(as_manager, world.hat), "kind": "minor"}
    post(as_manager, "hat-publish", world.hat, data)
    assert not world.hat.revisions.exists()
    with pytest.raises(Exception, match="first revision"):
        service.save_minor_edit(world.hat, world.manager)


# Reordering --------------------------------------------------------------------------
def test_rows_are_ordered_by_hidden_positions(world, as_manager):
    f.KPIFactory(hat=world.hat, name="Första", position=1)
    f.KPIFactory(hat=world.hat, name="Andra", position=2)
    page = as_manager.get(url("hat-edit", hat_id=world.hat.pk)).content.decode()
    assert 'type="hidden" name="kpis-0-position"' in page
    assert 'type="number" name="kpis-0-position"' not in page
    data = open_editor(as_manager, world.hat)
    data.update({"kpis-0-position": "2", "kpis-1-position": "1"})
    post(as_manager, "hat-edit", world.hat, data)
    assert list(world.hat.kpis.values_list("name", flat=True)) == ["Andra", "Första"]


# Suggestions -----------------------------------------------------------------------
def suggest(client, kind, q=""):
    response = client.get(url(f"suggest-{kind}"), {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_suggestions_stay_in_the_organisation(world, other_world, as_manager):
    m.Hat.objects.filter(pk=other_world.hat.pk).update(title="Betas hemliga hatt")
    m.Person.objects.filter(pk=other_world.member.pk).update(name="Betas hemliga person")
    assert suggest(as_manager, "hats", "hemliga") == []
    assert suggest(as_manager, "people", "hemliga") == []
    for kind, theirs, ours in (
        ("hats", other_world.hat, world.other_hat),
        ("people", other_world.member, world.member),
        ("tasks", other_world.task, world.task),
    ):
        ids = {r["id"] for r in suggest(as_manager, kind)}
        assert ours.pk in ids and theirs.pk not in ids, kind
    page = as_manager.get(url("hat-edit", hat_id=world.hat.pk)).content.decode()
    assert f'data-suggest="/o/alfa/suggest/hats/?exclude={world.hat.pk}"' in page
    found = as_manager.get(url("suggest-hats"), {"q": "", "exclude": world.hat.pk}).json()
    assert world.hat.pk not in {r["id"] for r in found["results"]}


def test_suggestions_need_a_manager_and_refuse_outsiders(world, as_member, as_outsider):
    assert as_member.get(url("suggest-hats"), {"q": "a"}).status_code == 403
    assert as_outsider.get(url("suggest-people"), {"q": "a"}).status_code == 404


def test_a_crafted_id_of_another_organisation_is_refused(world, other_world, as_manager):
    data = open_editor(as_manager, world.hat)
    data.update(purpose="Ska inte sparas", person=other_world.member.pk)
    response = post(as_manager, "hat-wearer-add", world.hat, data)
    assert response.status_code == 200
    assert "Choose an active person of this organisation." in response.content.decode()
    assert not world.hat.assignments.filter(person=other_world.member).exists()
    data["reports_to"] = other_world.hat.pk
    response = post(as_manager, "hat-edit", world.hat, {**data, "person": ""})
    assert "Choose another hat of this organisation" in response.content.decode()
    world.hat.refresh_from_db()
    assert world.hat.purpose != "Ska inte sparas" and world.hat.reports_to is None


def test_suggestions_are_capped_with_flat_queries(world, as_manager):
    def measure():
        with CaptureQueriesContext(connection) as ctx:
            results = [suggest(as_manager, kind, "") for kind in ("hats", "people", "tasks")]
        return results, len(ctx.captured_queries)

    _, small = measure()
    grow(world, tasks=300, people=300)
    (hats, people, tasks), large = measure()
    assert large == small
    assert len(people) == len(tasks) == 20
    found = suggest(as_manager, "people", "person 00299")
    assert [r["label"] for r in found] == ["Person 00299"]
    assert suggest(as_manager, "tasks", "uppgift 00123")[0]["label"].endswith("Uppgift 00123")


def test_duties_reorder_among_themselves_and_other_tasks_keep_their_place(world, as_manager):
    area = world.task.area
    m.Task.objects.filter(pk=world.task.pk).update(position=1)
    between = f.TaskFactory(org=world.org, area=area, name="Någon annans", position=2)
    later = f.TaskFactory(org=world.org, area=area, name="Ringa kunder", position=3)
    f.ResponsibilityFactory(org=world.org, task=later, hat=world.hat, letter="A")
    data = open_editor(as_manager, world.hat)
    assert data["duty_order"] == str(later.pk)  # the parser keeps the last of a name
    response = as_manager.post(
        url("hat-edit", hat_id=world.hat.pk),
        {**data, "duty_order": [str(later.pk), str(world.task.pk), "²", "x"]},
    )
    assert response.status_code == 302
    order = list(m.Task.objects.filter(area=area).order_by("position", "pk"))
    assert order == [later, between, world.task]
    snapshot = service.snapshot_hat(world.hat)
    assert [d["task"] for d in snapshot["duties"]] == ["Ringa kunder", world.task.name]


def test_publishing_keeps_a_duty_typed_but_not_added(world, as_manager):
    service.publish_hat(world.hat, world.manager, "first")
    service.save_hat(world.hat, {"purpose": "Nytt"}, world.hat.version, world.manager)
    data = {**open_editor(as_manager, world.hat), "note": "Nytt syfte", "new_task": "Halvskriven"}
    response = post(as_manager, "hat-publish", world.hat, data)
    assert world.hat.revisions.filter(number=2, note="Nytt syfte").exists()
    page = as_manager.get(response.url).content.decode()
    assert 'value="Halvskriven"' in page
    assert "Nytt syfte</textarea>" not in page  # published: the note is spent
