"""The organisation generator makes what it is asked for, and every main page
that exists runs the same number of queries at sizes S and M."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.generate import SIZES, generate_size, logins
from bench.pages import STATUS, client_for, page_urls, people_of
from roles import jobs
from roles import models as m
from roles.raci import task_status


def counts(org):
    return (
        m.Person.objects.for_org(org).count(),
        m.Function.objects.for_org(org).count(),
        m.Hat.objects.for_org(org).count(),
        m.Task.objects.for_org(org).count(),
    )


@pytest.mark.parametrize("size", ["S", "M"])
def test_generate_makes_the_requested_organisation(db, size):
    org = generate_size(f"gen-{size.lower()}", size)

    assert counts(org) == SIZES[size]
    tasks = m.Task.objects.for_org(org).count()
    letters = m.Responsibility.objects.for_org(org).count()
    assert 3 <= letters / tasks <= 5
    by_task = {}
    for task_id, letter in m.Responsibility.objects.for_org(org).values_list("task_id", "letter"):
        by_task.setdefault(task_id, []).append({letter})
    complete = sum(task_status(cells).key == "complete" for cells in by_task.values())
    assert complete / tasks >= 0.85  # mostly one A and one R, a few problems
    for area in m.Area.objects.for_org(org):
        assert area.tasks.count() <= 60
    assert m.Function.objects.for_org(org).filter(parent=None).count() == 1
    assert m.Assignment.objects.for_org(org).exists()
    assert m.HatRevision.objects.for_org(org).exists()
    assert m.Acknowledgement.objects.for_org(org).exists()


def test_generated_logins_sign_in_with_the_known_password(db):
    generate_size("gen-login", "S")
    known = logins("gen-login")
    people = people_of("gen-login")
    assert {p.access for p in people.values()} == {"admin", "manager", "member"}
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": known.member, "password": known.password}
    )
    assert response.status_code == 302
    assert client.get(reverse("roles:org-map", kwargs={"org": "gen-login"})).status_code == 200
    # The member wears a hat in a function the manager heads or is below it.
    member_hat = m.Hat.objects.get(assignments__person=people["member"])
    manager_fn = m.Function.objects.get(head=people["manager"], parent__head=people["admin"])
    assert member_hat.function_id == manager_fn.id or member_hat.function.parent_id == manager_fn.id


def test_generated_rows_stay_in_their_organisation(db):
    a = generate_size("gen-a", "S")
    b = generate_size("gen-b", "S", seed=1)
    for org, other in ((a, b), (b, a)):
        assert not m.Responsibility.objects.for_org(org).filter(hat__org=other).exists()
        assert not m.Responsibility.objects.for_org(org).filter(task__org=other).exists()
        assert not m.Assignment.objects.for_org(org).filter(person__org=other).exists()
        assert not m.Function.objects.for_org(org).filter(head__org=other).exists()


def query_counts(slug):
    out = {}
    urls, _ = page_urls(slug)
    people = people_of(slug)
    for label, role, url, _n in urls:
        client = client_for(role, people)
        client.get(url)  # warm: sessions and caches as a returning user has them
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == STATUS.get(label, 200), (label, url)
        out[label] = len(ctx.captured_queries)
    return out


def test_pages_run_the_same_queries_at_every_size(db, settings):
    settings.WORKER_STALE_SECONDS = 24 * 3600  # /healthz also wants a job worker seen lately
    jobs.beat("bench")
    generate_size("q-s", "S")
    generate_size("q-m", "M", seed=1)

    small, medium = query_counts("q-s"), query_counts("q-m")

    assert small.keys() == medium.keys()
    assert "map" in small
    differ = {page: (small[page], medium[page]) for page in small if small[page] != medium[page]}
    print(f"pages={len(small)} same_query_count={len(small) - len(differ)} differ={differ}")
    assert differ == {}


def test_generate_org_command_makes_an_organisation_once(db):
    out = io.StringIO()
    call_command("generate_org", "prov", "--size", "S", stdout=out)
    assert "member@prov.example" in out.getvalue()
    assert counts(m.Organisation.objects.get(slug="prov")) == SIZES["S"]

    call_command("generate_org", "prov", "--size", "S", "--if-missing", stdout=out)
    with pytest.raises(CommandError):
        call_command("generate_org", "prov", "--size", "S", stdout=out)
    assert m.Person.objects.filter(org__slug="prov").count() == SIZES["S"][0]
