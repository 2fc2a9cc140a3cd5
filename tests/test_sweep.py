"""Tenant isolation over the whole URL table, and hostile input on every
organisation page.

The URL patterns under o/<slug:org>/ are read from Django's resolver, so every page
added later is swept without touching this file, unless it takes a URL argument
that is not mapped below: then the sweep fails and names it.
"""

import hashlib
import json
import re
import string
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roles import models as m
from roles.services import hats as hat_services

from . import factories as f
from .conftest import client_for

pytestmark = pytest.mark.django_db

ORG_PREFIX = "o/<slug:org>/"

# URL argument name -> model whose id it carries. A new page with a new argument
# name fails the sweep until it is added here.
ID_KWARGS = {
    "hat": m.Hat,
    "function": m.Function,
    "parent": m.Function,
    "task": m.Task,
    "area": m.Area,
    "person": m.Person,
    "wearer": m.Person,
    "revision": m.HatRevision,
    "assignment": m.Assignment,
    "acknowledgement": m.Acknowledgement,
    "handover": m.Handover,
    "change": m.HatChange,
    "hatchange": m.HatChange,
    "cellchange": m.CellChange,
    "responsibility": m.Responsibility,
    "snapshot": m.HealthSnapshot,
    "kpi": m.KPI,
    "item": m.ChecklistItem,
    "checklist": m.ChecklistItem,
    "checklistitem": m.ChecklistItem,
    "job": m.Job,
    "notification": m.Notification,
    "import_job": m.Job,
    "numbers_job": m.Job,
}
# Arguments whose model has rows of several kinds: the rows a page takes.
ID_QUERIES = {
    "import_job": lambda org: m.Job.objects.filter(
        org=org, kind__in=[m.Job.IMPORT_READ, m.Job.IMPORT_APPLY]
    ),
    "numbers_job": lambda org: m.Job.objects.filter(
        org=org, kind__in=[m.Job.NUMBERS_READ, m.Job.NUMBERS_APPLY]
    ),
}
# Non-id arguments: a fixed, valid value.
OTHER_KWARGS = {
    "number": 1,  # a revision number (per hat)
    "letter": "R",
    "fmt": "csv",
    "format": "csv",
    "kind": "csv",
}


def model_for(kwarg):
    """hat_id, hat_pk, hat -> Hat."""
    base = re.sub(r"_(id|pk)$", "", kwarg)
    for prefix in ("from_", "to_", "new_", "old_"):
        base = base.removeprefix(prefix)
    return ID_KWARGS.get(base)


@dataclass(frozen=True)
class OrgPattern:
    name: str  # "roles:org-map"
    route: str  # "o/<slug:org>/hats/<int:hat_id>/"
    callback: object

    @property
    def kwargs(self):
        """[(name, converter)] except `org`."""
        found = re.findall(r"<(?:(\w+):)?(\w+)>", self.route)
        return [(name, conv or "str") for conv, name in found if name != "org"]

    @property
    def level(self):
        return getattr(self.callback, "org_level", None)

    def path(self, slug, values):
        def sub(match):
            name = match.group(2)
            return slug if name == "org" else str(values[name])

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, self.route)


def walk(patterns, prefix="", namespace=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from walk(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern):
            yield OrgPattern(f"{namespace}{p.name or ''}", route, p.callback)


def org_patterns():
    found = [p for p in walk(get_resolver().url_patterns) if p.route.startswith(ORG_PREFIX)]
    assert found, "no URL pattern under o/<slug:org>/"
    return found


def object_for(model, org):
    if "org" in {fld.name for fld in model._meta.fields}:
        qs = model.objects.filter(org=org)
    else:  # KPI, checklist item: through their hat
        qs = model.objects.filter(hat__org=org)
    obj = qs.order_by("pk").first()
    assert obj is not None, f"no {model.__name__} in {org.slug} to probe with"
    return obj


def fill(pattern, org):
    """URL argument values pointing at `org`'s rows. Unknown names fail loudly."""
    values = {}
    for name, conv in pattern.kwargs:
        model = model_for(name)
        base = re.sub(r"_(id|pk)$", "", name)
        if base in ID_QUERIES:
            values[name] = ID_QUERIES[base](org).order_by("pk").first().pk
        elif model is not None:
            values[name] = object_for(model, org).pk
        elif name in OTHER_KWARGS:
            values[name] = OTHER_KWARGS[name]
        else:
            pytest.fail(
                f"URL {pattern.name} ({pattern.route}) takes <{conv}:{name}>: map it in "
                "ID_KWARGS or OTHER_KWARGS of tests/test_sweep.py so the sweep can probe it"
            )
    return values


def has_object_kwargs(pattern):
    return any(model_for(name) for name, _ in pattern.kwargs)


def enrich(w):
    """Give an organisation one row of every kind, so every URL argument has a target."""
    revision = hat_services.publish_hat(w.hat, w.admin, "first")
    m.Acknowledgement.objects.create(org=w.org, person=w.member, hat=w.hat, revision=revision)
    f.KPIFactory(hat=w.hat)
    m.ChecklistItem.objects.create(hat=w.hat, text="Lär dig CRM")
    m.Handover.objects.create(org=w.org, hat=w.hat, outgoing=w.member, note="Kunderna")
    m.HatChange.objects.create(org=w.org, hat=w.hat, author=w.admin, kind="field", field="purpose")
    m.CellChange.objects.create(org=w.org, task=w.task, hat=w.hat, author=w.admin, new="R")
    m.HealthSnapshot.objects.create(
        org=w.org, date="2026-01-01", score=0.5, passing=1, total=2, checks=[]
    )
    job = m.Job.objects.create(
        org=w.org, started_by=w.member, kind=m.Job.CSV, state=m.Job.DONE, result_name="m.csv"
    )
    job.result.save(f"sweep/{w.org.slug}-{job.pk}.csv", ContentFile(b"a;b"))
    for person in (w.admin, w.manager, w.member):
        m.Notification.objects.create(org=w.org, person=person, kind="revision", url="/")
    for kind, name in ((m.Job.IMPORT_READ, "sweep.csv"), (m.Job.NUMBERS_READ, "numbers.csv")):
        m.Job.objects.create(
            org=w.org,
            started_by=w.admin,
            kind=kind,
            state=m.Job.DONE,
            params={"upload": f"imports/{w.org.pk}/{name}", "name": name},
            data={},
        )
    return w


def org_rows(model, org):
    fields = {fld.name for fld in model._meta.fields}
    if model is m.Organisation:
        return model.objects.filter(pk=org.pk)
    if model is m.User:
        return model.objects.filter(people__org=org).distinct()
    if model is m.WorkerBeat:  # the job workers' own rows: no organisation's data
        return model.objects.none()
    if "org" in fields:
        return model.objects.filter(org=org)
    if "hat" in fields:
        return model.objects.filter(hat__org=org)
    return None


def fingerprint(org):
    """{model: (count, sha256 of every row)} of everything that belongs to `org`,
    but its audit trail: downloading (a GET) is recorded there."""
    from django.apps import apps

    result = {}
    for model in apps.get_app_config("roles").get_models():
        qs = org_rows(model, org)
        if qs is None or model is m.AuditEvent:
            continue
        rows = list(qs.order_by("pk").values())
        if model is m.Organisation:
            for row in rows:  # raised by any write request, even one that saves nothing
                del row["stamp"]
        digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()
        result[model.__name__] = (len(rows), digest)
    return result


def test_model_fingerprint_covers_every_org_model(db):
    """Every model of the app can be attributed to an organisation."""
    from django.apps import apps

    for model in apps.get_app_config("roles").get_models():
        assert org_rows(model, m.Organisation(pk=0)) is not None, (
            f"{model.__name__}: teach tests/test_sweep.org_rows how it belongs to an organisation"
        )


@pytest.fixture
def worlds(world, other_world):
    return enrich(world), enrich(other_world)


def expected_denial(pattern, person):
    """404, or 405 for a method the page does not take; 403 only when the page's own
    level is above the caller's (decided before any row is looked up)."""
    allowed = {404, 405}
    rank = {"member": 0, "manager": 1, "admin": 2}
    if pattern.level and rank[pattern.level] > rank[person.access]:
        allowed.add(403)
    return allowed


def test_isolation_sweep(worlds, record_property):
    a, b = worlds
    before = fingerprint(b.org)
    trail_before = m.AuditEvent.objects.filter(org=b.org).count()
    patterns = org_patterns()
    probes, leaks = 0, []
    for person in (a.admin, a.manager, a.member):
        client = client_for(person)
        for pattern in patterns:
            values = fill(pattern, b.org)
            for slug in (a.org.slug, b.org.slug):
                if slug == a.org.slug and not has_object_kwargs(pattern):
                    continue  # organisation A's own page: nothing of B's in it
                url = pattern.path(slug, values)
                for method in ("get", "post"):
                    response = getattr(client, method)(url)
                    probes += 1
                    if response.status_code not in expected_denial(pattern, person):
                        leaks.append(
                            f"{person.access} {method.upper()} {url} -> {response.status_code}"
                        )
    after = fingerprint(b.org)
    figure = f"probes={probes} leaks={len(leaks)} patterns={len(patterns)}"
    record_property("figure", figure)
    assert not leaks, "\n".join(leaks)
    assert after == before, "organisation B's rows changed"
    assert m.AuditEvent.objects.filter(org=b.org).count() == trail_before
    assert probes >= len(patterns) * 3


def test_anonymous_is_sent_to_sign_in(worlds):
    a, _ = worlds
    client = Client(raise_request_exception=True)
    for pattern in org_patterns():
        url = pattern.path(a.org.slug, fill(pattern, a.org))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith("/accounts/login/?next="), url


def test_outsider_sees_nothing_under_the_org_slug(worlds):
    """Organisation B's admin, with organisation A's slug and ids."""
    a, b = worlds
    before = fingerprint(a.org)
    client = client_for(b.admin)
    for pattern in org_patterns():
        url = pattern.path(a.org.slug, fill(pattern, a.org))
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status in {404, 405}, (method, url, status)
    assert fingerprint(a.org) == before


def test_every_org_view_goes_through_org_view():
    """Views under /o/<slug>/ are wrapped by roles.access.org_view (they carry its level)."""
    missing = [p.name for p in org_patterns() if p.level not in {"member", "manager", "admin"}]
    assert not missing, f"not wrapped by @org_view: {missing}"


# Hostile input --------------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\ud7ff\ufeff\u202e\u200b",
            "💩" * 20,
            "' OR 1=1 --",
            "'; DROP TABLE roles_hat; --",
            "{{ request }}{% debug %}{% load log %}",
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            '=HYPERLINK("http://x")',
            "../../etc/passwd",
            "%s%s%s%n",
            "x" * 5000,
            "y" * 1_000_000,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["-1", "0", "1e309", "NaN", "inf", "9" * 40, "0x10", "1.5", "-0"]),
    # Digits that str.isdigit() accepts but int() or the database refuse.
    st.sampled_from(["²", "٣", "1²", "9" * 19, "9" * 20, " 3", "3_0"]),
)

# Query-string values that have broken id parsing before.
HOSTILE_QUERY_VALUES = ["²", "٣", "9" * 20, "-1", "abc", "\x00", "1e3", ""]
QUERY_NAMES = [
    "function",
    "area",
    "person",
    "task",
    "hat",
    "parent",
    "page",
    "cols",
    "q",
    "a",
    "b",
    "problems",
    "letters",
    "expected",
    "other",
    "next",
    "sheet",
    "template",
    "sep",
]


def field_names(html):
    names = set(re.findall(r"""<(?:input|select|textarea)\b[^>]*\bname=["']([^"']+)["']""", html))
    names.discard("csrfmiddlewaretoken")
    return sorted(names)


def form_fields(client, url):
    """The field names the page's own forms post, plus a few common ones."""
    response = client.get(url)
    names = set()
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        names.update(field_names(response.content.decode(errors="replace")))
    names.update(["name", "title", "id", "pk", "letter", "share", "version", "position"])
    return sorted(names)


def fuzz_budget(n_patterns):
    """Keep the whole test to about a minute however many pages there are."""
    return max(4, min(25, 300 // max(1, n_patterns)))


def fuzz_posts(client, url, names, budget):
    """POST up to `budget` hostile field dicts to `url`; return how many were sent."""
    seen = [0]

    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        data=st.fixed_dictionaries({}, optional={n: HOSTILE_TEXT for n in names}),
        extra=st.dictionaries(
            st.text(string.ascii_letters + "_[]", max_size=12), HOSTILE_TEXT, max_size=3
        ),
        htmx=st.booleans(),
    )
    def post(data, extra, htmx):
        seen[0] += 1
        headers = {"HX-Request": "true"} if htmx else {}
        # Each example starts from the same rows: its writes are rolled back.
        with transaction.atomic():
            try:
                response = client.post(url, {**extra, **data}, headers=headers)
            except Exception as exc:  # the client re-raises what the view raised
                raise AssertionError(f"POST {url} raised {exc!r}") from exc
            transaction.set_rollback(True)
        assert response.status_code < 500, (url, response.status_code)

    post()
    return seen[0]


def test_hostile_posts_never_cause_a_server_error(worlds, record_property):
    a, _ = worlds
    client = client_for(a.admin)  # the most powerful caller reaches the most code
    patterns = org_patterns()
    budget = fuzz_budget(len(patterns))
    counts = {}
    for pattern in patterns:
        url = pattern.path(a.org.slug, fill(pattern, a.org))
        names = form_fields(client, url)
        counts[pattern.name] = fuzz_posts(client, url, names, budget)
    record_property(
        "figure",
        f"server_errors=0 urls={len(counts)} examples={sum(counts.values())} per url: "
        + ", ".join(f"{name.removeprefix('roles:')}={n}" for name, n in sorted(counts.items())),
    )


def test_hostile_query_strings_never_cause_a_server_error(worlds, record_property):
    a, _ = worlds
    client = client_for(a.admin)
    sent = 0
    for pattern in org_patterns():
        url = pattern.path(a.org.slug, fill(pattern, a.org))
        for value in HOSTILE_QUERY_VALUES:
            query = {name: value for name in QUERY_NAMES}
            try:
                response = client.get(url, query)
            except Exception as exc:  # the client re-raises what the view raised
                raise AssertionError(f"GET {url}?…={value!r} raised {exc!r}") from exc
            assert response.status_code < 500, (url, value, response.status_code)
            sent += 1
    record_property("figure", f"hostile_queries={sent} server_errors=0")


def test_random_paths_never_cause_a_server_error(world, record_property):
    client = client_for(world.admin)
    seen = [0]

    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(tail=st.lists(st.one_of(st.text(max_size=12), st.integers().map(str)), max_size=4))
    def get(tail):
        seen[0] += 1
        path = f"/o/{world.org.slug}/" + "/".join(s.replace("\x00", "") for s in tail)
        assert client.get(path).status_code < 500, path

    get()
    record_property("figure", f"random_paths={seen[0]} server_errors=0")


# Foreign-key injection -------------------------------------------------------------
# Every POST form on every organisation page, submitted as the page offers it but
# with one id field (a <select>, or a hidden input carrying an id) pointing at
# organisation B's row: nothing may change, in either organisation.

FORM_FIELD_MODELS = {
    **ID_KWARGS,
    "head": m.Person,
    "reports_to": m.Hat,
    "outgoing": m.Person,
    "incoming": m.Person,
    "author": m.Person,
    "confirmed_by": m.Person,
    "move_to": m.Area,
    "target": m.Area,
}
INJECTED_KINDS = (m.Person, m.Function, m.Hat, m.Task, m.Area)


class FormParser(HTMLParser):
    """The POST forms of a page: [(action, {name: value}, [id-like field names])]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.select, self.textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.form = {"action": a.get("action") or "", "data": {}, "ids": []}
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.form["data"][a["name"]] = a.get("value", "")
            if kind == "hidden" and (a.get("value") or "").isdigit() and field_model(a["name"]):
                self.form["ids"].append(a["name"])
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.form["data"].setdefault(self.select, "")
            self.form["ids"].append(self.select)
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if "selected" in a or (value and not self.form["data"][self.select]):
                self.form["data"][self.select] = value
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.form["data"][self.textarea] = ""

    def handle_data(self, data):
        if self.form is not None and self.textarea:
            self.form["data"][self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.form is not None:
            self.form["data"].pop("csrfmiddlewaretoken", None)
            self.forms.append(self.form)
            self.form = None


def field_model(name):
    base = re.sub(r"(_id|_pk|_ids)$", "", name.split("-")[-1])
    return FORM_FIELD_MODELS.get(base)


def page_forms(client, url):
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = FormParser()
    parser.feed(response.content.decode(errors="replace"))
    return [(form["action"] or url, form["data"], form["ids"]) for form in parser.forms]


def test_foreign_key_injection_saves_nothing(worlds, record_property):
    a, b = worlds
    client = client_for(a.admin)
    theirs = {model: object_for(model, b.org).pk for model in INJECTED_KINDS}
    before = {a.org.slug: fingerprint(a.org), b.org.slug: fingerprint(b.org)}
    posts, forms, accepted, problems = 0, set(), set(), []
    for pattern in org_patterns():
        url = pattern.path(a.org.slug, fill(pattern, a.org))
        for action, data, id_fields in page_forms(client, url):
            if not action.startswith(f"/o/{a.org.slug}/"):
                continue
            for name in id_fields:
                # Control: the form as offered (organisation A's own ids) is accepted,
                # so a refusal below is the foreign id's doing.
                with transaction.atomic():
                    client.post(action, data)
                    if fingerprint(a.org) != before[a.org.slug]:
                        accepted.add((action, name))
                    transaction.set_rollback(True)
                model = field_model(name)
                for kind in (model,) if model in theirs else INJECTED_KINDS:
                    forms.add((action, name))
                    with transaction.atomic():
                        response = client.post(action, {**data, name: str(theirs[kind])})
                        posts += 1
                        if response.status_code >= 500:
                            problems.append(f"{action} {name}: {response.status_code}")
                        elif fingerprint(a.org) != before[a.org.slug]:
                            problems.append(f"{action} {name}={kind.__name__} of B was saved")
                        transaction.set_rollback(True)
    assert fingerprint(b.org) == before[b.org.slug]
    record_property(
        "figure",
        f"fk_injection posts={posts} fields={len(forms)} saved=0"
        f" (the same forms with own ids saved: {len(accepted)})",
    )
    assert not problems, "\n".join(problems)


def test_invitations_are_answered_only_by_their_own_login(worlds):
    """Invitations live outside /o/<slug>/: only the invited login can see or
    answer one; everyone else gets a 404, and nothing changes."""
    a, b = worlds
    outsider = f.UserFactory(email="utanfor@example.com")
    person = f.PersonFactory(org=a.org, email=outsider.email, name="Utanför")
    invitation = m.Invitation.objects.create(org=a.org, person=person, user=outsider)
    for name in ("roles:invitation-accept", "roles:invitation-decline"):
        url = reverse(name, args=[invitation.id])
        for person_ in (a.admin, a.manager, a.member, b.admin, b.member):
            client = client_for(person_)
            assert client.post(url).status_code == 404, (person_.email, url)
            assert client.get(url).status_code == 405
        anonymous = Client(raise_request_exception=True).post(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/?next=")
    invitation.refresh_from_db()
    person.refresh_from_db()
    assert invitation.status == "pending" and person.user is None
