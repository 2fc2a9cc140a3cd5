"""Whole-organisation backup: export, restore under another slug, export again."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from roles import models as m
from roles.interchange.backup import export_org, import_org
from roles.services.hats import acknowledge, publish_hat

from . import factories as f


def dump(slug):
    out = io.StringIO()
    call_command("export_org", slug, stdout=out)
    return json.loads(out.getvalue())


def without_slug(document):
    document = json.loads(json.dumps(document))
    document["organisation"].pop("slug")
    return document


@pytest.fixture
def full(world):
    """The world with some history: a revision, an acknowledgement, a KPI, a checklist."""
    f.KPIFactory(hat=world.hat)
    m.ChecklistItem.objects.create(hat=world.hat, text="Läs säljhandboken")
    publish_hat(world.hat, world.admin, "first")
    acknowledge(world.member, world.hat)
    m.CellChange.objects.create(
        org=world.org, task=world.task, hat=world.hat, author=world.admin, old="", new="R"
    )
    m.Handover.objects.create(org=world.org, hat=world.hat, outgoing=world.member, note="Bye")
    world.sales.refresh_from_db()
    return world


def test_export_has_everything_and_no_passwords(full):
    document = dump(full.org.slug)
    assert document["format"] == "hatta-org" and document["version"] == 1
    tables = document["tables"]
    for name in (
        "person",
        "function",
        "hat",
        "kpi",
        "checklistitem",
        "area",
        "task",
        "responsibility",
        "assignment",
        "hatrevision",
        "acknowledgement",
        "handover",
        "cellchange",
    ):
        assert tables[name], name
    text = json.dumps(document)
    assert "pbkdf2" not in text and "argon2" not in text and "password" not in text
    assert {u["email"] for u in document["users"]} == {
        full.admin.email,
        full.manager.email,
        full.member.email,
    }


def test_round_trip_under_a_new_slug(full, other_world, tmp_path):
    first = dump(full.org.slug)
    path = tmp_path / "org.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    call_command("import_org", str(path), "--slug", "alfa-copy", stdout=io.StringIO())
    copy = m.Organisation.objects.get(slug="alfa-copy")
    assert without_slug(dump("alfa-copy")) == without_slug(first)
    # the copy is a separate organisation with its own rows
    assert m.Hat.objects.for_org(copy).count() == m.Hat.objects.for_org(full.org).count()
    assert not set(m.Hat.objects.for_org(copy).values_list("id", flat=True)) & set(
        m.Hat.objects.for_org(full.org).values_list("id", flat=True)
    )
    copied = m.Person.objects.for_org(copy).get(email=full.member.email)
    assert copied.user == full.member.user
    # the other organisation is untouched
    assert m.Hat.objects.for_org(other_world.org).count() == 2


def test_existing_slug_is_refused_unless_replace(full, tmp_path):
    path = tmp_path / "org.json"
    path.write_text(json.dumps(dump(full.org.slug)), encoding="utf-8")
    before = m.Hat.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        call_command("import_org", str(path), stdout=io.StringIO())
    assert m.Hat.objects.count() == before
    m.Hat.objects.for_org(full.org).filter(pk=full.other_hat.pk).update(title="Changed")
    call_command("import_org", str(path), "--replace", stdout=io.StringIO())
    org = m.Organisation.objects.get(slug=full.org.slug)
    assert m.Hat.objects.for_org(org).filter(title="Ekonomichef").exists()
    assert without_slug(dump(full.org.slug)) == without_slug(json.loads(path.read_text()))


def test_new_logins_get_no_usable_password(full):
    document = export_org(full.org)
    for user in document["users"]:
        user["email"] = "new-" + user["email"]
    for person in document["tables"]["person"]:
        if person["user"]:
            person["user"] = "new-" + person["user"]
    import_org(document, slug="fresh")
    user = m.User.objects.get(email="new-" + full.admin.email)
    assert not user.has_usable_password()


def test_bad_documents_are_refused(tmp_path, db):
    for content in (
        "not json",
        json.dumps({"format": "other"}),
        json.dumps({"format": "hatta-org", "version": 99}),
    ):
        path = tmp_path / "bad.json"
        path.write_text(content)
        with pytest.raises(CommandError):
            call_command("import_org", str(path), stdout=io.StringIO())
    assert not m.Organisation.objects.exists()
