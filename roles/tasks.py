"""Tasks for django.tasks: the only code the queue backend runs. Code elsewhere
only calls `.enqueue(...)`, so the backend is a setting (TASKS)."""

from django.tasks import task

from . import jobs


@task()
def run_job(job_id):
    """Run one Job (handbook, export, import) with its limits."""
    jobs.supervise(job_id)


@task()
def deliver_email(email_id):
    """Send one stored email (retried with backoff by roles.mail)."""
    from . import mail  # noqa: PLC0415

    return mail.deliver(email_id)


@task()
def send_password_reset(email, base_url, language):
    """Look the address up and mail a reset link if it has an account: in the
    worker, so the request answers the same whether it exists or not."""
    from .auth import mail_password_reset  # noqa: PLC0415

    mail_password_reset(email, base_url, language)


@task()
def send_notifications(kind, person_ids):
    """Email the notifications of `kind` waiting for these people (batched
    per person and hour by roles.notify)."""
    from . import notify  # noqa: PLC0415

    return notify.flush(kind, person_ids)


@task()
def send_reminders():
    """The scheduler's run (numbers due, digests): idempotent per period."""
    from . import reminders  # noqa: PLC0415

    return reminders.run()
