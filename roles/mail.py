"""Every email goes through `send_email`: rendered now (in the recipient's
language, text and optionally HTML), stored, and sent by a job that retries with
backoff while the mail server is down. A request never talks to the mail server."""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from .models import OutgoingEmail

log = logging.getLogger(__name__)

# Retries: 15 s, 30 s, 1 min, … doubling up to an hour, for about a day in all.
FIRST_RETRY_SECONDS = 15
MAX_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 30


def send_email(
    to,
    subject_template,
    text_template,
    context,
    language,
    html_template=None,
    *,
    org=None,
    person=None,
    kind="",
    headers=None,
):
    """Render and queue one email; returns the OutgoingEmail row."""
    with override(language):
        subject = " ".join(render_to_string(subject_template, context).split())
        text = render_to_string(text_template, context)
        html = render_to_string(html_template, context) if html_template else ""
    email = OutgoingEmail.objects.create(
        org=org,
        person=person,
        kind=kind,
        to=to,
        subject=subject[:300],
        text=text,
        html=html,
        headers=headers or {},
    )
    queue(email)
    return email


def queue(email, delay=None):
    from .tasks import deliver_email  # noqa: PLC0415 - tasks import this module

    task = deliver_email
    if delay:
        task = deliver_email.using(run_after=timezone.now() + delay)
    task.enqueue(email.pk)


def backoff(attempts):
    return timedelta(seconds=min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempts - 1)))


def deliver(email_id):
    """Send one pending email; on a mail-server failure, count the attempt and
    queue the next one after a backoff (or give up after MAX_ATTEMPTS)."""
    email = OutgoingEmail.objects.filter(pk=email_id, state=OutgoingEmail.PENDING).first()
    if email is None:
        return OutgoingEmail.SENT
    message = EmailMultiAlternatives(
        email.subject, email.text, settings.DEFAULT_FROM_EMAIL, [email.to], headers=email.headers
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as exc:
        attempts = email.attempts + 1
        # The server refused the address for good (5xx): retrying cannot help.
        state = (
            OutgoingEmail.FAILED
            if attempts >= MAX_ATTEMPTS or refused_for_good(exc)
            else OutgoingEmail.PENDING
        )
        wait = backoff(attempts)
        OutgoingEmail.objects.filter(pk=email.pk).update(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
            state=state,
            next_try=None if state == OutgoingEmail.FAILED else timezone.now() + wait,
        )
        log.warning("email %s not delivered (attempt %s): %s", email.pk, attempts, exc)
        if state == OutgoingEmail.PENDING:
            queue(email, delay=wait)
        return state
    OutgoingEmail.objects.filter(pk=email.pk).update(
        state=OutgoingEmail.SENT, sent=timezone.now(), attempts=email.attempts + 1, next_try=None
    )
    return OutgoingEmail.SENT


def refused_for_good(exc):
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return False


def undeliverable(person):
    """The person's latest email if it failed or is still retrying (an
    address that bounces or a mail server that refuses it), else None."""
    email = OutgoingEmail.objects.filter(person=person).order_by("-created", "-id").first()
    if email is None or email.state == OutgoingEmail.SENT or not email.attempts:
        return None
    return email


def retry_now(email):
    """The person's page "Retry": try again at once (a failed one too)."""
    OutgoingEmail.objects.filter(pk=email.pk).exclude(state=OutgoingEmail.SENT).update(
        state=OutgoingEmail.PENDING, next_try=timezone.now()
    )
    queue(email)
