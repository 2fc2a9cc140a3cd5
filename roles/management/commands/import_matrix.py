"""Import a RACI sheet into an organisation: preview by default, --apply to write."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from roles import audit
from roles.interchange import importer
from roles.interchange.reader import MAX_BYTES, SheetError, read_sheet
from roles.interchange.reader import norm as name_key
from roles.models import AuditEvent, Function, Organisation


class Command(BaseCommand):
    help = "Preview (or with --apply, import) a RACI sheet (CSV or XLSX) into an organisation."

    def add_arguments(self, parser):
        parser.add_argument("org", help="organisation slug")
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--sheet", default="", help="sheet name (default: the first matrix)")
        parser.add_argument("--function", default="", help="function for new hats (by name)")
        parser.add_argument("--apply", action="store_true", help="write the import")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        try:
            if path.stat().st_size > MAX_BYTES:
                raise SheetError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
            data = path.read_bytes()
            sheet = read_sheet(data, path.name, opts["sheet"] or None)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        org = Organisation.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {opts['org']!r}.")
        function = None
        if opts["function"]:
            function = next(
                (
                    f
                    for f in Function.objects.for_org(org)
                    if name_key(f.name) == name_key(opts["function"])
                ),
                None,
            )
            if function is None:
                raise CommandError(f"No function named {opts['function']!r} in {org.slug}.")
        plan = importer.plan(org, sheet, function)
        try:
            summary = importer.apply(plan) if opts["apply"] else plan.summary()
            if opts["apply"]:
                audit.record(
                    AuditEvent.IMPORT, org=org, actor="manage.py import_matrix", detail=opts["file"]
                )
        except DatabaseError as exc:
            raise CommandError(f"Nothing was imported: {exc}") from exc
        if opts["format"] == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        self.write_text(plan, summary, opts["apply"])

    def write_text(self, plan, summary, applied):
        out = self.stdout.write
        out(f"{'Imported' if applied else 'Preview of'} sheet {plan.sheet.name!r}:")
        out(f"  new hats: {summary['hats_new']}  {', '.join(plan.hats_new)}")
        out(f"  new areas: {summary['areas_new']}  {', '.join(plan.areas_new)}")
        out(f"  new tasks: {summary['tasks_new']}")
        out(f"  cells changed: {summary['cells_changed']}")
        out(f"  cells unchanged: {summary['cells_unchanged']}")
        out(f"  problems: {len(summary['problems'])}")
        for p in summary["problems"]:
            where = f"{p['sheet']} row {p['row'] or '-'} column {p['column'] or '-'}"
            out(f"    {where}: {p['message']}")
        if not applied:
            out("Nothing was written; run again with --apply to import.")
