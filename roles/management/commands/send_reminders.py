"""Send the reminders and digests that are due (roles.reminders). Idempotent
per period: run it from cron or a systemd timer as often as you like; the job
worker also queues it every hour."""

from django.core.management.base import BaseCommand

from roles import reminders


class Command(BaseCommand):
    help = "Write the weekly-numbers reminders and digests that are due; their emails are jobs."

    def handle(self, *args, **options):
        written = reminders.run()
        self.stdout.write(f"{written} notifications written")
