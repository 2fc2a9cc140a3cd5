"""Import and export of the matrix, and the company handbook PDF.

An import is two jobs (roles/interchange/import_job.py): the upload is stored
through the job storage and a job reads and plans it; its data is the preview
this page shows (nothing waits in the session). Changing a choice starts a new
reading job with the choices; "Apply" starts a job that plans again and writes
only if the plan is still the one previewed, else shows the new preview."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import audit, jobs
from ..access import ADMIN, get_in_org, org_view
from ..forms.interchange import (
    CHOICE_COLUMNS,
    HandbookForm,
    ImportForm,
    choices_changed,
    import_choices,
)
from ..interchange import exporter
from ..interchange.import_job import store_upload
from ..interchange.reader import column_letter, norm
from ..models import Area, AuditEvent, Function, Hat, Job, Responsibility
from .downloads import download

# Letters in the matrix up to which an export is made in the request; see
# bench/README.md for the measurement behind the figure.
INSTANT_LETTERS = 20_000
FILTER_NAMES = ("function", "area", "person", "problems")


# The page of each kind of import job (progress, preview, result): its URL name
# and job argument. The numbers import (roles/views/numbers.py) shares the rest.
IMPORT_PAGES = {
    **dict.fromkeys(jobs.MATRIX_IMPORT_KINDS, ("roles:matrix-import-preview", "import_job_id")),
    **dict.fromkeys(jobs.NUMBERS_IMPORT_KINDS, ("roles:numbers-import-preview", "numbers_job_id")),
}


def import_page(org, job):
    name, kwarg = IMPORT_PAGES[job.kind]
    return reverse(name, kwargs={"org": org.slug, kwarg: job.pk})


def start_import(request, kind, params):
    """Start an import job, or send the caller to the one already running (one
    import of a kind at a time per organisation)."""
    acc = request.access
    job, created = jobs.start(acc, kind, params={"lang": get_language(), **params}, reuse=False)
    if not created:
        messages.info(
            request,
            _("Another import is under way; wait for it to finish before you start one."),
        )
    return redirect(import_page(acc.org, job))


@require_http_methods(["GET", "POST"])
@org_view(ADMIN)
def matrix_import(request):
    acc = request.access
    form = ImportForm(request.POST or None, request.FILES or None, org=acc.org)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["file"].name
        function = form.cleaned_data["function"]
        params = {
            "upload": store_upload(acc.org, form.content, name),
            "name": name,
            "sheet": form.cleaned_data.get("sheet") or "",
            "function": function.pk if function else None,
        }
        return start_import(request, Job.IMPORT_READ, params)
    return render(request, "roles/import.html", {"form": form, "nav": "interchange"})


def import_job(request, import_job_id, kinds=jobs.MATRIX_IMPORT_KINDS):
    """The organisation's import job of one of `kinds`, else 404."""
    jobs_of_org = Job.objects.for_org(request.access.org).select_related("started_by")
    return get_in_org(jobs_of_org.filter(kind__in=kinds), request.access, pk=import_job_id)


def import_status(request, job):
    """The answer to the polling of an import's page (htmx): the job's status
    while it runs, then a reload of the whole page, which shows its outcome.
    None for a request that is no poll."""
    if not request.htmx:
        return None
    if not job.is_active:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "roles/import_status.html", {"job": job})


# Above this many hats a column's place is typed with suggestions (one list for
# every column) instead of chosen from a select per column of every hat.
MANY_PLACES = 100


def choice_options(org):
    """The places a column can go, as (value, label): existing hats by function,
    and a new hat in any function; the existing areas. Three queries, whatever
    the sheet."""
    functions = list(
        Function.objects.for_org(org).order_by("position", "name", "id").values_list("id", "name")
    )
    hats = {}
    for hat_id, function_id, title in (
        Hat.objects.for_org(org)
        .order_by("position", "title", "id")
        .values_list("id", "function_id", "title")
    ):
        hats.setdefault(function_id, []).append((f"hat:{hat_id}", title))
    areas = Area.objects.for_org(org).order_by("position", "name").values_list("name", flat=True)
    groups = [(name, hats[fid]) for fid, name in functions if fid in hats]
    new = [(f"function:{fid}", name) for fid, name in functions]
    places = [(value, f"{name} / {title}") for name, group in groups for value, title in group]
    places += [(value, _("New hat in %(name)s") % {"name": name}) for value, name in new]
    places.append(("ignore", _("Ignore this column")))
    return {
        "hat_groups": groups,
        "functions": new,
        "areas": list(areas),
        "places": places,
        "many_places": sum(len(group) for _name, group in groups) > MANY_PLACES,
    }


def place_label(column, places):
    """The text shown for a column's place when it is typed."""
    if column["choice"] == "new":
        return _("New hat in %(name)s (a new function)") % {"name": column["new_function"]}
    return dict(places).get(column["choice"], "")


def posted_choices(request, data):
    """The POST with each typed place (`column-N-place`) turned into its value
    (`column-N`); a text that names no place keeps the column's place, said so."""
    typed = [c for c in data["columns"] if f"column-{c['column']}-place" in request.POST]
    if not typed:
        return request.POST
    places = choice_options(request.access.org)["places"]
    by_label = {norm(label): value for value, label in reversed(places)}
    post = request.POST.copy()
    for column in typed:
        text = request.POST[f"column-{column['column']}-place"]
        if norm(text) == norm(place_label(column, places)):
            post[f"column-{column['column']}"] = column["choice"]
        elif norm(text) in by_label:
            post[f"column-{column['column']}"] = by_label[norm(text)]
        else:
            messages.warning(
                request,
                _("“%(text)s” is no hat or function here; column %(letter)s keeps its place.")
                % {"text": text[:100], "letter": column["letter"]},
            )
    return post


def row_labels():
    return {
        "header": _("header"),
        "title": _("title"),
        "task": _("task"),
        "area": _("area"),
        "legend": _("legend"),
        "hidden": _("hidden, not read"),
        "ignored": _("ignored"),
        "": "",
    }


def grid_context(sheet):
    """The sheet as read, as rows the template walks: each row's number, how it
    was read, and its cells, formulas without saved values flagged."""
    labels = row_labels()
    flagged = {(row, column) for row, column in sheet["flagged"]}
    width = max((len(cells) for _kind, cells in sheet["grid"]), default=0)
    hats = set(sheet["hat_columns"]) - set(sheet["ignored"])
    letters = [column_letter(c) for c in range(width)]
    rows = [
        {
            "number": number,
            "kind": kind,
            "label": labels.get(kind, kind),
            "cells": [
                {"text": text, "flagged": (number, c) in flagged}
                for c, text in enumerate(cells + [""] * (width - len(cells)))
            ],
        }
        for number, (kind, cells) in enumerate(sheet["grid"], start=1)
    ]
    return {
        "grid_rows": rows,
        "grid_letters": [
            (letter, "hat" if letter in hats else "ignored" if letter in sheet["ignored"] else "")
            for letter in letters
        ],
        "grid_more": max(0, sheet["grid_rows"] - len(rows)),
    }


def read_again(request, job, data, post):
    """A new reading job of the same upload with the posted choices, or of
    another sheet with that sheet's own defaults."""
    params = {k: job.params.get(k) for k in ("upload", "name", "sheet", "function")}
    sheet = (post.get("sheet") or "")[:100]
    if sheet and sheet != data["sheet"]["name"]:
        params.update(sheet=sheet, choices=None)
    else:
        params.update(sheet=data["sheet"]["name"], choices=import_choices(post, data))
    return start_import(request, Job.IMPORT_READ, params)


@require_http_methods(["GET", "HEAD", "POST"])
@org_view(ADMIN)
def matrix_import_preview(request, import_job_id):
    """The import's page: progress while its job runs, then the preview with the
    choices (POST: read again with the new choices), or what was imported."""
    acc = request.access
    job = import_job(request, import_job_id)
    data = job.data or {}
    if request.method == "POST":
        if job.state != Job.DONE or data.get("kind") != "preview":
            return redirect("roles:matrix-import-preview", org=acc.org.slug, import_job_id=job.pk)
        return read_again(request, job, data, posted_choices(request, data))
    polled = import_status(request, job)
    if polled is not None:
        return polled
    context = {"job": job, "data": data, "nav": "interchange"}
    if job.state == Job.DONE and data.get("kind") == "preview":
        options = choice_options(acc.org)
        columns = [
            {**column, "label": place_label(column, options["places"])}
            for column in data["columns"][:CHOICE_COLUMNS]
        ]
        context.update(options, columns=columns)
        context.update(grid_context(data["sheet"]))
        context["columns_more"] = max(0, len(data["columns"]) - CHOICE_COLUMNS)
    status = 409 if data.get("stale") else 200
    return render(request, "roles/import_preview.html", context, status=status)


@require_POST
@org_view(ADMIN)
def matrix_import_apply(request, import_job_id):
    acc = request.access
    job = import_job(request, import_job_id)
    data = job.data or {}
    if job.state != Job.DONE or data.get("kind") != "preview":
        messages.error(request, _("That preview has expired. Upload the file again."))
        return redirect("roles:matrix-import", org=acc.org.slug)
    post = posted_choices(request, data)
    if choices_changed(post, data):
        # A choice changed but not read yet: read again rather than apply what
        # the user has just changed their mind about.
        messages.info(request, _("Your choices changed: check the new preview, then apply."))
        return read_again(request, job, data, post)
    params = {k: job.params.get(k) for k in ("upload", "name", "sheet", "function")}
    params.update(
        sheet=data["sheet"]["name"], choices=data["choices"], fingerprint=data["fingerprint"]
    )
    audit.record(AuditEvent.IMPORT, request, org=acc.org, detail=params["name"])
    return start_import(request, Job.IMPORT_APPLY, params)


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
