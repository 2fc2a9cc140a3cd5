"""Shared fixtures: organisation A with an admin, a manager who heads a function
and a member; organisation B with its own data and its own admin (the outsider)."""

from dataclasses import dataclass

import pytest
from django.test import Client

from roles import models as m

from . import factories as f

PASSWORD = "pw-secret-123"


@dataclass
class World:
    org: m.Organisation
    admin: m.Person
    manager: m.Person
    member: m.Person
    root: m.Function  # headed by the admin
    sales: m.Function  # headed by the manager
    team: m.Function  # below sales
    other: m.Function  # headed by nobody the manager knows: outside the manager's reach
    hat: m.Hat  # in team, worn by the member
    other_hat: m.Hat  # in other
    area: m.Area
    task: m.Task


def make_person(org, access, email, name):
    user = f.UserFactory(email=email, name=name)
    return f.PersonFactory(org=org, access=access, email=email, name=name, user=user)


def build_world(slug="alfa", name="Alfa AB", prefix="a"):
    org = f.OrganisationFactory(slug=slug, name=name)
    admin = make_person(org, "admin", f"{prefix}-admin@example.com", f"{name} Admin")
    manager = make_person(org, "manager", f"{prefix}-manager@example.com", f"{name} Manager")
    member = make_person(org, "member", f"{prefix}-member@example.com", f"{name} Member")
    root = f.FunctionFactory(org=org, name=f"{name} Ledning", head=admin)
    sales = f.FunctionFactory(org=org, name=f"{name} Försäljning", parent=root, head=manager)
    team = f.FunctionFactory(org=org, name=f"{name} Innesälj", parent=sales)
    other = f.FunctionFactory(org=org, name=f"{name} Ekonomi", parent=root, head=admin)
    hat = f.HatFactory(org=org, function=team, title="Innesäljare")
    other_hat = f.HatFactory(org=org, function=other, title="Ekonomichef")
    f.AssignmentFactory(org=org, hat=hat, person=member, share=100)
    area = f.AreaFactory(org=org, name="Prospektering")
    task = f.TaskFactory(org=org, area=area, name="Boka möten")
    f.ResponsibilityFactory(org=org, task=task, hat=hat, letter="R")
    f.ResponsibilityFactory(org=org, task=task, hat=other_hat, letter="A")
    return World(org, admin, manager, member, root, sales, team, other, hat, other_hat, area, task)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def other_world(db):
    """Organisation B: the outsider's own organisation."""
    return build_world(slug="beta", name="Beta AB", prefix="b")


def client_for(person):
    client = Client(raise_request_exception=True)
    client.force_login(person.user)
    return client


@pytest.fixture
def as_admin(world):
    return client_for(world.admin)


@pytest.fixture
def as_manager(world):
    return client_for(world.manager)


@pytest.fixture
def as_member(world):
    return client_for(world.member)


@pytest.fixture
def as_outsider(other_world):
    """Organisation B's admin: must see nothing of organisation A."""
    return client_for(other_world.admin)


# Figures ----------------------------------------------------------------------
# A test reports a figure with `record_property("figure", "probes=12 leaks=0")`; the
# figures are printed at the end of the run, also under pytest-xdist (the property
# travels with the test report from the worker to the controller).
_figures = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        for name, value in report.user_properties:
            if name == "figure":
                _figures.append((report.nodeid, str(value)))


def pytest_terminal_summary(terminalreporter):
    if _figures:
        terminalreporter.section("figures")
        for nodeid, value in sorted(_figures):
            terminalreporter.write_line(f"{value}    [{nodeid}]")


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: ids (and so cache keys) are reused
    from one test to the next on SQLite."""
    from django.core.cache import caches  # noqa: PLC0415

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def english_by_default(request):
    """Tests read the English source text. The Swedish catalogue, Swedish as the
    default language and the language switch have tests of their own
    (test_i18n.py, the browser journeys), which opt out with the `swedish` marker."""
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("swedish"):
        yield
        return
    from django.utils import translation

    settings = request.getfixturevalue("settings")
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def inline_jobs(settings, tmp_path):
    """Jobs run here by `drain()`, their files in a folder of the test's own."""
    settings.JOBS_IN_CHILD = False
    settings.STORAGES = {
        **settings.STORAGES,
        "jobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
