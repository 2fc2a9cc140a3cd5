"""The import as two jobs: reading and planning an uploaded file (the preview),
then applying it. The request only stores the upload (through the job storage)
and starts a job; what the preview page shows is the job's `data`, plain JSON
made here, so nothing of the import waits in the session.

Apply reads the stored file again and plans against the database as it is
then: when that plan differs from the previewed one (the organisation changed
meanwhile) it writes nothing and its data is the new preview instead."""

import uuid

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.utils.text import get_valid_filename

from ..models import Function
from ..models.jobs import job_storage
from . import importer
from .reader import read_sheet

# Rows of the long lists kept in the preview's data; the summary counts all.
LIST_ROWS = 500
# Same-named tasks offered a choice on the page; the others keep theirs.
CHOICE_ROWS = 200


class UploadGone(Exception):
    """The stored upload was deleted (retention) or belongs to another organisation."""


def store_upload(org, content, name):
    """Save an uploaded file for the jobs of its import; returns its storage name."""
    try:
        safe = get_valid_filename(name.rsplit("/", 1)[-1])[-80:]
    except SuspiciousFileOperation:  # a name of dots only
        safe = "sheet"
    return job_storage().save(f"imports/{org.pk}/{uuid.uuid4().hex}-{safe}", ContentFile(content))


def load_upload(job):
    """The bytes of the job's upload; only ever from its own organisation's folder."""
    name = job.params.get("upload") or ""
    if not name.startswith(f"imports/{job.org_id}/") or ".." in name:
        raise UploadGone
    try:
        with job_storage().open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise UploadGone from exc


def read_and_plan(job, progress):
    """Read the job's upload and plan it with the job's choices (None: the
    defaults, or those remembered for the sheet's headers)."""
    params = job.params
    progress(0, 3, force=True)
    data = load_upload(job)
    progress(1, 3, force=True)
    sheet = read_sheet(data, params["name"], params.get("sheet") or None)
    progress(2, 3, force=True)
    function = None
    if params.get("function"):
        function = Function.objects.for_org(job.org).filter(pk=params["function"]).first()
    return importer.plan(job.org, sheet, function, choices=params.get("choices"))


def preview_data(plan, name, stale=False):
    """What the preview page shows and the choices it offers, as plain data."""
    sheet = plan.sheet
    summary = plan.summary()
    by_column = dict(zip(plan.columns, range(len(plan.columns)), strict=True))
    columns = []
    for column, title in enumerate(plan.original_hats):
        index = by_column.get(column)
        entry = {"column": column, "title": title, "letter": plan.original_letters[column]}
        if index is None:
            entry["choice"] = "ignore"
        elif plan.hat_ids[index]:
            entry["choice"] = f"hat:{plan.hat_ids[index]}"
        else:
            target = plan.hat_function[index]
            entry["choice"] = f"function:{target.pk}" if hasattr(target, "pk") else "new"
            entry["new_title"] = plan.hat_titles[index]
            entry["new_function"] = target if isinstance(target, str) else target.name
        columns.append(entry)
    tasks = plan.choices.get("tasks") or {}
    same_named = []
    for index in plan.same_named[:CHOICE_ROWS]:
        read = sheet.tasks[index]
        key = importer.task_key(read)
        same_named.append(
            {
                "key": key,
                "row": read.row,
                "area": read.area or "",
                "name": read.name,
                "apart": tasks.get(key) == "apart",
            }
        )
    hats_new = [
        [title, target if isinstance(target, str) else target.name, isinstance(target, str)]
        for title, hid, target in zip(plan.hat_titles, plan.hat_ids, plan.hat_function, strict=True)
        if hid is None
    ]
    return {
        "kind": "preview",
        "stale": stale,
        "name": name,
        "fingerprint": plan.fingerprint(),
        "summary": summary,
        "has_changes": plan.has_changes,
        "choices": plan.choices,
        "sheet": {
            "name": sheet.name,
            "names": [[n, n in sheet.hidden_sheets] for n in sheet.sheet_names],
            "grid": sheet.grid,
            "grid_rows": sheet.grid_rows,
            "flagged": sheet.flagged,
            "hat_columns": plan.original_letters,
            "ignored": [plan.original_letters[c] for c in plan.ignored],
        },
        "columns": columns,
        "needs_area": any(not read.area for read in plan.original_tasks),
        "area": plan.choices.get("area") or "",
        "same_named": same_named,
        "same_named_more": max(0, len(plan.same_named) - CHOICE_ROWS),
        "hats_new": hats_new,
        "hats_matched": [
            t for t, hid in zip(sheet.hats, plan.hat_ids, strict=True) if hid is not None
        ],
        "areas_new": plan.areas_new,
        "tasks_new": [[t.row, t.area or "", t.name] for t in plan.tasks_new[:LIST_ROWS]],
        "tasks_more": max(0, len(plan.tasks_new) - LIST_ROWS),
        "changes": [
            [c.task_name, c.hat_name, c.old_text, c.new_text] for c in plan.changes[:LIST_ROWS]
        ],
        "changes_more": max(0, len(plan.changes) - LIST_ROWS),
    }


def run_read(job, progress):
    plan = read_and_plan(job, progress)
    return {"data": preview_data(plan, job.params["name"])}


def run_apply(job, progress):
    plan = read_and_plan(job, progress)
    if plan.fingerprint() != job.params.get("fingerprint"):
        return {"data": preview_data(plan, job.params["name"], stale=True)}
    summary = importer.apply(plan, author=job.started_by)
    return {"data": {"kind": "applied", "name": job.params["name"], "summary": summary}}
