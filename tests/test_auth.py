"""Signing in and out, changing and resetting a password."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from roles import models as m

from .conftest import PASSWORD
from .jobs_helpers import drain

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


@pytest.mark.parametrize(
    "typed", ["a-member@example.com", "A-Member@Example.COM", "  a-member@example.com "]
)
def test_sign_in_with_email_in_any_case(world, typed):
    client = Client(raise_request_exception=True)
    response = sign_in(client, typed)
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == world.member.user.pk
    # Straight on to the only organisation.
    assert (
        client.get(response["Location"], follow=True).redirect_chain[-1][0]
        == f"/o/{world.org.slug}/"
    )


def test_wrong_password_is_refused_with_a_message(world):
    client = Client(raise_request_exception=True)
    response = sign_in(client, "a-member@example.com", "wrong-password")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["form"].errors


def test_inactive_login_cannot_sign_in(world):
    m.User.objects.filter(pk=world.member.user.pk).update(is_active=False)
    client = Client(raise_request_exception=True)
    sign_in(client, "a-member@example.com")
    assert SESSION_KEY not in client.session
    assert client.get(f"/o/{world.org.slug}/").status_code == 302


def test_sign_out(world, as_member):
    assert as_member.get(f"/o/{world.org.slug}/").status_code == 200
    response = as_member.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert as_member.get(f"/o/{world.org.slug}/").status_code == 302


def test_sign_out_needs_post(world, as_member):
    response = as_member.get("/accounts/logout/")
    assert response.status_code == 200  # asks to confirm; only a POST signs out
    assert as_member.get(f"/o/{world.org.slug}/").status_code == 200


def test_change_password(world, as_member):
    assert as_member.get("/accounts/password/change/").status_code == 200
    response = as_member.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "en-ny-hatt-2026",
            "password2": "en-ny-hatt-2026",
        },
    )
    assert response.status_code == 302
    # Still signed in on this browser (session hash updated).
    assert as_member.get(f"/o/{world.org.slug}/").status_code == 200
    fresh = Client(raise_request_exception=True)
    assert sign_in(fresh, "a-member@example.com", PASSWORD).status_code == 200
    assert sign_in(fresh, "a-member@example.com", "en-ny-hatt-2026").status_code == 302


def test_change_password_wrong_old_password(world, as_member):
    response = as_member.post(
        "/accounts/password/change/",
        {
            "oldpassword": "nope",
            "password1": "en-ny-hatt-2026",
            "password2": "en-ny-hatt-2026",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_password_reset_round_trip(world):
    client = Client(raise_request_exception=True)
    assert client.get("/accounts/password/reset/").status_code == 200
    response = client.post("/accounts/password/reset/", {"email": "A-Member@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []  # sent by the worker, not the request
    drain()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a-member@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)

    response = client.get(link)  # swaps the token for a session-held one
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert client.get(set_password_url).status_code == 200
    response = client.post(
        set_password_url,
        {"password1": "glomt-och-nytt-77", "password2": "glomt-och-nytt-77"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"

    fresh = Client(raise_request_exception=True)
    assert sign_in(fresh, "a-member@example.com", "glomt-och-nytt-77").status_code == 302

    # The link works once.
    again = Client(raise_request_exception=True)
    response = again.get(link, follow=True)
    assert response.status_code == 200
    assert response.context["token_fail"] is True


def test_password_reset_for_unknown_email_sends_nothing(db):
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302  # same answer: no address enumeration
    drain()
    assert mail.outbox == []
