"""The function page answers "may I edit this function?" from the functions
above it, which it reads anyway (Access.know_ancestors), instead of the
organisation's whole function tree: the two must always agree."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roles import access as acl
from roles import models as m
from roles.services.functions import function_page

from . import factories as f

pytestmark = pytest.mark.django_db


def random_org(seed):
    rnd = random.Random(seed)
    org = f.OrganisationFactory(slug=f"rights-{seed}")
    people = [
        f.PersonFactory(org=org, access=level, email=f"{level}{i}-{seed}@example.com")
        for i, level in enumerate(["admin", "manager", "manager", "member"])
    ]
    functions = []
    for i in range(rnd.randint(2, 9)):
        parent = rnd.choice([None, *functions]) if functions else None
        head = rnd.choice([None, None, *people])
        functions.append(f.FunctionFactory(org=org, name=f"F{i}", parent=parent, head=head))
    if rnd.random() < 0.3:
        # A cycle written past the forms (they refuse one): both answers must
        # still stop and agree.
        a, b = rnd.sample(functions, 2)
        m.Function.objects.filter(pk=a.pk).update(parent=b)
        m.Function.objects.filter(pk=b.pk).update(parent=a)
    return org, people, list(m.Function.objects.filter(org=org))


@pytest.mark.parametrize("seed", range(30))
def test_function_page_rights_agree_with_the_whole_tree(seed):
    org, people, functions = random_org(seed)
    for person in people:
        for function in functions:
            expected = acl.Access(person).can_edit_function(function)
            access = acl.Access(person)
            function_page(org, function, access)
            with CaptureQueriesContext(connection) as ctx:
                got = access.can_edit_function(function)
                created = access.can_create_function(function)
            assert (got, created) == (expected, expected), (person.access, function.name)
            assert len(ctx.captured_queries) == 0
