"""The job worker: django-tasks-db's db_worker plus a housekeeping thread that
writes this worker's heartbeat, requeues or fails jobs whose worker died,
deletes old results, and queues the reminders and digests (roles.reminders)
once an hour."""

import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from roles import jobs, reminders

PRUNE_SECONDS = 3600


def housekeeping(worker_id, stop):
    last_prune = 0.0
    last_reminders = None  # queued at start, then every REMINDER_SECONDS
    while not stop.is_set():
        try:
            close_old_connections()
            jobs.beat(worker_id)
            jobs.reap_stalled()
            if time.monotonic() - last_prune > PRUNE_SECONDS:
                jobs.prune()
                last_prune = time.monotonic()
            due = last_reminders is None
            if due or time.monotonic() - last_reminders > settings.REMINDER_SECONDS:
                reminders.queue()
                last_reminders = time.monotonic()
        except Exception:  # a database hiccup must not end the heartbeat
            jobs.log.exception("worker housekeeping failed")
        finally:
            connection.close()
        stop.wait(settings.WORKER_BEAT_SECONDS)


class Command(DbWorkerCommand):
    help = "Run a job worker (db_worker with a heartbeat and stalled-job recovery)."

    def handle(self, *args, **options):
        stop = threading.Event()
        thread = threading.Thread(
            target=housekeeping, args=(options["worker_id"], stop), daemon=True
        )
        thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
