"""What the browser tests share besides fixtures: the Chromium set-up, signing
in and out, switching language, the import files, and the pages checked."""

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import get_resolver, reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent.parent
NODE_MODULES = ROOT / "node_modules"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out, and the
# closed network refuses it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "demo-pass-12345"
TIMEOUT_MS = 15_000  # generous: CI machines are often busy


def page_exists(name):
    """True when the URL name ("roles:matrix") is routed, whatever its arguments."""
    *namespaces, short = name.split(":")
    resolver = get_resolver()
    for ns in namespaces:
        if ns not in resolver.namespace_dict:
            return False
        resolver = resolver.namespace_dict[ns][1]
    return short in resolver.reverse_dict


def need(*names):
    """Fail a journey whose pages are not routed: a missing page is a failure."""
    missing = [name for name in names if not page_exists(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)}: no such page")


def text(lang, message):
    """A message as the given language renders it (English until translated)."""
    with translation.override(lang):
        return str(translation.gettext(message))


def load_demo():
    """Build the demo organisations as `manage.py demo` does, with a known password."""
    from roles.management.commands.demo import (
        LOGINS,
        PEOPLE,
        build_annat,
        build_nordisk,
        set_logins,
    )

    nordisk, annat = build_nordisk(), build_annat()
    set_logins([p[2] for p in PEOPLE if p[0] in LOGINS] + ["vd@annat.example"], PASSWORD)
    return type("Demo", (), {"nordisk": nordisk, "annat": annat, "password": PASSWORD})


def import_file(name):
    """A file of tests/fixtures/import/ (tests/import_fixtures.py writes them)."""
    path = ROOT / "tests" / "fixtures" / "import" / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run python -m tests.import_fixtures")
    return path


# A sheet for the import's pages: "Fältsäljare" and "Inne" are named otherwise
# than the demo's hats, "Partneransvarig" is no hat yet, and "Bygga
# prospektlistor" is a task the demo already has in Prospektering.
IMPORT_SAMPLE = (
    "Uppgift,Fältsäljare,Inne,Partneransvarig\n"
    "Prospektering,,,\n"
    "Bygga prospektlistor,A,R,C\n"
    "Partnerträffar,R,C,A\n"
)


def import_sample(folder):
    """IMPORT_SAMPLE as a file in `folder`."""
    path = Path(folder) / "ansvar.csv"
    path.write_text(IMPORT_SAMPLE, encoding="utf-8")
    return path


def numbers_sample(folder):
    """A sheet of weekly numbers for the demo: Sara's meetings two weeks ago
    (97, more than the demo ever has: a value to save) and a row for someone the
    organisation does not know (a problem), semicolons as a Swedish spreadsheet
    writes them."""
    year, week, _ = (datetime.date.today() - datetime.timedelta(days=14)).isocalendar()
    path = Path(folder) / "siffror.csv"
    path.write_text(
        "Person;KPI;Vecka;Värde\n"
        f"saljare@nordisk.example;Kundmöten;{year}-W{week:02d};97\n"
        f"okand@nordisk.example;Kundmöten;{year}-W{week:02d};3\n",
        encoding="utf-8",
    )
    return path


def sign_in(page, email, password=PASSWORD, next_url=None):
    """Sign in through the form, as a person would."""
    page.goto(reverse("account_login") + (f"?next={next_url}" if next_url else ""))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    return page


def sign_out(page):
    with page.expect_navigation():
        page.locator("form[action$='/logout/'] button").click()


def open_menu(page):
    """On a narrow screen the navigation is a collapsed menu: open it."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#nav-menu.show").wait_for()


def switch_language(page, code):
    """One click on the language's button (it posts its little form)."""
    open_menu(page)
    with page.expect_navigation():
        page.locator(f"form.lang-form button[value={code}]").click()


def html_lang(page):
    return page.locator("html").get_attribute("lang")


def org_url(name, org="nordisk", obj=None, **kwargs):
    """reverse() for an organisation page, whatever its id argument is called
    (pk, hat, function...): `obj` fills the one argument besides `org`."""
    kwargs["org"] = getattr(org, "slug", org)
    if obj is not None:
        *namespaces, short = name.split(":")
        resolver = get_resolver()
        for ns in namespaces:
            resolver = resolver.namespace_dict[ns][1]
        params = [
            p
            for possibility, *_ in resolver.reverse_dict.getlist(short)
            for _template, names in possibility
            for p in names
            if p not in kwargs
        ]
        kwargs[params[0] if params else "pk"] = obj.pk
    return reverse(name, kwargs=kwargs)


# Pages the accessibility and HTML checks visit. `target` picks the demo object the
# URL names; `query` adds a query string. Pages not built yet are skipped.
@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    email: str | None  # who signs in (None: anonymous)
    target: Callable | None = None
    status: int = 200
    query: Callable | None = None
    org: str | None = None  # another organisation's slug (the outsider's view)

    def url(self, org):
        if ":" not in self.url_name:  # sign-in and password pages
            return reverse(self.url_name)
        if self.org:
            return org_url(self.url_name, self.org)
        url = org_url(self.url_name, org, self.target(org) if self.target else None)
        return url + (self.query(org) if self.query else "")


def _get(model, **kwargs):
    def pick(org):
        from roles import models

        return getattr(models, model).objects.for_org(org).get(**kwargs)

    return pick


_seller = _get("Hat", title="Säljare")
_sales = _get("Function", name="Försäljning")


def _meetings(org):
    from roles.models import KPI

    return KPI.objects.get(hat__org=org, name="Bokade möten")


def _cell_query(org):
    return f"?task={_get('Task', name='Reklamationer')(org).pk}&hat={_seller(org).pk}"


CEO, MANAGER, STAFF = "vd@nordisk.example", "saljchef@nordisk.example", "saljare@nordisk.example"
MAIN_PAGES = [
    Page("sign-in", "account_login", None),
    Page("map", "roles:org-map", CEO),
    Page("function", "roles:function-detail", MANAGER, _sales),
    Page("hat", "roles:hat-detail", STAFF, _seller),
    Page("hat-editor", "roles:hat-edit", MANAGER, _seller),
    Page("matrix", "roles:matrix", CEO),
    Page("my-hats", "roles:me", STAFF),
    Page("people", "roles:people", CEO),
    Page("import", "roles:matrix-import", CEO),
    Page("scorecard", "roles:scorecard", CEO),
    Page("team-numbers", "roles:team-numbers", MANAGER, _sales),
    Page("kpi-graph", "roles:kpi-graph", STAFF, _meetings),
    Page("not-found", "roles:org-map", STAFF, status=404, org="annat"),
    Page("forbidden", "roles:hat-edit", STAFF, _seller, status=403),
]
MORE_PAGES = [
    Page("password-reset", "account_reset_password", None),
    Page("password-change", "account_change_password", STAFF),
    Page("two-factor", "mfa_index", STAFF),
    Page("sessions", "usersessions_list", STAFF),
    Page("audit", "roles:audit", CEO),
    Page("revisions", "roles:hat-revisions", MANAGER, _seller),
    Page("person", "roles:person-detail", CEO, _get("Person", name="Sara Nilsson")),
    Page("task", "roles:task-detail", CEO, _get("Task", name="Reklamationer")),
    Page("cell", "roles:matrix-cell", CEO, query=_cell_query),
    Page("workload", "roles:workload", CEO),
    Page("settings", "roles:org-settings", CEO),
    Page("notifications", "roles:notifications", STAFF),
    Page("notification-settings", "roles:notification-preferences", STAFF),
    Page("notification-defaults", "roles:notification-defaults", CEO),
    Page("kpi-settings", "roles:kpi-settings", MANAGER, _meetings),
    Page("areas", "roles:area-list", CEO),
    Page("new-function", "roles:function-create", CEO),
    Page("function-editor", "roles:function-edit", MANAGER, _sales),
    Page("new-hat", "roles:hat-create", MANAGER, _sales),
    Page("new-task", "roles:task-create", CEO),
    Page("new-person", "roles:person-create", CEO),
    Page("handbook", "roles:handbook-pdf", CEO),
    Page("jobs", "roles:jobs", CEO),
]
