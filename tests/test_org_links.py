"""No row links two organisations, whatever path wrote it: the bulk writes
(bulk_create, bulk_update, update) make the check save() makes, and each path
that writes in bulk (the import, the backup restore, the cell service) is
tried with a link into another organisation."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from roles import models as m
from roles.interchange import importer
from roles.interchange.backup import BackupError, export_org, import_org
from roles.interchange.reader import read_sheet
from roles.services import cells

from .test_models import Rows, org_links

LINKS = [pytest.param(mo, fi, id=f"{mo.__name__}.{fi.name}") for mo, fi in org_links()]


def nothing_links(model, world, field, foreign):
    return not model.objects.filter(org=world.org, **{field.attname: foreign.pk}).exists()


@pytest.mark.parametrize(("model", "field"), LINKS)
def test_bulk_create_refuses_a_foreign_link(world, other_world, model, field):
    mine, theirs = Rows(world), Rows(other_world)
    control = mine.build(model)
    setattr(control, field.name, mine.row(field.related_model))
    model.objects.bulk_create([control])  # a link inside the organisation is fine

    foreign = theirs.row(field.related_model)
    for by_id in (False, True):
        obj = mine.build(model)
        if by_id:  # only the id, nothing cached: checked against the database
            setattr(obj, field.attname, foreign.pk)
        else:
            setattr(obj, field.name, foreign)
        with pytest.raises(ValidationError) as caught, transaction.atomic():
            model.objects.bulk_create([mine.build(model), obj])
        assert caught.value.code == "cross_org"
    assert nothing_links(model, world, field, foreign)


@pytest.mark.parametrize(("model", "field"), LINKS)
def test_bulk_update_and_update_refuse_a_foreign_link(world, other_world, model, field):
    mine, theirs = Rows(world), Rows(other_world)
    obj = mine.build(model)
    obj.save()
    foreign = theirs.row(field.related_model)
    setattr(obj, field.attname, foreign.pk)
    with pytest.raises(ValidationError), transaction.atomic():
        model.objects.bulk_update([obj], [field.name])
    for value in (foreign, foreign.pk):
        with pytest.raises(ValidationError), transaction.atomic():
            model.objects.filter(pk=obj.pk).update(**{field.name: value})
    assert nothing_links(model, world, field, foreign)
    # Inside the organisation: fine.
    model.objects.filter(pk=obj.pk).update(**{field.name: mine.row(field.related_model)})


def test_the_import_refuses_a_hat_of_another_organisation(world, other_world):
    data = f"Task,{world.hat.title}\nNy uppgift,R\n".encode()
    plan = importer.plan(world.org, read_sheet(data, "s.csv"))
    assert plan.hat_ids == [world.hat.id]
    plan.hat_ids[0] = other_world.hat.id  # as if the plan had read the wrong rows
    with pytest.raises(ValidationError):
        importer.apply(plan)
    assert not m.Task.objects.for_org(world.org).filter(name="Ny uppgift").exists()
    assert not m.Responsibility.objects.filter(org=world.org, hat=other_world.hat).exists()


def test_the_cell_service_refuses_a_hat_of_another_organisation(world, other_world):
    with pytest.raises(ValueError):  # the service's own guard
        cells.set_cell(world.task, other_world.hat, "R")
    # Past that guard, the write itself still refuses.
    with pytest.raises(ValidationError), transaction.atomic():
        task, row = cells.lock_and_read(world.task, world.org.id)
        cells.write_cell(task, other_world.hat, frozenset("R"), row, None, "")
    assert not m.Responsibility.objects.filter(task=world.task, hat=other_world.hat).exists()
    assert not m.CellChange.objects.filter(task=world.task, hat=other_world.hat).exists()


def test_a_backup_cannot_reach_another_organisation(world, other_world):
    document = export_org(world.org)
    # A hat's function given as the id of another organisation's function:
    # refs name rows of the document only, so it is unknown.
    document["tables"]["hat"][0]["function"] = other_world.team.pk + 1000
    with pytest.raises(BackupError, match="unknown function"):
        import_org(document, slug="crafted")
    assert not m.Organisation.objects.filter(slug="crafted").exists()
    assert not m.Hat.objects.filter(org__slug="crafted").exists()
