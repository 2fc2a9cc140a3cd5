"""Emails go through jobs: a real SMTP server (aiosmtpd) that is down, then up;
nothing is lost and nothing is sent twice. Password reset answers the same for a
known and an unknown address, with the mail server up or down."""

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from roles.models import OutgoingEmail

from . import factories as f
from .jobs_helpers import drain

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A mail server on a free port, not yet started: smtp.start() brings it up."""
    port = free_port()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    inbox.start = controller.start
    yield inbox
    if getattr(controller, "_thread", None):
        controller.stop()


def test_smtp_down_then_up_the_invitation_arrives_once(world, as_admin, smtp):
    person = f.PersonFactory(org=world.org, name="Ny Person", email="ny@example.com")
    invite = reverse("roles:person-invite", kwargs={"org": world.org.slug, "person_id": person.id})
    response = as_admin.post(invite)
    assert response.status_code == 302  # the request never talks to the mail server
    drain()  # mail server down: refused, kept, retry queued with a backoff
    sent = OutgoingEmail.objects.get(person=person)
    assert sent.state == OutgoingEmail.PENDING and sent.attempts == 1 and sent.next_try
    page = as_admin.get(reverse("roles:person-detail", args=[world.org.slug, person.id]))
    assert "not delivered yet, retrying" in page.text and "Retry now" in page.text

    smtp.start()
    retry = reverse("roles:person-invite-retry", args=[world.org.slug, person.id])
    assert as_admin.post(retry).status_code == 302
    drain()
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "ny@example.com" and world.org.name in message["Subject"]
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    # The retry queued while the server was down finds the email sent: no second copy.
    DBTaskResult.objects.filter(status="READY").update(run_after=sent.created)
    drain()
    assert len(smtp.messages) == 1
    assert OutgoingEmail.objects.get(pk=sent.pk).state == OutgoingEmail.SENT
    page = as_admin.get(reverse("roles:person-detail", args=[world.org.slug, person.id]))
    assert "Invitation delivered" in page.text


def test_the_deferred_retry_delivers_without_anyone_pressing_retry(world, as_admin, smtp):
    invite = reverse("roles:person-invite", args=[world.org.slug, world.member.id])
    as_admin.post(invite)
    drain()
    assert OutgoingEmail.objects.get().attempts == 1
    smtp.start()
    drain()
    assert smtp.messages == []  # not due yet: the backoff holds
    DBTaskResult.objects.filter(status="READY").update(
        run_after=OutgoingEmail.objects.get().created
    )
    drain()
    assert len(smtp.messages) == 1


def reset(email, lang="en"):
    client = Client()
    client.cookies["django_language"] = lang
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/accounts/password/reset/", {"email": email})
    shapes = [q["sql"].split(" VALUES ")[0].split(" WHERE ")[0] for q in queries.captured_queries]
    return response, shapes


@pytest.mark.parametrize("server_up", [False, True])
def test_password_reset_answers_alike_for_known_and_unknown_email(world, smtp, server_up):
    if server_up:
        smtp.start()
    known, known_queries = reset("A-Member@example.com")
    unknown, unknown_queries = reset("nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert known.content == unknown.content
    # The same work in the request (one queued row), so the same timing class.
    assert known_queries == unknown_queries
    drain()
    assert len(smtp.messages) == (1 if server_up else 0)
    assert OutgoingEmail.objects.filter(to="a-member@example.com").count() == 1


def test_password_reset_mail_is_in_the_askers_language(world, smtp):
    smtp.start()
    reset("a-member@example.com", lang="sv")
    drain()
    body = smtp.messages[0].get_payload(decode=True).decode()
    assert "Någon" in body or "lösenord" in body
