"""Import a RACI sheet into an organisation: preview by default, --apply to write.
Every message is in the organisation's language, or the one --language names."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext as _

from roles import audit
from roles.interchange import importer
from roles.interchange.reader import MAX_BYTES, SheetError, read_sheet
from roles.interchange.reader import norm as name_key
from roles.models import AuditEvent, Function, Organisation


class Command(BaseCommand):
    help = (
        "Preview (or with --apply, import) a RACI sheet (CSV, XLSX, ODS, XLS) into an organisation."
    )

    def add_arguments(self, parser):
        parser.add_argument("org", help="organisation slug")
        parser.add_argument("file", help="a .csv, .xlsx, .ods or .xls file")
        parser.add_argument("--sheet", default="", help="sheet name (default: the first matrix)")
        parser.add_argument("--function", default="", help="function for new hats (by name)")
        parser.add_argument("--apply", action="store_true", help="write the import")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the messages (default: the organisation's)",
        )

    def handle(self, *args, **opts):
        org = Organisation.objects.filter(slug=opts["org"]).first()
        language = opts["language"] or (org.language if org else settings.LANGUAGE_CODE)
        with translation.override(language):
            if org is None:
                raise CommandError(
                    _("No organisation with the slug “%(slug)s”.") % {"slug": opts["org"]}
                )
            return self.run(org, opts)

    def run(self, org, opts):
        path = Path(opts["file"])
        try:
            if path.stat().st_size > MAX_BYTES:
                raise SheetError(
                    _("The file is too large; the limit is %(limit)s MB.")
                    % {"limit": MAX_BYTES // 1024 // 1024}
                )
            sheet = read_sheet(path.read_bytes(), path.name, opts["sheet"] or None)
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s.")
                % {"path": path, "error": exc.strerror or type(exc).__name__}
            ) from exc
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        function = None
        if opts["function"]:
            wanted = name_key(opts["function"])
            function = next(
                (f for f in Function.objects.for_org(org) if name_key(f.name) == wanted), None
            )
            if function is None:
                raise CommandError(
                    _("No function named “%(name)s” in %(org)s.")
                    % {"name": opts["function"], "org": org.name}
                )
        plan = importer.plan(org, sheet, function)
        try:
            summary = importer.apply(plan) if opts["apply"] else plan.summary()
            if opts["apply"]:
                audit.record(
                    AuditEvent.IMPORT, org=org, actor="manage.py import_matrix", detail=opts["file"]
                )
        except DatabaseError as exc:
            raise CommandError(
                _("Nothing was imported: %(error)s") % {"error": type(exc).__name__}
            ) from exc
        if opts["format"] == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        self.write_text(plan, summary, opts["apply"])

    def write_text(self, plan, summary, applied):
        out = self.stdout.write
        if applied:
            out(_("Imported the sheet “%(name)s”:") % {"name": plan.sheet.name})
        else:
            out(_("Preview of the sheet “%(name)s”:") % {"name": plan.sheet.name})
        lines = [
            (_("New hats"), summary["hats_new"], ", ".join(plan.hats_new)),
            (_("New areas"), summary["areas_new"], ", ".join(plan.areas_new)),
            (_("New tasks"), summary["tasks_new"], ""),
            (_("Cells changed"), summary["cells_changed"], ""),
            (_("Cells unchanged"), summary["cells_unchanged"], ""),
            (_("Problems"), len(summary["problems"]), ""),
        ]
        for label, count, names in lines:
            out(f"  {label}: {count}  {names}".rstrip())
        for p in summary["problems"]:
            where = _("%(sheet)s, row %(row)s, column %(column)s") % {
                "sheet": p["sheet"],
                "row": p["row"] or "–",
                "column": p["column"] or "–",
            }
            out(f"    {where}: {p['message']}")
        if not applied:
            out(_("Nothing was written; run again with --apply to import."))
