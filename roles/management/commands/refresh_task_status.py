"""Recount every task's stored status from its letters:
`manage.py refresh_task_status [ORG_SLUG ...]` (all organisations by default).
The letters are the truth; this repairs counts that drifted, e.g. after rows
were changed outside the app."""

from django.core.management.base import BaseCommand, CommandError

from roles.models import Organisation, Task


class Command(BaseCommand):
    help = "Recount the stored status of every task from its letters."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Organisations (default: all).")

    def handle(self, slugs, **options):
        orgs = Organisation.objects.order_by("slug")
        if slugs:
            orgs = orgs.filter(slug__in=slugs)
            missing = set(slugs) - set(orgs.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No organisation {', '.join(sorted(missing))}.")
        for org in orgs:
            tasks = Task.objects.for_org(org)
            wrong = tasks.status_mismatches()
            tasks.refresh_status()
            Organisation.touch(org.id)
            self.stdout.write(f"{org.slug}: {len(wrong)} task(s) recounted")
