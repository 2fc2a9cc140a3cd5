"""The pages of the matrix's rows: a task (its letters and history, create,
edit, delete, move) and the areas that group tasks."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import raci
from ..access import deny_unless, get_in_org, id_param, org_view
from ..forms.matrix import AreaDeleteForm, AreaForm, TaskForm
from ..interchange import note_label
from ..matrix.filters import NO_AREA, Filters
from ..models import Area, CellChange, Responsibility, Task
from ..services import matrix as services
from .matrix import matrix_url


# Tasks -------------------------------------------------------------------------
def letter_functions(**lookup):
    """Ids of the functions whose hats hold a letter on the tasks `lookup` names
    (task=…, or task__area=…). One query."""
    return set(
        Responsibility.objects.filter(**lookup)
        .values_list("hat__function_id", flat=True)
        .distinct()
        .order_by()
    )


def may_change_task(acc, task):
    """Rename, move to another area, delete: see Access.can_change_task."""
    return acc.can_edit_matrix_rows and (
        acc.is_admin or acc.can_change_task(letter_functions(task=task))
    )


def may_change_area(acc, area):
    """Rename or delete an area: the same rule over every task in it."""
    return acc.can_edit_matrix_rows and (
        acc.is_admin or acc.can_change_task(letter_functions(task__area=area))
    )


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
    for change in changes:
        change.note_text = note_label(change.note)
    can_change = acc.can_edit_matrix_rows and (
        acc.is_admin or acc.can_change_task({r["hat"].function_id for r in rows})
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
            "can_change": can_change,
            "nav": "matrix",
        },
    )


@require_http_methods(["GET", "POST"])
@org_view("manager")
def task_create(request):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    initial = {}
    area_id = id_param(request.GET.get("area"))
    if area_id is not None:
        initial["area"] = get_in_org(Area, acc, pk=area_id)
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
    deny_unless(may_change_task(acc, task))
    old_area = task.area_id
    form = TaskForm(request.POST or None, instance=task, org=acc.org)
    if request.method == "POST" and form.is_valid():
        task = form.save(commit=False)
        try:
            services.save_task(task, moved_area=task.area_id != old_area)
        except Task.DoesNotExist:
            raise Http404 from None  # deleted while the form was open
        messages.success(request, _("Task “%(name)s” saved.") % {"name": task.name})
        return redirect("roles:task-detail", org=acc.org.slug, task_id=task.id)
    return render(request, "roles/task_form.html", {"form": form, "task": task, "nav": "matrix"})


@require_http_methods(["GET", "POST"])
@org_view("manager")
def task_delete(request, task_id):
    acc = request.access
    deny_unless(acc.can_edit_matrix_rows)
    task = get_in_org(Task, acc, pk=task_id)
    deny_unless(may_change_task(acc, task))
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
    if acc.is_admin:
        for area in areas:
            area.may_change = True
    else:
        functions = {}
        for area_id, function_id in (
            Responsibility.objects.for_org(acc.org)
            .filter(task__area__isnull=False)
            .values_list("task__area_id", "hat__function_id")
            .distinct()
            .order_by()
        ):
            functions.setdefault(area_id, set()).add(function_id)
        for area in areas:
            area.may_change = acc.can_change_task(functions.get(area.id, ()))
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
    deny_unless(may_change_area(acc, area))
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
    deny_unless(may_change_area(acc, area))
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
