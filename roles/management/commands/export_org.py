"""Write one organisation's data as a hatta-org JSON document to standard output."""

import json

from django.core.management.base import BaseCommand, CommandError

from roles import audit
from roles.interchange.backup import export_org
from roles.models import AuditEvent, Organisation


class Command(BaseCommand):
    help = "Export everything of one organisation as JSON (see roles/interchange/README.md)."

    def add_arguments(self, parser):
        parser.add_argument("org", help="organisation slug")

    def handle(self, *args, **opts):
        org = Organisation.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {opts['org']!r}.")
        self.stdout.write(json.dumps(export_org(org), ensure_ascii=False, indent=1))
        audit.record(AuditEvent.EXPORT, org=org, actor="manage.py export_org", detail="backup")
