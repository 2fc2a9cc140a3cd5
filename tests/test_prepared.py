"""Prepared queries (roles/prepared.py): the same rows as the queryset they
are written as, on both databases, with every parameter taking effect."""

import datetime

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from roles import models as m
from roles.prepared import NotPreparable, Prepared

from . import factories as f

assignments_of_hat = Prepared(
    lambda hat_id: (
        m.Assignment.objects.filter(hat_id=hat_id)
        .select_related("person", "hat__function")
        .order_by("id")
    )
)
letters_of = Prepared(
    lambda org_id, hat_id: (
        m.Responsibility.objects.filter(org_id=org_id, hat_id=hat_id)
        .values_list("task__name", "letter")
        .order_by("task__name", "letter")
    )
)


def _by_slug(slug: str, user_id: int):
    return m.Person.objects.filter(org__slug=slug, user_id=user_id).select_related("org")


person_by_slug = Prepared(_by_slug)
# A fixed value equal to one of the stand-ins for parameters must stay fixed.
fixed_like_sentinel = Prepared(
    lambda hat_id: m.KPI.objects.filter(Q(hat_id=hat_id) | Q(hat_id=-(2**62)) | Q(position=30_000))
)


def _contains(name: str):
    return m.Person.objects.filter(name__icontains=name)


# A parameter the ORM rewrites (icontains wraps it in %...%) cannot be prepared.
contains = Prepared(_contains)


def test_model_rows_match_the_queryset_with_related_objects_and_converters(world):
    got = assignments_of_hat(world.hat.id)
    expected = list(
        m.Assignment.objects.filter(hat=world.hat)
        .select_related("person", "hat__function")
        .order_by("id")
    )
    assert [a.pk for a in got] == [a.pk for a in expected] != []
    first = got[0]
    assert first.person.name == world.member.name
    assert first.hat.function.name == world.team.name
    # Converted as Django would: a datetime, not SQLite's text.
    assert isinstance(first.started, datetime.datetime)
    with CaptureQueriesContext(connection) as ctx:
        assert first.person.org_id == world.org.id
        assert first.hat.function.name == world.team.name
    assert len(ctx.captured_queries) == 0  # related objects came with the rows


def test_parameters_take_effect_on_every_call(world, other_world):
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.hat, letter="C")
    assert letters_of(world.org.id, world.hat.id) == [("Boka möten", "C"), ("Boka möten", "R")]
    assert letters_of(world.org.id, world.other_hat.id) == [("Boka möten", "A")]
    # Another organisation's id in either place finds nothing.
    assert letters_of(other_world.org.id, world.hat.id) == []
    assert letters_of(world.org.id, other_world.hat.id) == []


def test_string_parameters(world, other_world):
    found = person_by_slug(world.org.slug, world.member.user_id)
    assert [p.pk for p in found] == [world.member.pk]
    assert found[0].org.slug == world.org.slug
    assert person_by_slug(other_world.org.slug, world.member.user_id) == []
    assert person_by_slug("'; drop table roles_person; --", world.member.user_id) == []


def test_a_fixed_value_that_looks_like_a_stand_in_stays_fixed(world):
    mine = f.KPIFactory(hat=world.hat, position=1)
    far = f.KPIFactory(hat=world.other_hat, position=30_000)
    f.KPIFactory(hat=world.other_hat, position=2)
    assert {k.pk for k in fixed_like_sentinel(world.hat.id)} == {mine.pk, far.pk}
    # -(2**62) is the first family's stand-in, 30,000 the last's: both stay
    # fixed values, and only the real parameter is filled in per call.
    compiled = connections["default"].__dict__[fixed_like_sentinel.key]
    assert compiled.slots == (0, None, None)
    assert compiled.fixed[1:] == (-(2**62), 30_000)


def test_wrong_parameters_are_refused(world):
    with pytest.raises(TypeError):
        letters_of(world.org.id)
    with pytest.raises(TypeError):
        letters_of(str(world.org.id), world.hat.id)
    with pytest.raises(TypeError):
        letters_of(True, world.hat.id)  # a bool is not an id


def test_a_parameter_rewritten_by_the_orm_cannot_be_prepared(world):
    with pytest.raises(NotPreparable):
        contains("Member")


def _shifted(hat_id):
    return m.KPI.objects.filter(Q(hat_id=hat_id) | Q(id=hat_id + 1))


def test_a_value_computed_from_a_parameter_cannot_be_prepared(world):
    # `hat_id + 1` would be frozen at its first value: refused instead.
    with pytest.raises(NotPreparable):
        Prepared(_shifted)(world.hat.id)


def test_each_run_is_one_query(world):
    fresh = Prepared(lambda hat_id: m.KPI.objects.filter(hat_id=hat_id))
    with CaptureQueriesContext(connection) as ctx:
        fresh(world.hat.id)  # compiling runs nothing
        fresh(world.other_hat.id)
    assert len(ctx.captured_queries) == 2
    letters_of(world.org.id, world.hat.id)
    with CaptureQueriesContext(connection) as ctx:
        letters_of(world.org.id, world.hat.id)
        letters_of(world.org.id, world.other_hat.id)
    assert len(ctx.captured_queries) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side statements")
@pytest.mark.django_db(transaction=True)
def test_postgresql_statement_survives_rollback_and_a_new_connection():
    world_org = f.OrganisationFactory(slug="prep")
    function = f.FunctionFactory(org=world_org, name="F")
    hat = f.HatFactory(org=world_org, function=function, title="H")
    task = f.TaskFactory(org=world_org, area=None, name="T")
    f.ResponsibilityFactory(org=world_org, task=task, hat=hat, letter="A")
    # Prepared inside a transaction that is rolled back: still there after.
    with pytest.raises(RuntimeError), transaction.atomic():
        assert letters_of(world_org.id, hat.id) == [("T", "A")]
        raise RuntimeError
    assert letters_of(world_org.id, hat.id) == [("T", "A")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'hatta_%%'")
        assert cursor.fetchone()[0] >= 1
    # A new session has no statements: prepared again, transparently.
    connection.close()
    assert letters_of(world_org.id, hat.id) == [("T", "A")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side statements")
@pytest.mark.django_db(transaction=True)
def test_postgresql_session_that_lost_its_statements_is_replaced():
    org = f.OrganisationFactory(slug="lost")
    hat = f.HatFactory(org=org, function=f.FunctionFactory(org=org, name="F"), title="H")
    task = f.TaskFactory(org=org, area=None, name="T")
    f.ResponsibilityFactory(org=org, task=task, hat=hat, letter="R")
    assert letters_of(org.id, hat.id) == [("T", "R")]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's reset would
    with pytest.raises(DatabaseError):
        letters_of(org.id, hat.id)
    # The connection is marked to be closed at the end of the request...
    assert connection.close_at == 0
    connection.close_if_unusable_or_obsolete()
    # ...and the next request prepares afresh on a new one.
    assert letters_of(org.id, hat.id) == [("T", "R")]
