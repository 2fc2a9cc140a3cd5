"""The person filter: the people it offers, and finding someone by a typed
name or email."""

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    Func,
    Max,
    OuterRef,
    Sum,
    Value,
    When,
    Window,
)

from ..models import Assignment, Person
from .filters import PERSON_SELECT_LIMIT, WHO_SHOWN


def casefold(text):
    return None if text is None else text.casefold()


class Fold(Func):
    """Text folded for comparing regardless of case: LOWER on PostgreSQL
    (Unicode-aware in a UTF-8 database); on SQLite, whose LOWER folds ASCII
    only, str.casefold registered on the connection."""

    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_function("hatta_casefold", 1, casefold, deterministic=True)
        return self.as_sql(compiler, connection, function="HATTA_CASEFOLD", **extra)


def wears_a_hat(org_id):
    """The person (the outer row) wears a hat now."""
    return Exists(
        Assignment.objects.filter(org_id=org_id, person=OuterRef("pk"), ended__isnull=True)
    )


def find_who(org, who):
    """The people `who` names: [(id, name)] with one entry when it names one,
    and how many it matched. An email (any case) names its active person; else
    the active wearers whose name contains it (any case), a whole-name match
    winning over partial ones; the first WHO_SHOWN by name. One query, two
    for an email that names no one."""
    typed = Fold(Value(who))
    people = Person.objects.filter(org_id=org.id, active=True)
    if "@" in who:  # by the index on the lowered email
        found = list(
            people.alias(folded_email=Fold("email"))
            .filter(folded_email=typed)
            .values_list("pk", "name")[:1]
        )
        if found:
            return found, 1
    found = list(
        people.filter(wears_a_hat(org.id))
        .alias(folded=Fold("name"))
        .filter(folded__contains=typed)
        .annotate(whole=Case(When(folded=typed, then=1), default=0))
        .annotate(
            matched=Window(Count("pk")),
            wholes=Window(Sum("whole")),
            whole_id=Window(Max(Case(When(whole=1, then="pk")))),
            whole_name=Window(Max(Case(When(whole=1, then="name")))),
        )
        .order_by("folded", "pk")
        .values_list("pk", "name", "matched", "wholes", "whole_id", "whole_name")[:WHO_SHOWN]
    )
    if not found:
        return [], 0
    _pk, _name, matched, wholes, whole_id, whole_name = found[0]
    if wholes == 1:
        return [(whole_id, whole_name)], 1
    return [row[:2] for row in found], matched


def chosen_person(org, person_id):
    """(id, name) of an active person of the organisation, or None."""
    return (
        Person.objects.filter(org_id=org.id, pk=person_id, active=True)
        .order_by()
        .values_list("pk", "name")
        .first()
    )


def person_options(org, chosen):
    """The people the person filter offers in a <select>, as (id, name) by name:
    every active wearer, and `chosen` (id, name) if they wear nothing; and
    whether there are too many wearers for a <select> (the list is then cut
    short). One query, which stops after PERSON_SELECT_LIMIT + 1 wearers:
    sorting every wearer by name would read them all."""
    people = list(
        Person.objects.filter(org_id=org.id, active=True)
        .filter(wears_a_hat(org.id))
        .order_by()
        .values_list("pk", "name")[: PERSON_SELECT_LIMIT + 1]
    )
    if len(people) > PERSON_SELECT_LIMIT:
        return [], True
    if chosen and chosen not in people:
        people.append(chosen)
    return sorted(people, key=lambda p: (p[1], p[0])), False
