"""Restore an organisation from a hatta-org JSON document."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from roles import audit
from roles.interchange.backup import BackupError, import_org
from roles.models import AuditEvent


class Command(BaseCommand):
    help = "Import an organisation exported with export_org."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the JSON document (- for standard input)")
        parser.add_argument("--slug", default="", help="import under this slug instead")
        parser.add_argument(
            "--replace", action="store_true", help="delete an existing organisation of that slug"
        )

    def handle(self, *args, **opts):
        try:
            if opts["file"] == "-":
                import sys

                document = json.load(sys.stdin)
            else:
                document = json.loads(Path(opts["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {opts['file']}: {exc}") from exc
        try:
            org = import_org(document, slug=opts["slug"] or None, replace=opts["replace"])
        except (BackupError, KeyError, TypeError, DatabaseError) as exc:
            raise CommandError(f"Nothing was imported: {exc}") from exc
        audit.record(AuditEvent.IMPORT, org=org, actor="manage.py import_org", detail="backup")
        self.stdout.write(f"Imported organisation {org.name!r} as {org.slug!r}.")
