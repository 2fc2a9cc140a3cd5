"""Sign-in and session hardening, CSRF, headers, error pages, and deleting an
organisation."""

import datetime
import logging
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.utils import timezone

from roles import models as m

from .conftest import PASSWORD, client_for
from .test_sweep import enrich, fill, fingerprint, org_patterns

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


# CSRF ---------------------------------------------------------------------------


def test_sign_in_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "a-member@example.com").status_code == 403
    assert SESSION_KEY not in client.session


def test_sign_in_with_csrf_token_works(world):
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN)
    token = page.context["csrf_token"]
    response = client.post(
        LOGIN,
        {"login": "a-member@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_every_post_needs_a_csrf_token(world, other_world):
    enrich(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin.user)
    before = fingerprint(world.org)
    urls = ["/accounts/logout/", "/accounts/password/change/", "/i18n/setlang/"]
    for pattern in org_patterns():
        urls.append(pattern.path(world.org.slug, fill(pattern, world.org)))
    for url in urls:
        assert client.post(url, {"name": "x"}).status_code == 403, url
    assert fingerprint(world.org) == before


# Cookies and headers -------------------------------------------------------------


def test_session_and_csrf_cookies_are_httponly_and_samesite(world):
    client = Client()
    client.get(LOGIN)
    response = sign_in(client, "a-member@example.com")
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"]
    assert csrf["samesite"] == "Lax"


def test_security_headers_on_a_page(world, as_member):
    response = as_member.get(f"/o/{world.org.slug}/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'self'" in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in directives.get("style-src", [])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]


def test_pages_have_no_inline_scripts_or_styles(world, as_member):
    """What the CSP forbids must not be in the page (it would be blocked)."""
    html = as_member.get(f"/o/{world.org.slug}/").text
    for tag in html.split("<script")[1:]:
        head = tag.split(">", 1)[0]
        assert "src=" in head or "nonce=" in head, f"inline <script{head}>"
    assert " style=" not in html
    assert " onclick=" not in html.lower()


# Error pages ---------------------------------------------------------------------


def failing_overview(exc):
    return mock.patch("roles.access.resolve", side_effect=exc)


@pytest.mark.parametrize(
    ("exc", "status", "text"),
    [
        (PermissionDenied, 403, "You cannot do that here"),
        (SuspiciousOperation("bad"), 400, "That request could not be understood"),
        (RuntimeError("boom"), 500, "Something went wrong"),
    ],
)
def test_error_pages_in_layout_and_language(world, exc, status, text):
    client = Client(raise_request_exception=False)
    client.force_login(world.member.user)
    with failing_overview(exc):
        response = client.get(f"/o/{world.org.slug}/", headers={"Accept-Language": "en"})
    assert response.status_code == status
    html = response.text
    assert text in html
    assert '<html lang="en">' in html
    assert "navbar" in html and "hatta.css" in html  # the site's layout
    assert "Traceback" not in html and "boom" not in html


@pytest.mark.swedish
def test_404_page_in_layout_and_language(world, as_member):
    response = as_member.get("/o/finns-inte/", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert '<html lang="en">' in response.text
    assert "navbar" in response.text


@pytest.mark.swedish
def test_404_page_is_swedish_by_default(world, as_member):
    response = as_member.get("/o/finns-inte/")
    assert response.status_code == 404
    assert '<html lang="sv">' in response.text


def test_bad_host_is_a_400_page(db):
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_500_shows_and_logs_the_request_id(world):
    records = []

    class Catch(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Catch()
    from roles.middleware import RequestIdFilter

    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client = Client(raise_request_exception=False)
        client.force_login(world.member.user)
        with failing_overview(RuntimeError("boom")):
            response = client.get(f"/o/{world.org.slug}/")
    finally:
        logger.removeHandler(handler)
    rid = response["X-Request-ID"]
    assert response.status_code == 500
    assert rid in response.text
    assert any(r.request_id == rid and r.levelno >= logging.ERROR for r in records)


# Brute force (django-axes) -------------------------------------------------------


def fail_times(client, email, n, ip="10.0.0.1"):
    return [sign_in(client, email, "wrong-password", REMOTE_ADDR=ip) for _ in range(n)]


def test_lockout_after_five_failures(world):
    assert settings.AXES_ENABLED
    client = Client()
    responses = fail_times(client, "a-member@example.com", 5)
    assert [r.status_code for r in responses[:4]] == [200] * 4
    locked = responses[4]
    assert locked.status_code == 429
    # Even the right password is refused now, with a friendly page.
    response = sign_in(
        client, "a-member@example.com", REMOTE_ADDR="10.0.0.1", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "15 minutes" in response.text
    assert '<html lang="en">' in response.text
    assert SESSION_KEY not in client.session


def test_lockout_is_per_user_and_ip(world):
    fail_times(Client(), "a-member@example.com", 5)
    # Another person from the same address signs in fine...
    assert sign_in(Client(), "a-manager@example.com", REMOTE_ADDR="10.0.0.1").status_code == 302
    # ...and so does the locked person from another address.
    assert sign_in(Client(), "a-member@example.com", REMOTE_ADDR="10.0.0.2").status_code == 302


def test_lockout_cools_off_after_15_minutes(world):
    assert settings.AXES_COOLOFF_TIME == 0.25  # hours: never permanent
    fail_times(Client(), "a-member@example.com", 5)
    assert sign_in(Client(), "a-member@example.com", REMOTE_ADDR="10.0.0.1").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert sign_in(Client(), "a-member@example.com", REMOTE_ADDR="10.0.0.1").status_code == 302


def test_lockout_ignores_email_case(world):
    fail_times(Client(), "A-Member@Example.com", 3)
    fail_times(Client(), "a-member@example.com", 2)
    response = sign_in(Client(), "a-member@example.com", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429


# Sessions ------------------------------------------------------------------------


def test_sign_in_rotates_the_session_id(world):
    client = Client()
    session = client.session
    session["probe"] = 1
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key
    assert sign_in(client, "a-member@example.com").status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before


def test_deactivated_person_loses_access_at_once(world):
    client = client_for(world.manager)
    url = f"/o/{world.org.slug}/"
    assert client.get(url).status_code == 200
    world.manager.active = False
    world.manager.save()
    assert client.get(url).status_code == 404


def test_deactivated_login_is_signed_out_at_once(world):
    client = client_for(world.member)
    m.User.objects.filter(pk=world.member.user.pk).update(is_active=False)
    assert client.get(f"/o/{world.org.slug}/").status_code == 302


def test_lowered_level_takes_effect_between_requests(world):
    """Over HTTP, on every admin-only page that exists."""
    admin_pages = [p for p in org_patterns() if p.level == "admin"]
    if not admin_pages:
        pytest.skip("no admin-only page yet")
    client = client_for(world.admin)
    m.Person.objects.filter(pk=world.admin.pk).update(access="member")
    enrich(world)
    for pattern in admin_pages:
        url = pattern.path(world.org.slug, fill(pattern, world.org))
        assert client.get(url).status_code in {403, 405}, url


# Deleting an organisation --------------------------------------------------------


def test_deleting_an_organisation_removes_all_of_it_and_nothing_else(world, other_world):
    enrich(world)
    enrich(other_world)
    other_before = fingerprint(other_world.org)
    superuser = m.User.objects.create_superuser("root@example.com", "pw-secret-123")
    client = Client(raise_request_exception=True)
    client.force_login(superuser)
    response = client.post(
        "/admin/roles/organisation/",
        {"action": "delete_selected", "_selected_action": [world.org.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()
    gone = fingerprint(m.Organisation(pk=world.org.pk))
    assert all(count == 0 for count, _ in gone.values()), gone
    assert fingerprint(other_world.org) == other_before
    # The people's logins stay (a login may belong to several organisations).
    assert m.User.objects.filter(pk=world.admin.user_id).exists()


# Caching -------------------------------------------------------------------------


def test_signed_in_pages_and_downloads_are_not_stored(world, record_property):
    """Every organisation page (the sweep's URLs), the downloads among them, and the
    pages outside organisations, as each access level sees them."""
    enrich(world)
    urls = ["/", "/accounts/password_change/"]
    urls += [p.path(world.org.slug, fill(p, world.org)) for p in org_patterns()]
    checked = 0
    for person in (world.admin, world.manager, world.member):
        client = client_for(person)
        for url in urls:
            response = client.get(url)
            directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
            assert {"private", "no-store"} <= directives, (person.access, url, directives)
            checked += 1
    record_property("figure", f"cache_control urls={len(urls)} responses={checked} stored=0")
