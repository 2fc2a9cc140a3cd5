"""Import and export of the matrix, and the company handbook PDF.

Between the preview and "Apply" the sheet as read from the uploaded file waits in
the caller's session, which lives in the database, so any app server can apply
what another previewed (and "Apply" need not read the file a second time). With it
waits the fingerprint of the previewed plan: "Apply" plans again and writes only
if that plan is the one the preview showed."""

import base64
import hashlib

from django.contrib import messages
from django.db import DatabaseError, IntegrityError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import audit, jobs
from ..access import ADMIN, org_view
from ..forms.interchange import HandbookForm, ImportForm
from ..interchange import exporter, importer
from ..interchange.reader import Sheet, SheetError, read_sheet
from ..models import AuditEvent, Function, Job, Responsibility
from .downloads import download

PREVIEW_ROWS = 500
# Letters in the matrix up to which an export is made in the request; see
# bench/README.md for the measurement behind the figure.
INSTANT_LETTERS = 20_000
FILTER_NAMES = ("function", "area", "person", "problems")


def pending_key(org):
    return f"hatta-import:{org.slug}"


def preview_context(plan, pending, stale=False):
    sheet = plan.sheet
    hats_new = [
        (title, target if isinstance(target, str) else target.name, isinstance(target, str))
        for title, hid, target in zip(plan.hat_titles, plan.hat_ids, plan.hat_function, strict=True)
        if hid is None
    ]
    return {
        "plan": plan,
        "sheet": sheet,
        "summary": plan.summary(),
        "hats_new": hats_new,
        "hats_matched": [t for t, hid in zip(sheet.hats, plan.hat_ids, strict=True) if hid],
        "changes": plan.changes[:PREVIEW_ROWS],
        "changes_hidden": max(0, len(plan.changes) - PREVIEW_ROWS),
        "tasks_new": plan.tasks_new[:PREVIEW_ROWS],
        "tasks_hidden": max(0, len(plan.tasks_new) - PREVIEW_ROWS),
        "pending": pending,
        "stale": stale,
        "nav": "interchange",
    }


@require_http_methods(["GET", "POST"])
@org_view(ADMIN)
def matrix_import(request):
    acc = request.access
    form = ImportForm(request.POST or None, request.FILES or None, org=acc.org)
    if request.method == "POST" and form.is_valid():
        function = form.cleaned_data["function"]
        plan = importer.plan(acc.org, form.read, function)
        digest = hashlib.sha256(form.content).hexdigest()
        pending = {
            "name": form.cleaned_data["file"].name,
            "read": form.read.to_data(),
            "sheet": form.cleaned_data.get("sheet") or "",
            "function": function.id if function else None,
            "digest": digest,
            "plan": plan.fingerprint(),
        }
        request.session[pending_key(acc.org)] = pending
        return render(request, "roles/import_preview.html", preview_context(plan, pending))
    return render(request, "roles/import.html", {"form": form, "nav": "interchange"})


@require_POST
@org_view(ADMIN)
def matrix_import_apply(request):
    acc = request.access
    pending = request.session.get(pending_key(acc.org))
    if not pending or pending.get("digest") != request.POST.get("digest"):
        messages.error(request, _("That preview has expired. Upload the file again."))
        return redirect("roles:matrix-import", org=acc.org.slug)
    function = None
    if pending.get("function"):
        function = Function.objects.for_org(acc.org).filter(pk=pending["function"]).first()
        if function is None:
            messages.error(request, _("The chosen function no longer exists. Upload again."))
            return redirect("roles:matrix-import", org=acc.org.slug)
    try:
        if "read" in pending:
            sheet = Sheet.from_data(pending["read"])
        else:  # a preview stored before the sheet itself was kept
            sheet = read_sheet(base64.b64decode(pending["data"]), pending["name"], pending["sheet"])
        plan = importer.plan(acc.org, sheet, function)
        fingerprint = plan.fingerprint()
        if fingerprint != pending.get("plan"):
            # Apply only what was shown: show the plan as it is now instead.
            pending["plan"] = fingerprint
            request.session[pending_key(acc.org)] = pending
            return render(
                request,
                "roles/import_preview.html",
                preview_context(plan, pending, stale=True),
                status=409,
            )
        summary = importer.apply(plan, author=acc.person)
        audit.record(AuditEvent.IMPORT, request, org=acc.org, detail=pending["name"])
    except SheetError as exc:
        messages.error(request, str(exc))
        return redirect("roles:matrix-import", org=acc.org.slug)
    except (IntegrityError, DatabaseError):
        messages.error(
            request,
            _(
                "The matrix changed while you looked at the preview; nothing was imported. "
                "Try again."
            ),
        )
        return redirect("roles:matrix-import", org=acc.org.slug)
    del request.session[pending_key(acc.org)]
    messages.success(
        request,
        _(
            "Imported %(name)s: %(hats)s new hats, %(areas)s new areas, %(tasks)s new tasks, "
            "%(cells)s cells changed, %(same)s unchanged."
        )
        % {
            "name": pending["name"],
            "hats": summary["hats_new"],
            "areas": summary["areas_new"],
            "tasks": summary["tasks_new"],
            "cells": summary["cells_changed"],
            "same": summary["cells_unchanged"],
        },
    )
    return redirect("roles:matrix", org=acc.org.slug)


def export_is_small(org):
    """Exports of at most INSTANT_LETTERS letters are made in the request (well
    under a second, measured); bigger ones are jobs."""
    return Responsibility.objects.for_org(org).count() <= INSTANT_LETTERS


def job_or_instant(request, kind, build, content_type, **options):
    """GET: the file itself for a small organisation, else a page whose button
    (POST) starts the export as a job. `options` go to `build` (and the job)."""
    org = request.access.org
    filters = {k: v for k, v in request.GET.items() if k in FILTER_NAMES}
    if request.method == "GET":
        if export_is_small(org):
            content, filename = build(org, filters, **options)
            audit.record(AuditEvent.EXPORT, request, org=org, detail=filename)
            return download(content, content_type, filename)
        return render(
            request,
            "roles/export_start.html",
            {"kind": dict(Job.KINDS)[kind], "filters": filters, "nav": "interchange"},
        )
    job, _created = jobs.start(
        request.access,
        kind,
        params={"filters": filters, "lang": get_language(), **options},
        fingerprint=jobs.inputs_fingerprint(org),
    )
    return redirect("roles:job-detail", org=org.slug, job_id=job.pk)


def build_xlsx(org, filters):
    matrix = exporter.build(org, exporter.parse_filters(org, filters))
    return exporter.to_xlsx(matrix), f"{org.slug}-matrix.xlsx"


def build_csv(org, filters, delimiter=","):
    matrix = exporter.build(org, exporter.parse_filters(org, filters))
    return exporter.to_csv(matrix, delimiter=delimiter), f"{org.slug}-matrix.csv"


@require_http_methods(["GET", "HEAD", "POST"])
@org_view()
def matrix_xlsx(request):
    return job_or_instant(
        request,
        Job.XLSX,
        build_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# ?sep= of the CSV export. Semicolons are what Excel in Swedish splits on.
CSV_SEPARATORS = {"semicolon": ";", "comma": ","}


def csv_separator(request=None):
    """The separator the request asks for, else the one the person's Excel
    expects in their language."""
    asked = CSV_SEPARATORS.get(request.GET.get("sep", "")) if request else None
    if asked:
        return asked
    return ";" if translation.get_language() == "sv" else ","


@require_http_methods(["GET", "HEAD", "POST"])
@org_view()
def matrix_csv(request):
    return job_or_instant(
        request, Job.CSV, build_csv, "text/csv; charset=utf-8", delimiter=csv_separator(request)
    )


@require_http_methods(["GET", "HEAD", "POST"])
@org_view()
def handbook_pdf(request):
    """The handbook is always a job: the company's, or one function's and the
    functions below it. A handbook whose inputs have not changed since the last
    one is served again at once; a second request joins the running one."""
    acc = request.access
    form = HandbookForm(request.POST if request.method == "POST" else None, org=acc.org)
    if request.method == "POST" and form.is_valid():
        params = {"lang": get_language()}
        if form.cleaned_data["function"]:
            params["function"] = form.cleaned_data["function"].pk
        job, _created = jobs.start(
            acc, Job.HANDBOOK, params=params, fingerprint=jobs.inputs_fingerprint(acc.org)
        )
        if job.params != params and job.is_active:
            messages.info(
                request,
                _("Another handbook is being made; start yours when it is done."),
            )
        return redirect("roles:job-detail", org=acc.org.slug, job_id=job.pk)
    return render(request, "roles/handbook_start.html", {"form": form, "nav": "interchange"})


@require_http_methods(["GET", "HEAD", "POST"])
@org_view(ADMIN)
def backup_json(request):
    """The organisation's backup (every row, as JSON), made by a job."""
    acc = request.access
    if request.method != "POST":
        return render(
            request,
            "roles/export_start.html",
            {"kind": dict(Job.KINDS)[Job.BACKUP], "filters": {}, "nav": "interchange"},
        )
    job, _created = jobs.start(
        acc, Job.BACKUP, params={}, fingerprint=jobs.inputs_fingerprint(acc.org)
    )
    return redirect("roles:job-detail", org=acc.org.slug, job_id=job.pk)
