"""Accounts: consent to join an organisation, the audit trail, signed-in
sessions and two-factor sign-in."""

import csv
import io
import time
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from roles import models as m
from roles.management.commands.demo import build_annat, build_nordisk, set_logins

from . import factories as f
from .conftest import PASSWORD, client_for
from .jobs_helpers import drain

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Used TOTP codes are remembered in the cache: start each test without any."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def totp_code(secret=SECRET, offset=0):
    """The code an authenticator app shows now (RFC 6238, 30-second steps)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def events(org, kind=None):
    qs = m.AuditEvent.objects.filter(org=org)
    return list(qs.filter(kind=kind) if kind else qs)


# Consent to join ------------------------------------------------------------------
@pytest.fixture
def demo():
    nordisk, annat = build_nordisk(), build_annat()
    set_logins(["vd@nordisk.example", "saljare@nordisk.example", "vd@annat.example"], PASSWORD)
    return nordisk, annat


def test_an_admin_cannot_attach_another_companys_login_without_consent(demo, mailoutbox):
    """The admin of Annat Bolag adds saljare@nordisk.example: the person is asked,
    and is not a member of Annat Bolag until they accept."""
    nordisk, annat = demo
    annat_admin = Client(raise_request_exception=True)
    sign_in(annat_admin, "vd@annat.example")
    response = annat_admin.post(
        reverse("roles:person-create", kwargs={"org": annat.slug}),
        {
            "name": "Sara Säljare",
            "email": "saljare@nordisk.example",
            "access": "member",
            "invite": "on",
        },
    )
    assert response.status_code == 302
    person = m.Person.objects.get(org=annat, email="saljare@nordisk.example")
    assert person.user is None
    drain()  # the invitation is sent by a job
    assert "accept" in mailoutbox[-1].body and "/accounts/login/" in mailoutbox[-1].body

    sara = Client(raise_request_exception=True)
    sign_in(sara, "saljare@nordisk.example")
    home = sara.get("/")
    assert home.status_code == 200  # the picker, with the invitation to answer
    assert reverse("roles:org-map", kwargs={"org": annat.slug}) not in home.text
    assert "Annat" in home.text
    assert sara.get(f"/o/{annat.slug}/").status_code == 404
    assert sara.get(f"/o/{annat.slug}/me/").status_code == 404

    invitation = m.Invitation.objects.get(person=person)
    response = sara.post(reverse("roles:invitation-accept", args=[invitation.id]))
    assert response.status_code == 302
    assert sara.get(f"/o/{annat.slug}/").status_code == 200
    person.refresh_from_db()
    assert person.user.email == "saljare@nordisk.example"
    kinds = [e.kind for e in events(annat)]
    assert "invitation_sent" in kinds and "invitation_accepted" in kinds


def test_a_declined_invitation_leaves_no_membership(world, other_world, as_admin):
    person = f.PersonFactory(org=world.org, name="Konsult", email=other_world.member.email)
    as_admin.post(
        reverse("roles:person-invite", kwargs={"org": world.org.slug, "person_id": person.id})
    )
    invitation = m.Invitation.objects.get(person=person)
    invitee = client_for(other_world.member)
    assert (
        invitee.post(reverse("roles:invitation-decline", args=[invitation.id])).status_code == 302
    )
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert invitee.get(f"/o/{world.org.slug}/").status_code == 404
    # Answered: it cannot be accepted afterwards.
    invitee.post(reverse("roles:invitation-accept", args=[invitation.id]))
    assert invitee.get(f"/o/{world.org.slug}/").status_code == 404
    assert events(world.org, "invitation_declined")


def test_an_expired_invitation_cannot_be_accepted(world, other_world, as_admin):
    person = f.PersonFactory(org=world.org, name="Konsult", email=other_world.member.email)
    as_admin.post(
        reverse("roles:person-invite", kwargs={"org": world.org.slug, "person_id": person.id})
    )
    invitation = m.Invitation.objects.get(person=person)
    m.Invitation.objects.filter(pk=invitation.pk).update(expires=timezone.now() - timedelta(1))
    invitee = client_for(other_world.member)
    assert "Alfa AB" not in invitee.get("/").text
    response = invitee.post(reverse("roles:invitation-accept", args=[invitation.id]), follow=True)
    assert "no longer open" in response.text
    assert invitee.get(f"/o/{world.org.slug}/").status_code == 404


def test_only_the_invited_login_may_answer(world, other_world, as_admin):
    person = f.PersonFactory(org=world.org, name="Konsult", email=other_world.member.email)
    as_admin.post(
        reverse("roles:person-invite", kwargs={"org": world.org.slug, "person_id": person.id})
    )
    invitation = m.Invitation.objects.get(person=person)
    for intruder in (other_world.admin, world.admin, world.member):
        client = client_for(intruder)
        for name in ("roles:invitation-accept", "roles:invitation-decline"):
            assert client.post(reverse(name, args=[invitation.id])).status_code == 404
            assert client.get(reverse(name, args=[invitation.id])).status_code == 405
    assert (
        Client().post(reverse("roles:invitation-accept", args=[invitation.id])).status_code == 302
    )
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    person.refresh_from_db()
    assert person.user is None


def test_inviting_again_renews_the_one_pending_invitation(world, other_world, as_admin):
    person = f.PersonFactory(org=world.org, name="Konsult", email=other_world.member.email)
    target = reverse("roles:person-invite", kwargs={"org": world.org.slug, "person_id": person.id})
    as_admin.post(target)
    m.Invitation.objects.update(expires=timezone.now() + timedelta(hours=1))
    as_admin.post(target)
    invitation = m.Invitation.objects.get(person=person)
    assert invitation.expires > timezone.now() + timedelta(days=13)


# Sign-in on allauth -----------------------------------------------------------------
def test_a_login_made_before_allauth_signs_in_with_its_password(world, settings):
    """Logins made with Django's own sign-in keep their password hash (PBKDF2)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    old = m.User.objects.create(
        email="gammal@example.com", password=make_password("sedan-2025", hasher="pbkdf2_sha256")
    )
    f.PersonFactory(org=world.org, user=old, email=old.email, name="Gammal")
    client = Client(raise_request_exception=True)
    assert sign_in(client, "Gammal@Example.com", "sedan-2025").status_code == 302
    assert int(client.session[SESSION_KEY]) == old.pk


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/accounts/password_change/", "/accounts/password/change/"),
        ("/accounts/password_reset/", "/accounts/password/reset/"),
    ],
)
def test_old_addresses_lead_to_the_new_pages(db, old, new):
    response = Client().get(old)
    assert response.status_code == 301 and response["Location"] == new


def test_nobody_signs_up_on_their_own(db):
    response = Client().post(
        "/accounts/signup/", {"email": "ny@example.com", "password1": "x-Y-z-12345"}
    )
    assert not m.User.objects.filter(email="ny@example.com").exists()
    assert response.status_code in {200, 302}


# Audit trail --------------------------------------------------------------------------
def test_security_events_are_recorded_with_who_when_and_where(world):
    client = Client(raise_request_exception=True, REMOTE_ADDR="198.51.100.7")
    sign_in(client, "a-member@example.com", "wrong")
    sign_in(client, "a-member@example.com")
    client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "ny-hatt-2026!", "password2": "ny-hatt-2026!"},
    )
    kinds = {e.kind for e in events(world.org)}
    assert {"sign_in_failed", "sign_in", "password_changed"} <= kinds
    event = events(world.org, "sign_in")[0]
    assert event.actor == "a-member@example.com" and event.address == "198.51.100.7"
    assert event.when <= timezone.now()


def test_lockout_and_access_changes_are_recorded(world, as_admin):
    client = Client()
    for _ in range(5):
        sign_in(client, "a-member@example.com", "wrong")
    assert events(world.org, "locked_out")
    as_admin.post(
        reverse("roles:person-edit", kwargs={"org": world.org.slug, "person_id": world.member.id}),
        {
            "name": world.member.name,
            "email": world.member.email,
            "access": "manager",
            "active": "on",
        },
    )
    (change,) = events(world.org, "access_changed")
    assert "member → manager" in change.detail and change.actor == "a-admin@example.com"


def test_downloads_are_recorded(world, as_member):
    as_member.get(reverse("roles:matrix-csv", kwargs={"org": world.org.slug}))
    assert events(world.org, "export")[0].detail.endswith("matrix.csv")


def test_an_admin_reads_and_exports_only_their_own_trail(world, other_world):
    sign_in(Client(), "a-member@example.com")
    sign_in(Client(), "b-member@example.com")
    sign_in(Client(), "b-admin@example.com", "wrong")
    admin = client_for(world.admin)
    page = admin.get(reverse("roles:audit", kwargs={"org": world.org.slug}))
    assert page.status_code == 200
    assert "a-member@example.com" in page.text
    assert "b-member@example.com" not in page.text and "b-admin@example.com" not in page.text
    export = admin.get(reverse("roles:audit-csv", kwargs={"org": world.org.slug}))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    who = {row[2] for row in rows[1:]}
    assert "a-member@example.com" in who
    assert not any(w.startswith("b-") for w in who)
    # Filtered by kind.
    only = admin.get(reverse("roles:audit", kwargs={"org": world.org.slug}), {"kind": "sign_in"})
    assert only.status_code == 200
    assert all(e.kind == "sign_in" for e in only.context["page"].object_list)
    # The other organisation's admin sees none of organisation A's events.
    other = client_for(other_world.admin)
    page = other.get(reverse("roles:audit", kwargs={"org": other_world.org.slug}))
    assert "a-member@example.com" not in page.text


def test_the_trail_is_for_admins(world, as_manager, as_member):
    for name in ("roles:audit", "roles:audit-csv"):
        target = reverse(name, kwargs={"org": world.org.slug})
        assert as_manager.get(target).status_code == 403
        assert as_member.get(target).status_code == 403


def test_the_trail_page_reads_the_same_queries_small_and_large(
    world, as_admin, django_assert_max_num_queries
):
    target = reverse("roles:audit", kwargs={"org": world.org.slug})
    with django_assert_max_num_queries(6):
        assert as_admin.get(target).status_code == 200
    m.AuditEvent.objects.bulk_create(
        [m.AuditEvent(org=world.org, kind="sign_in", actor=f"p{i}@example.com") for i in range(300)]
    )
    with django_assert_max_num_queries(6):
        page = as_admin.get(target, {"page": 3})
    assert page.status_code == 200


# Sessions ----------------------------------------------------------------------------
def test_a_person_sees_their_sessions_and_signs_out_the_others(world):
    laptop = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    phone = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1")
    sign_in(laptop, "a-member@example.com")
    sign_in(phone, "a-member@example.com")
    page = laptop.get("/accounts/sessions/")
    assert page.status_code == 200
    assert "Firefox" in page.text and "iPhone" in page.text
    laptop.post("/accounts/sessions/", {"action": "sign_out_others"})
    assert phone.get(f"/o/{world.org.slug}/").status_code == 302
    assert laptop.get(f"/o/{world.org.slug}/").status_code == 200


def test_changing_the_password_signs_out_every_other_session(world):
    here, there = Client(), Client()
    sign_in(here, "a-member@example.com")
    sign_in(there, "a-member@example.com")
    here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "ny-hatt-2026!", "password2": "ny-hatt-2026!"},
    )
    assert here.get(f"/o/{world.org.slug}/").status_code == 200
    assert there.get(f"/o/{world.org.slug}/").status_code == 302


# Two-factor ---------------------------------------------------------------------------
def test_sign_in_with_an_authenticator_app(world):
    TOTP.activate(world.member.user, SECRET)
    client = Client(raise_request_exception=True)
    response = sign_in(client, "a-member@example.com")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert SESSION_KEY not in client.session
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    assert SESSION_KEY not in client.session
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == world.member.user.pk
    assert events(world.org, "sign_in")


def test_an_organisation_can_require_two_factor(world, django_capture_on_commit_callbacks):
    m.Organisation.objects.filter(pk=world.org.pk).update(require_two_factor=True)
    client = Client(raise_request_exception=True)
    sign_in(client, "a-member@example.com")
    response = client.get(f"/o/{world.org.slug}/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    # Set up an authenticator app: the page shows the secret, the app's code confirms it.
    response = client.get(reverse("mfa_activate_totp"))  # asks for the password again first
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=world.member.user, type="totp").exists()
    assert client.get(f"/o/{world.org.slug}/").status_code == 200
    assert events(world.org, "mfa_changed")


def test_the_requirement_is_an_admin_setting(world, as_admin, as_manager):
    target = reverse("roles:org-settings", kwargs={"org": world.org.slug})
    data = {
        "max_accountable": 12,
        "max_hats": 4,
        "overload_share": 100,
        "week_ends": 6,
        "kpi_grace_days": 1,
        "kpi_off_target_periods": 3,
    }
    assert as_manager.post(target, {**data, "require_two_factor": "on"}).status_code == 403
    as_admin.post(target, {**data, "require_two_factor": "on"})
    world.org.refresh_from_db()
    assert world.org.require_two_factor
    assert events(world.org, "settings_changed")


def test_admins_are_asked_to_set_up_two_factor_when_they_sign_in(world):
    admin, member = Client(), Client()
    asked = sign_in(admin, "a-admin@example.com")
    page = admin.get(asked["Location"], follow=True)
    assert "Protect your account" in page.text
    assert f'href="{reverse("mfa_index")}"' in page.text
    page = member.get(sign_in(member, "a-member@example.com")["Location"], follow=True)
    assert "Protect your account" not in page.text
    TOTP.activate(world.admin.user, SECRET)
    again = Client()
    sign_in(again, "a-admin@example.com")
    again.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert "Protect your account" not in again.get("/", follow=True).text


@pytest.mark.swedish
def test_the_account_pages_speak_swedish(world):
    client = Client(raise_request_exception=True)
    assert "Glömt ditt lösenord?" in client.get("/accounts/login/").text
    assert "Glömt ditt lösenord?" in client.get("/accounts/password/reset/").text
    sign_in(client, "a-member@example.com")
    assert "Byt lösenord" in client.get("/accounts/password/change/").text
    assert "Inloggade webbläsare" in client.get("/accounts/sessions/").text
    assert "Tvåfaktorsautentisering" in client.get("/accounts/2fa/").text
    admin = client_for(world.admin)
    assert "Granskningslogg" in admin.get(f"/o/{world.org.slug}/audit/").text
