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
from roles.models import AuditEvent, Function, Hat, Organisation


class Command(BaseCommand):
    help = (
        "Preview (or with --apply, import) a RACI sheet (CSV, XLSX, ODS, XLS) into an organisation."
    )

    def add_arguments(self, parser):
        parser.add_argument("org", help="organisation slug")
        parser.add_argument("file", help="a .csv, .xlsx, .ods or .xls file")
        parser.add_argument("--sheet", default="", help="sheet name (default: the first matrix)")
        parser.add_argument("--function", default="", help="function for new hats (by name)")
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="TITLE=HAT",
            help="put the sheet's column TITLE in the existing hat HAT (or FUNCTION/HAT)",
        )
        parser.add_argument(
            "--new-hat",
            action="append",
            default=[],
            metavar="TITLE=FUNCTION",
            help="make the sheet's column TITLE a new hat in FUNCTION",
        )
        parser.add_argument(
            "--ignore",
            action="append",
            default=[],
            metavar="TITLE",
            help="leave the sheet's column TITLE out of the import",
        )
        parser.add_argument("--area", default="", help="area for rows the sheet gives none")
        parser.add_argument(
            "--keep-apart",
            action="append",
            default=[],
            metavar="TASK",
            help="import the task TASK as a new task, apart from an existing one of that name",
        )
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
        plan = importer.plan(org, sheet, function, self.choices(org, sheet, opts))
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

    def choices(self, org, sheet, opts):
        """The remembered choices for this sheet's headers, with the options on top."""
        choices = importer.remembered(org, sheet)
        hats = dict(choices.get("hats") or {})
        columns = {name_key(title): str(i) for i, title in enumerate(sheet.hats)}
        functions = {name_key(f.name): f for f in Function.objects.for_org(org)}
        by_title, by_pair, by_id = {}, {}, {}
        for hat in Hat.objects.for_org(org).select_related("function"):
            by_id[hat.id] = hat
            by_title.setdefault(name_key(hat.title), hat)
            by_pair[name_key(f"{hat.function.name}/{hat.title}")] = hat
        for option, given in (("--column", opts["column"]), ("--new-hat", opts["new_hat"])):
            for text in given:
                title, _sep, target = text.partition("=")
                column = columns.get(name_key(title))
                if column is None:
                    raise CommandError(
                        _("The sheet has no column “%(name)s” (%(option)s).")
                        % {"name": title, "option": option}
                    )
                if option == "--column":
                    hat = by_pair.get(name_key(target)) or by_title.get(name_key(target))
                    found = hat and {"hat": hat.id}
                else:
                    function = functions.get(name_key(target))
                    found = function and {"function": function.id}
                    made = by_id.get((hats.get(column) or {}).get("hat"))
                    if function and made and made.function_id == function.id:
                        found = {"hat": made.id}  # made there by an earlier import
                if not found:
                    raise CommandError(
                        _("Nothing in %(org)s is called “%(name)s” (%(option)s).")
                        % {"org": org.name, "name": target, "option": option}
                    )
                hats[column] = found
        for title in opts["ignore"]:
            column = columns.get(name_key(title))
            if column is None:
                raise CommandError(
                    _("The sheet has no column “%(name)s” (%(option)s).")
                    % {"name": title, "option": "--ignore"}
                )
            hats[column] = {"ignore": True}
        tasks = dict(choices.get("tasks") or {})
        apart = {name_key(name) for name in opts["keep_apart"]}
        area = opts["area"] or choices.get("area")
        for read in importer.with_area(sheet, area).tasks:
            key = importer.task_key(read)
            # A task kept apart before is found again as the task made then.
            if name_key(read.name) in apart and not isinstance(tasks.get(key), int):
                tasks[key] = "apart"
        return {"hats": hats, "tasks": tasks, **({"area": area} if area else {})}

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
