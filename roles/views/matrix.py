"""The RACI matrix page, its cell edits (htmx and plain form posts), and the
pages for tasks and areas."""

import json

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import raci
from ..access import deny_unless, get_in_org, org_view
from ..forms.matrix import AreaDeleteForm, AreaForm, CellForm, TaskForm
from ..matrix import NO_AREA, CellView, Filters, build_matrix
from ..models import Area, CellChange, Hat, Responsibility, Task
from ..services import matrix as services

SESSION_NOTICE = "matrix_notice"


def optional_url(name, slug):
    """URLs of pages that may not exist (yet): export and import."""
    try:
        return reverse(name, kwargs={"org": slug})
    except NoReverseMatch:
        return None


def filters_of(query_string):
    """Filters carried back from a form post as the `q` field."""
    return Filters.from_query(QueryDict(query_string or ""))


def matrix_url(slug, filters):
    query = filters.query()
    url = reverse("roles:matrix", kwargs={"org": slug})
    return f"{url}?{urlencode(query)}" if query else url


def back_to_matrix(request):
    return redirect(matrix_url(request.access.org.slug, filters_of(request.POST.get("q"))))


def letters_text(letters):
    return raci.format_cell(letters) or _("empty")


@require_safe
@org_view()
def matrix(request):
    acc = request.access
    filters = Filters.from_query(request.GET)
    data = build_matrix(acc, filters)
    slug = acc.org.slug
    cell_url = reverse("roles:matrix-cell", kwargs={"org": slug})
    query = urlencode(filters.query())
    for group in data.groups:
        for row in group.rows:
            # Each cell's <td> is already safe (CellView.render); this only joins them.
            row.html = mark_safe("".join(cell.render(cell_url, query) for cell in row.cells))  # noqa: S308  # nosec B308 B703
    notice = (
        request.session.pop(SESSION_NOTICE, None) if SESSION_NOTICE in request.session else None
    )
    return render(
        request,
        "roles/matrix.html",
        {
            "m": data,
            "q": query,
            "cell_url": cell_url,
            "choices": [(c, c or _("empty")) for c in raci.CHOICES],
            "status_labels": raci.STATUS_LABELS,
            "notice": notice,
            "can_edit_rows": acc.can_edit_matrix_rows,
            "export_xlsx": optional_url("roles:matrix-xlsx", slug),
            "export_csv": optional_url("roles:matrix-csv", slug),
            "import_url": optional_url("roles:matrix-import", slug) if acc.can_import else None,
            "prev_page": filters.query(page=data.page - 1 if data.page > 2 else None),
            "next_page": filters.query(page=data.page + 1),
            "prev_cpage": filters.query(cpage=data.cpage - 1 if data.cpage > 2 else None),
            "next_cpage": filters.query(cpage=data.cpage + 1),
            "nav": "matrix",
        },
    )


def cell_target(request, source):
    """The task id and the hat a cell request names: 404 unless the hat is the
    caller's organisation's, 403 unless the caller may change its column. The
    task is checked when it is locked for the write."""
    acc = request.access
    task_id, hat_id = source.get("task", ""), source.get("hat", "")
    if not (task_id.isdigit() and hat_id.isdigit()):
        raise Http404
    hat = get_in_org(Hat.objects.only("id", "org_id", "title", "function_id"), acc, pk=int(hat_id))
    deny_unless(acc.can_edit_cell(hat))
    return int(task_id), hat


def cell_notice(outcome):
    """What to say after a cell write, and the undo an A move offers."""
    task, hat = outcome.task, outcome.hat
    if outcome.stale:
        return {
            "level": "warning",
            "text": _(
                "Someone changed “%(task)s” for %(hat)s meanwhile: it is now “%(now)s”. "
                "Nothing was changed; look again and choose."
            )
            % {"task": task.name, "hat": hat.title, "now": letters_text(outcome.current)},
        }
    result = outcome.result
    if not result.changed:
        return {
            "level": "info",
            "text": _("“%(task)s” for %(hat)s is already “%(now)s”.")
            % {"task": task.name, "hat": hat.title, "now": letters_text(result.new)},
        }
    names = {
        "task": task.name,
        "hat": hat.title,
        "old": letters_text(result.old),
        "new": letters_text(result.new),
    }
    if result.old == result.new:  # only the other A's went away
        text = _("“%(task)s” for %(hat)s stays “%(new)s”.") % names
    else:
        text = _("“%(task)s” for %(hat)s: %(old)s → %(new)s.") % names
    notice = {"level": "success", "text": text}
    if result.lost_a:
        lost = ", ".join(h.title for h in result.lost_a)
        notice["text"] = text + " " + _("A moved from %(hat)s.") % {"hat": lost}
    if len(result.lost_a) == 1:  # an undo puts back one A; two lost ones stay a fix
        other = result.moved_from
        notice["undo"] = {
            "task": task.id,
            "hat": hat.id,
            "letters": raci.format_cell(result.old),
            "expected": raci.format_cell(result.new),
            "other": other.id,
            "other_letters": raci.format_cell(outcome.before[other.id]),
            "other_expected": raci.format_cell(outcome.row.get(other.id, frozenset())),
        }
    return notice


def cell_response(request, outcome, notice):
    """htmx: the changed cells, the row status and the column counts, swapped in place."""
    acc = request.access
    task = outcome.task
    cell_url = reverse("roles:matrix-cell", kwargs={"org": acc.org.slug})
    query = urlencode(filters_of(request.POST.get("q")).query())
    cells = []
    for h in outcome.hats:
        cell = CellView(task, h, outcome.row.get(h.id, frozenset()), acc.can_edit_cell(h))
        cell.html = cell.render(cell_url, query, oob=True)
        cells.append(cell)
    response = render(
        request,
        "roles/matrix.html#update",
        {
            "cells": cells,
            "task_id": task.id,
            "status": raci.task_status(outcome.row.values()),
            "count_columns": [
                {"hat_id": h.id, "counts": outcome.counts[h.id]}
                for h in outcome.hats
                if h.id in outcome.counts
            ],
            "notice": notice,
            "q": query,
            "oob": True,
        },
    )
    response["HX-Trigger"] = json.dumps({"announce": notice["text"]})
    return response


def finish_cell_write(request, outcome):
    notice = cell_notice(outcome)
    if request.htmx:
        return cell_response(request, outcome, notice)
    level = {"warning": messages.WARNING, "info": messages.INFO}.get(
        notice["level"], messages.SUCCESS
    )
    messages.add_message(request, level, notice["text"])
    if notice.get("undo"):
        request.session[SESSION_NOTICE] = {"level": "info", "text": "", "undo": notice["undo"]}
    return back_to_matrix(request)


@require_http_methods(["GET", "POST"])
@org_view("manager")
def matrix_cell(request):
    """GET: a page to set one cell (the path without JavaScript). POST: set it."""
    acc = request.access
    source = request.POST if request.method == "POST" else request.GET
    task_id, hat = cell_target(request, source)
    if request.method == "POST":
        form = CellForm(request.POST)
        if form.is_valid():
            outcome = services.change_cell(
                acc.org,
                task_id,
                hat,
                form.cleaned_data["letters"],
                acc.person,
                expected=form.cleaned_data["expected"],
            )
            if outcome is None:
                raise Http404
            return finish_cell_write(request, outcome)
        if request.htmx:
            notice = {"level": "danger", "text": " ".join(form.errors.get("letters", []))}
            response = render(request, "roles/matrix.html#notice", {"notice": notice, "oob": True})
            response["HX-Trigger"] = json.dumps({"announce": notice["text"]})
            return response
        status = 400
    else:
        form = None
        status = 200
    task = get_in_org(Task.objects.only("id", "org_id", "name"), acc, pk=task_id)
    current = frozenset(
        Responsibility.objects.filter(task=task, hat=hat).values_list("letter", flat=True)
    )
    choices = [(c, c or _("empty")) for c in raci.CHOICES]
    if raci.format_cell(current) not in raci.CHOICES:
        choices.append((raci.format_cell(current), raci.format_cell(current)))
    return render(
        request,
        "roles/matrix_cell.html",
        {
            "task": task,
            "hat": hat,
            "current": raci.format_cell(current),
            "choices": choices,
            "form": form,
            "q": source.get("q", ""),
            "back": matrix_url(acc.org.slug, filters_of(source.get("q"))),
            "nav": "matrix",
        },
        status=status,
    )


@require_POST
@org_view("manager")
def matrix_undo(request):
    """Put back both cells of an A move."""
    acc = request.access
    task_id, hat = cell_target(request, request.POST)
    other_id = request.POST.get("other", "")
    if not other_id.isdigit():
        raise Http404
    other = get_in_org(
        Hat.objects.only("id", "org_id", "title", "function_id"), acc, pk=int(other_id)
    )
    parsed = {
        key: raci.parse_cell(request.POST.get(key, ""))
        for key in ("letters", "expected", "other_letters", "other_expected")
    }
    # Giving A may take it from a hat outside the caller's functions; undoing
    # may only give that A back, nothing else.
    deny_unless(
        acc.can_edit_cell(other)
        or parsed["other_letters"].letters == parsed["other_expected"].letters | {"A"}
    )
    if any(cell.unknown for cell in parsed.values()):
        messages.error(request, _("That undo is not valid; nothing was changed."))
        return back_to_matrix(request)
    outcome = services.undo_move(
        acc.org,
        task_id,
        hat,
        parsed["letters"].letters,
        parsed["expected"].letters,
        other,
        parsed["other_letters"].letters,
        parsed["other_expected"].letters,
        acc.person,
    )
    if outcome is None:
        raise Http404
    task = outcome.task
    if outcome.stale:
        notice = {
            "level": "warning",
            "text": _("The cells changed since; nothing was undone."),
        }
    else:
        notice = {
            "level": "success",
            "text": _("Undone: “%(task)s” is back as it was for %(hat)s and %(other)s.")
            % {"task": task.name, "hat": hat.title, "other": other.title},
        }
    if request.htmx:
        return cell_response(request, outcome, notice)
    messages.add_message(
        request, messages.WARNING if outcome.stale else messages.SUCCESS, notice["text"]
    )
    return back_to_matrix(request)


# Tasks -------------------------------------------------------------------------
@require_safe
@org_view()
def task_detail(request, task_id):
    acc = request.access
    task = get_in_org(Task.objects.select_related("area"), acc, pk=task_id)
    cells = {}
    for r in (
        Responsibility.objects.filter(task=task)
        .select_related("hat__function")
        .order_by("hat__function__name", "hat__position", "hat__title", "letter")
    ):
        cells.setdefault(r.hat_id, {"hat": r.hat, "letters": set()})["letters"].add(r.letter)
    rows = [
        {"hat": c["hat"], "text": raci.format_cell(c["letters"]), "letters": c["letters"]}
        for c in cells.values()
    ]
    changes = list(
        CellChange.objects.filter(task=task).select_related("hat", "author").order_by("-at", "-id")
    )
    return render(
        request,
        "roles/task_detail.html",
        {
            "task": task,
            "rows": rows,
            "status": raci.task_status([r["letters"] for r in rows]),
            "changes": changes,
            "can_edit_rows": acc.can_edit_matrix_rows,
            "nav": "matrix",
        },
    )


@require_http_methods(["GET", "POST"])
@org_view("manager")
def task_create(request):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    initial = {}
    area_id = request.GET.get("area", "")
    if area_id.isdigit():
        initial["area"] = get_in_org(Area, acc, pk=int(area_id))
    form = TaskForm(request.POST or None, org=acc.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        task = services.save_task(form.save(commit=False))
        messages.success(request, _("Task “%(name)s” added.") % {"name": task.name})
        if "another" in request.POST:
            url = reverse("roles:task-create", kwargs={"org": acc.org.slug})
            return redirect(f"{url}?area={task.area_id}" if task.area_id else url)
        return redirect(matrix_url(acc.org.slug, Filters()))
    return render(request, "roles/task_form.html", {"form": form, "nav": "matrix"})


@require_http_methods(["GET", "POST"])
@org_view("manager")
def task_edit(request, task_id):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    task = get_in_org(Task, acc, pk=task_id)
    old_area = task.area_id
    form = TaskForm(request.POST or None, instance=task, org=acc.org)
    if request.method == "POST" and form.is_valid():
        task = form.save(commit=False)
        services.save_task(task, moved_area=task.area_id != old_area)
        messages.success(request, _("Task “%(name)s” saved.") % {"name": task.name})
        return redirect("roles:task-detail", org=acc.org.slug, task_id=task.id)
    return render(request, "roles/task_form.html", {"form": form, "task": task, "nav": "matrix"})


@require_http_methods(["GET", "POST"])
@org_view("manager")
def task_delete(request, task_id):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    task = get_in_org(Task, acc, pk=task_id)
    if request.method == "POST":
        name = task.name
        task.delete()
        messages.success(request, _("Task “%(name)s” deleted.") % {"name": name})
        return redirect(matrix_url(acc.org.slug, Filters()))
    cells = {}
    for r in Responsibility.objects.filter(task=task).select_related("hat").order_by("hat__title"):
        cells.setdefault(r.hat_id, {"hat": r.hat, "letters": set()})["letters"].add(r.letter)
    return render(
        request,
        "roles/task_confirm_delete.html",
        {
            "task": task,
            "cells": [
                {"hat": c["hat"], "text": raci.format_cell(c["letters"])} for c in cells.values()
            ],
            "history": CellChange.objects.filter(task=task).count(),
            "nav": "matrix",
        },
    )


@require_POST
@org_view("manager")
def task_move(request, task_id):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    task = get_in_org(Task, acc, pk=task_id)
    step = -1 if request.POST.get("direction") == "up" else 1
    if services.move_task(task, step):
        messages.success(request, _("Task “%(name)s” moved.") % {"name": task.name})
    else:
        messages.info(
            request, _("“%(name)s” is already at the edge of its area.") % {"name": task.name}
        )
    return redirect(matrix_url(acc.org.slug, Filters(area=task.area_id or NO_AREA)))


# Areas -------------------------------------------------------------------------
@require_safe
@org_view("manager")
def area_list(request):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    areas = list(Area.objects.for_org(acc.org).annotate(task_count=Count("tasks")))
    loose = Task.objects.for_org(acc.org).filter(area__isnull=True).count()
    return render(
        request, "roles/area_list.html", {"areas": areas, "loose": loose, "nav": "matrix"}
    )


def save_area(form):
    area = form.save(commit=False)
    try:
        with transaction.atomic():
            if area.pk is None:
                area.position = services.next_area_position(area.org)
            area.save()
    except IntegrityError:
        form.name_taken()
        return None
    return area


@require_http_methods(["GET", "POST"])
@org_view("manager")
def area_create(request):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    form = AreaForm(request.POST or None, org=acc.org)
    if request.method == "POST" and form.is_valid() and (area := save_area(form)):
        messages.success(request, _("Area “%(name)s” added.") % {"name": area.name})
        return redirect("roles:area-list", org=acc.org.slug)
    return render(request, "roles/area_form.html", {"form": form, "nav": "matrix"})


@require_http_methods(["GET", "POST"])
@org_view("manager")
def area_edit(request, area_id):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    area = get_in_org(Area, acc, pk=area_id)
    form = AreaForm(request.POST or None, instance=area, org=acc.org)
    if request.method == "POST" and form.is_valid() and (area := save_area(form)):
        messages.success(request, _("Area “%(name)s” saved.") % {"name": area.name})
        return redirect("roles:area-list", org=acc.org.slug)
    return render(request, "roles/area_form.html", {"form": form, "area": area, "nav": "matrix"})


@require_http_methods(["GET", "POST"])
@org_view("manager")
def area_delete(request, area_id):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    area = get_in_org(Area, acc, pk=area_id)
    tasks = list(Task.objects.filter(area=area).order_by("position", "id"))
    form = AreaDeleteForm(request.POST or None, org=acc.org, area=area)
    if request.method == "POST" and form.is_valid():
        move_to = form.cleaned_data["move_to"]
        moved = services.delete_area(area, move_to)
        if moved:
            messages.success(
                request,
                _("Area “%(name)s” deleted; its %(count)s tasks moved to %(to)s.")
                % {
                    "name": area.name,
                    "count": moved,
                    "to": move_to.name if move_to else _("no area"),
                },
            )
        else:
            messages.success(request, _("Area “%(name)s” deleted.") % {"name": area.name})
        return redirect("roles:area-list", org=acc.org.slug)
    return render(
        request,
        "roles/area_confirm_delete.html",
        {"area": area, "tasks": tasks, "form": form, "nav": "matrix"},
    )


@require_POST
@org_view("manager")
def area_move(request, area_id):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    area = get_in_org(Area, acc, pk=area_id)
    step = -1 if request.POST.get("direction") == "up" else 1
    if services.move_area(area, step):
        messages.success(request, _("Area “%(name)s” moved.") % {"name": area.name})
    else:
        messages.info(request, _("“%(name)s” is already at the edge.") % {"name": area.name})
    return redirect("roles:area-list", org=acc.org.slug)
