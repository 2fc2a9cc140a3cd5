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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit
from ..access import ADMIN, org_view
from ..forms.interchange import ImportForm
from ..interchange import exporter, handbook, importer
from ..interchange.reader import Sheet, SheetError, read_sheet
from ..models import AuditEvent, Function
from .downloads import download

PREVIEW_ROWS = 500


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


@require_safe
@org_view()
def matrix_xlsx(request):
    org = request.access.org
    matrix = exporter.build(org, exporter.parse_filters(org, request.GET))
    audit.record(AuditEvent.EXPORT, request, org=org, detail=f"{org.slug}-matrix.xlsx")
    return download(
        exporter.to_xlsx(matrix),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{org.slug}-matrix.xlsx",
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


@require_safe
@org_view()
def matrix_csv(request):
    org = request.access.org
    matrix = exporter.build(org, exporter.parse_filters(org, request.GET))
    content = exporter.to_csv(matrix, delimiter=csv_separator(request))
    audit.record(AuditEvent.EXPORT, request, org=org, detail=f"{org.slug}-matrix.csv")
    return download(content, "text/csv; charset=utf-8", f"{org.slug}-matrix.csv")


@require_safe
@org_view()
def handbook_pdf(request):
    org = request.access.org
    pdf = handbook.render_pdf(request, org)
    audit.record(AuditEvent.EXPORT, request, org=org, detail=f"{org.slug}-handbook.pdf")
    return download(pdf, "application/pdf", f"{org.slug}-handbook.pdf")
