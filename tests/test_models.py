"""What the database itself refuses (on SQLite and PostgreSQL alike), and the one
place that refuses links from one organisation into another (OrgOwned.save)."""

import datetime
import itertools

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from roles import models as m
from roles.services import hats as hat_services

from . import factories as f

pytestmark = pytest.mark.django_db


def refused(create):
    """The database refuses the row: an IntegrityError, and the transaction survives."""
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


# Database constraints ------------------------------------------------------------


def test_organisation_slug_is_unique():
    m.Organisation.objects.create(name="Ett AB", slug="ett")
    refused(lambda: m.Organisation.objects.create(name="Ett igen AB", slug="ett"))


def test_person_email_unique_per_org_whatever_its_case(world, other_world):
    refused(
        lambda: m.Person.objects.create(org=world.org, name="Dubblett", email="A-ADMIN@example.com")
    )
    # bulk_create skips save(), which lowercases: the database constraint itself holds.
    refused(
        lambda: m.Person.objects.bulk_create(
            [m.Person(org=world.org, name="Dubblett", email="A-Member@Example.com")]
        )
    )
    # The same address in another organisation is fine.
    m.Person.objects.create(org=other_world.org, name="Samma", email="a-admin@example.com")


def test_one_letter_once_per_task_and_hat(world):
    refused(
        lambda: m.Responsibility.objects.create(
            org=world.org, task=world.task, hat=world.hat, letter="R"
        )
    )
    # Another letter in the same cell is allowed (A/R).
    m.Responsibility.objects.create(org=world.org, task=world.task, hat=world.hat, letter="A")


@pytest.mark.parametrize("letter", ["X", "r", "", "Q"])
def test_letters_are_r_a_c_i_only(world, letter):
    refused(
        lambda: m.Responsibility.objects.create(
            org=world.org, task=world.task, hat=world.other_hat, letter=letter
        )
    )


@pytest.mark.parametrize("share", [0, 101, 1000])
def test_share_between_1_and_100(world, share):
    refused(
        lambda: m.Assignment.objects.create(
            org=world.org, hat=world.other_hat, person=world.manager, share=share
        )
    )


@pytest.mark.parametrize("share", [None, 1, 50, 100])
def test_share_in_range_or_unset_is_accepted(world, share):
    m.Assignment.objects.create(
        org=world.org, hat=world.other_hat, person=world.manager, share=share
    )


def test_revision_number_unique_per_hat(world):
    revision = hat_services.publish_hat(world.hat, world.admin, "first")
    refused(
        lambda: m.HatRevision.objects.create(org=world.org, hat=world.hat, number=revision.number)
    )
    # The same number on another hat is fine.
    m.HatRevision.objects.create(org=world.org, hat=world.other_hat, number=revision.number)


def test_acknowledgement_unique_per_person_hat_revision(world):
    revision = hat_services.publish_hat(world.hat, world.admin, "first")
    m.Acknowledgement.objects.create(
        org=world.org, person=world.member, hat=world.hat, revision=revision
    )
    refused(
        lambda: m.Acknowledgement.objects.create(
            org=world.org, person=world.member, hat=world.hat, revision=revision
        )
    )


def test_login_email_unique_whatever_its_case(db):
    f.UserFactory(email="ann@example.com")
    refused(lambda: m.User.objects.bulk_create([m.User(email="ANN@example.com")]))


# Cross-organisation links -------------------------------------------------------
# Every organisation-owned model, every foreign key to another organisation-owned
# model: pointing it at organisation B's row from organisation A is refused. The
# pairs are read from the model registry, so models added later are covered too.

_serial = itertools.count(1)


def org_models():
    return sorted(
        (
            model
            for model in apps.get_app_config("roles").get_models()
            if issubclass(model, m.OrgOwned)
        ),
        key=lambda model: model.__name__,
    )


def org_links():
    pairs = []
    for model in org_models():
        for field in model._meta.concrete_fields:
            target = field.related_model
            if (
                field.is_relation
                and field.name != "org"
                and isinstance(target, type)
                and issubclass(target, m.OrgOwned)
            ):
                pairs.append((model, field))
    return pairs


def plain_value(field):
    """A valid value for a required non-relation field."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.EmailField):
        return f"x{next(_serial)}@example.com"
    if isinstance(field, models.SlugField):
        return f"x-{next(_serial)}"
    if isinstance(field, (models.CharField, models.TextField)):
        return f"x {next(_serial)}"
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.FileField):
        return ""  # no file
    if isinstance(field, (models.IntegerField, models.FloatField, models.DecimalField)):
        return next(_serial)
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return datetime.date(2026, 1, 1) + datetime.timedelta(days=next(_serial))
    if isinstance(field, models.JSONField):
        return {}
    raise AssertionError(f"test_models.plain_value: teach me {field.__class__.__name__}")


class Rows:
    """One saved row per model in one organisation, built on demand."""

    def __init__(self, w):
        self.org = w.org
        self.rows = {
            m.Organisation: w.org,
            # Rows that nothing in the world links yet, so new links don't collide.
            m.Person: w.manager,
            m.User: w.manager.user,
            m.Function: w.team,
            m.Hat: w.other_hat,
            m.Area: w.area,
            m.Task: w.task,
        }

    def row(self, model):
        if model not in self.rows:
            obj = self.build(model)
            obj.save()
            self.rows[model] = obj
        return self.rows[model]

    def build(self, model):
        """An unsaved, valid instance of `model` in this organisation."""
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key or field.has_default() or field.null:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                continue
            if field.name == "org":
                values["org"] = self.org
            elif field.is_relation:
                values[field.name] = self.row(field.related_model)
            else:
                values[field.name] = plain_value(field)
        return model(**values)


@pytest.mark.parametrize(
    ("model", "field"),
    [pytest.param(mo, fi, id=f"{mo.__name__}.{fi.name}") for mo, fi in org_links()],
)
def test_cross_org_link_refused(world, other_world, model, field):
    mine, theirs = Rows(world), Rows(other_world)
    obj = mine.build(model)
    setattr(obj, field.name, mine.row(field.related_model))
    obj.save()  # control: a link inside the organisation is fine
    obj.delete()

    foreign = theirs.row(field.related_model)
    for by_id in (False, True):
        obj = mine.build(model)
        if by_id:  # only the id, nothing cached: checked against the database
            setattr(obj, field.attname, foreign.pk)
        else:
            setattr(obj, field.name, foreign)
        with pytest.raises(ValidationError) as caught:
            obj.save()
        assert caught.value.code == "cross_org"
        assert obj.pk is None
    assert not model.objects.filter(org=world.org).filter(**{field.attname: foreign.pk}).exists()


def test_cross_org_refused_on_update_too(world, other_world):
    world.hat.function = other_world.team
    with pytest.raises(ValidationError):
        world.hat.save()
    world.hat.refresh_from_db()
    assert world.hat.function == world.team


def test_every_org_model_has_links_checked():
    """The registry walk finds the foreign keys that matter (guards the walk itself)."""
    names = {f"{mo.__name__}.{fi.name}" for mo, fi in org_links()}
    assert {
        "Hat.function",
        "Hat.reports_to",
        "Function.parent",
        "Function.head",
        "Assignment.person",
        "Responsibility.task",
        "Responsibility.hat",
        "Acknowledgement.revision",
        "Task.area",
    } <= names


# Deleting --------------------------------------------------------------------------


def test_function_with_hats_or_children_cannot_be_deleted_alone(world):
    with pytest.raises(IntegrityError), transaction.atomic():  # RestrictedError
        world.team.delete()  # holds a hat
    with pytest.raises(IntegrityError), transaction.atomic():
        world.sales.delete()  # has a sub-function
    with pytest.raises(IntegrityError), transaction.atomic():
        world.area.delete()  # holds a task
    assert m.Function.objects.filter(pk=world.team.pk).exists()


def test_deleting_an_organisation_takes_all_its_rows(world, other_world):
    from .test_sweep import enrich, fingerprint

    enrich(world)
    theirs = fingerprint(other_world.org)
    pk = world.org.pk
    world.org.delete()
    gone = fingerprint(m.Organisation(pk=pk))
    assert all(count == 0 for count, _ in gone.values()), gone
    assert fingerprint(other_world.org) == theirs
