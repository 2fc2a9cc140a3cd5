"""The main pages the benchmark measures, found by URL name at run time so the
list grows as pages land. No Django setup here: tests import it too."""

from django.test import Client
from django.urls import NoReverseMatch, reverse

from bench.generate import logins
from roles.models import KPI, Function, Hat, Person

# (label, url names to try, who asks, object the URL takes, query string, requests or None).
# Every page docs/ARCHITECTURE.md lists ("Pages"), bar Django's own admin; the health checks are
# part of the map, not a page of their own. "global" pages take no
# organisation; "anonymous" asks without signing in.
PAGES = [
    ("login", ["account_login", "login"], "anonymous", "global", "", None),
    ("home", ["roles:home"], "member", "global", "", None),
    ("healthz", ["healthz"], "anonymous", "global", "", None),
    ("map", ["roles:org-map"], "admin", None, "", None),
    # The map (and below, the other pages whose content is kept, see
    # roles/pagecache.py) again, the organisation's stamp raised before every
    # request (FRESH): the first look after any write to the organisation.
    ("map-fresh", ["roles:org-map"], "admin", None, "", None),
    ("function", ["roles:function-detail"], "manager", "function", "", None),
    ("function-fresh", ["roles:function-detail"], "manager", "function", "", None),
    ("hat", ["roles:hat-detail"], "member", "hat", "", None),
    ("hat-fresh", ["roles:hat-detail"], "member", "hat", "", None),
    ("hat-pdf", ["roles:hat-pdf"], "member", "hat", "", 5),
    ("hat-edit", ["roles:hat-edit"], "manager", "hat", "", None),
    ("hat-revisions", ["roles:hat-revisions"], "member", "hat", "", None),
    ("me", ["roles:me"], "member", None, "", None),
    ("me-fresh", ["roles:me"], "member", None, "", None),
    ("scorecard", ["roles:scorecard"], "admin", None, "", None),
    ("scorecard-function", ["roles:scorecard"], "manager", None, "?function={function}", None),
    ("kpi-graph", ["roles:kpi-graph"], "member", "kpi", "?n=52", None),
    ("matrix-function", ["roles:matrix"], "manager", None, "?function={function}", None),
    ("matrix-function-fresh", ["roles:matrix"], "manager", None, "?function={function}", None),
    ("matrix-page", ["roles:matrix"], "admin", None, "", None),
    ("people", ["roles:people"], "admin", None, "", None),
    ("xlsx", ["roles:matrix-xlsx"], "admin", None, "", 5),
    ("csv", ["roles:matrix-csv"], "admin", None, "", 5),
]
# Pages asked for with the organisation's stamp raised before each request.
FRESH = {"map-fresh", "function-fresh", "hat-fresh", "me-fresh", "matrix-function-fresh"}
# What a page answers when it is not 200: home sends a member of one
# organisation straight to it.
STATUS = {"home": 302}
# Spellings of the id kwarg a detail URL may take.
ID_KWARGS = ("pk", "id", "hat", "function", "hat_id", "function_id", "kpi_id")


def find_url(names, slug, obj_id=None):
    """The URL of the first name that resolves, or None while the page is missing."""
    for name in names:
        if slug is None:
            tries = [{}]
        elif obj_id is None:
            tries = [{"org": slug}]
        else:
            tries = [{"org": slug, k: obj_id} for k in ID_KWARGS]
        for kwargs in tries:
            try:
                return reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
    return None


def client_for(role, people):
    """A test client signed in as people[role], or not signed in for "anonymous"."""
    client = Client(raise_request_exception=True)
    if role != "anonymous":
        client.force_login(people[role].user)
    return client


def people_of(slug):
    """{"admin"|"manager"|"member": Person} of a generated organisation."""
    known = logins(slug)
    return {
        role: Person.objects.select_related("user", "org").get(
            org__slug=slug, email=getattr(known, role)
        )
        for role in ("admin", "manager", "member")
    }


def objects_of(people):
    """Ids the detail pages are measured on: the manager's function, the
    member's hat and its first KPI."""
    manager, member = people["manager"], people["member"]
    function = Function.objects.for_org(manager.org).filter(head=manager).order_by("id").first()
    hat = Hat.objects.for_org(member.org).filter(assignments__person=member).first()
    kpi = KPI.objects.filter(hat=hat).order_by("position", "id").first()
    return {"function": function.id, "hat": hat.id, "kpi": kpi.id if kpi else None}


def page_urls(slug, people=None):
    """[(label, role, url, requests)] of the pages that exist, and notes on the missing."""
    people = people or people_of(slug)
    ids = objects_of(people)
    found, missing = [], []
    for label, names, role, obj, query, n in PAGES:
        if obj == "global":
            url = find_url(names, None)
        else:
            url = find_url(names, slug, ids[obj] if obj else None)
        if url is None:
            missing.append(f"{label}: skipped, no URL named {' / '.join(names)} yet")
        else:
            found.append((label, role, url + query.format(**ids), n))
    return found, missing
