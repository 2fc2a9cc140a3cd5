"""The demo organisation: what a first visitor signs in to."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from roles import models as m
from roles.raci import task_status

pytestmark = pytest.mark.django_db

PW = "demo-pass-4711"


def load(**options):
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"roles", "auth"}
    }


def test_demo_is_idempotent():
    load(password=PW)
    first = counts()
    output = load(password=PW)
    assert counts() == first
    assert "already loaded" in output
    load()  # without a password: nothing changes either
    assert counts() == first


def test_demo_prints_the_sign_ins():
    output = load(password=PW)
    for email in (
        "vd@nordisk.example",
        "saljchef@nordisk.example",
        "saljare@nordisk.example",
        "vd@annat.example",
    ):
        assert email in output
    assert PW in output


def test_demo_generates_a_password_when_none_is_given():
    output = load()
    line = next(line for line in output.splitlines() if "password for all of them" in line)
    password = line.rsplit(":", 1)[1].strip()
    assert len(password) >= 8
    response = Client().post(
        "/accounts/login/", {"login": "vd@nordisk.example", "password": password}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("email", "slug", "access"),
    [
        ("vd@nordisk.example", "nordisk", "admin"),
        ("saljchef@nordisk.example", "nordisk", "manager"),
        ("saljare@nordisk.example", "nordisk", "member"),
        ("vd@annat.example", "annat", "admin"),
    ],
)
def test_demo_sign_ins_work(email, slug, access):
    load(password=PW)
    person = m.Person.objects.get(email=email)
    assert person.org.slug == slug
    assert person.access == access
    client = Client(raise_request_exception=True)
    response = client.post("/accounts/login/", {"login": email.upper(), "password": PW})
    assert response.status_code == 302
    assert client.get(f"/o/{slug}/").status_code == 200
    other = "annat" if slug == "nordisk" else "nordisk"
    assert client.get(f"/o/{other}/").status_code == 404


def test_demo_has_a_realistic_company_with_planted_gaps():
    load(password=PW)
    org = m.Organisation.objects.get(slug="nordisk")
    assert org.name == "Nordisk Försäljning AB"
    functions = set(m.Function.objects.for_org(org).values_list("name", flat=True))
    assert {
        "Ledning",
        "Försäljning",
        "Innesälj",
        "Fältsälj",
        "Key Account",
        "Säljsupport",
        "Marknad",
        "Kundservice",
        "Ekonomi",
    } <= functions
    assert 12 <= m.Person.objects.for_org(org).count() <= 20
    assert m.Hat.objects.for_org(org).count() >= 12
    areas = list(m.Area.objects.for_org(org).values_list("name", flat=True))
    assert areas[:6] == [
        "Prospektering",
        "Kvalificering",
        "Offert",
        "Order",
        "Leverans",
        "Eftermarknad",
    ]
    assert m.Task.objects.for_org(org).count() >= 25
    assert m.KPI.objects.filter(hat__org=org).exists()

    # Planted gaps.
    assert m.Hat.objects.for_org(org).filter(assignments__isnull=True).exists()  # vacant hat
    assert not m.Hat.objects.for_org(org).filter(function__name="Kundservice").exists()
    assert m.Person.objects.for_org(org).filter(assignments__isnull=True).exists()
    letters = {}
    for task_id, letter in m.Responsibility.objects.for_org(org).values_list("task_id", "letter"):
        letters.setdefault(task_id, []).append({letter})
    statuses = {task_status(cells).key for cells in letters.values()}
    assert {"no_a", "many_a", "no_r"} <= statuses
    seller = m.Person.objects.get(email="saljare@nordisk.example")
    hat = m.Hat.objects.get(org=org, title="Säljare")
    assert hat.revision >= 1
    assert not m.Acknowledgement.objects.filter(
        person=seller, hat=hat, revision__number=hat.revision
    ).exists()


def test_second_organisation_is_separate():
    load(password=PW)
    annat = m.Organisation.objects.get(slug="annat")
    assert annat.name == "Annat Bolag AB"
    assert m.Hat.objects.for_org(annat).exists()
    nordisk_people = set(
        m.Person.objects.filter(org__slug="nordisk").values_list("email", flat=True)
    )
    annat_people = set(m.Person.objects.for_org(annat).values_list("email", flat=True))
    assert not nordisk_people & annat_people
