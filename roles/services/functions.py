"""Functions: the page's prepared structure, and the writes (create, edit, move, delete)."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import raci
from ..models import Assignment, Function, Hat, Responsibility
from ..overview import HatNode
from .hats import task_order


class FunctionNotEmpty(Exception):
    """A function that still has hats or sub-functions cannot be deleted."""


def ancestor_ids(parent_of, function_id):
    """Ids above `function_id`, nearest first, given {id: parent_id}. Stops on a cycle."""
    out, seen = [], {function_id}
    node = parent_of.get(function_id)
    while node is not None and node not in seen:
        out.append(node)
        seen.add(node)
        node = parent_of.get(node)
    return out


def would_cycle(org, function, new_parent):
    """True when placing `function` below `new_parent` makes it its own ancestor."""
    if function.pk is None or new_parent is None:
        return False
    if new_parent.pk == function.pk:
        return True
    parent_of = dict(Function.objects.for_org(org).values_list("id", "parent_id"))
    return function.pk in ancestor_ids(parent_of, new_parent.pk)


@transaction.atomic
def save_function(function):
    """Create or update; the form has validated name, parent and head."""
    if function.pk is None and function.parent_id is not None:
        last = (
            Function.objects.for_org(function.org)
            .filter(parent_id=function.parent_id)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        function.position = (last or 0) + 1
    function.save()
    return function


@transaction.atomic
def delete_function(function):
    """Delete an empty function; say what to move first otherwise."""
    locked = Function.objects.select_for_update().get(pk=function.pk)
    hats = Hat.objects.filter(function=locked).count()
    children = Function.objects.filter(parent=locked).count()
    if hats or children:
        parts = []
        if hats:
            parts.append(ngettext("%(n)d hat", "%(n)d hats", hats) % {"n": hats})
        if children:
            parts.append(
                ngettext("%(n)d sub-function", "%(n)d sub-functions", children) % {"n": children}
            )
        raise FunctionNotEmpty(
            _("“%(name)s” still has %(what)s. Move or delete them first, then delete the function.")
            % {"name": locked.name, "what": _(" and ").join(parts)}
        )
    locked.delete()


# The function page -------------------------------------------------------------
@dataclass
class TaskRow:
    task: object
    cells: list = field(default_factory=list)  # (hat, "A/R")


@dataclass
class AreaGroup:
    name: str
    tasks: list = field(default_factory=list)


@dataclass
class FunctionPage:
    function: Function
    path: list  # [(id, name)] from the root down to the parent
    holder: object  # (person_id, name) who holds vacant hats: nearest head up the tree
    hats: list
    people: list  # [(person, [hat titles])]
    children: list  # Function rows, head preloaded, with .hat_count
    areas: list  # AreaGroup


def function_page(org, function):
    """Everything the function page shows. Five queries whatever the size."""
    tree = list(
        Function.objects.for_org(org).values_list(
            "id", "parent_id", "name", "head_id", "head__name"
        )
    )
    by_id = {row[0]: row for row in tree}
    parent_of = {row[0]: row[1] for row in tree}
    above = ancestor_ids(parent_of, function.id)
    path = [(fid, by_id[fid][2]) for fid in reversed(above)]
    holder = None
    for fid in [function.id, *above]:
        if by_id[fid][3]:
            holder = (by_id[fid][3], by_id[fid][4])
            break
    children = []
    hat_counts = {}
    hats = list(
        Hat.objects.for_org(org)
        .filter(function_id__in=[function.id, *[r[0] for r in tree if r[1] == function.id]])
        .only("id", "title", "function_id", "position", "revision", "purpose")
    )
    own_hats = [h for h in hats if h.function_id == function.id]
    for h in hats:
        hat_counts[h.function_id] = hat_counts.get(h.function_id, 0) + 1
    children = list(Function.objects.for_org(org).filter(parent=function).select_related("head"))
    for child in children:
        child.hat_count = hat_counts.get(child.id, 0)
    wearers = list(
        Assignment.objects.for_org(org)
        .filter(hat__in=[h.id for h in own_hats], ended__isnull=True, person__active=True)
        .select_related("person")
        .order_by("person__name")
    )
    by_hat, people = {}, {}
    hat_title = {h.id: h.title for h in own_hats}
    for a in wearers:
        by_hat.setdefault(a.hat_id, []).append(a)
        people.setdefault(a.person_id, (a.person, []))[1].append(hat_title[a.hat_id])
    rows = [HatNode(h, by_hat.get(h.id, [])) for h in own_hats]
    areas = duty_groups(org, own_hats)
    return FunctionPage(
        function=function,
        path=path,
        holder=holder,
        hats=rows,
        people=sorted(people.values(), key=lambda p: p[0].name.lower()),
        children=children,
        areas=areas,
    )


def duty_groups(org, hats):
    """Tasks the given hats are R or A for, grouped by area in order. One query."""
    hat_by_id = {h.id: h for h in hats}
    letters = {}
    tasks = {}
    for r in (
        Responsibility.objects.for_org(org)
        .filter(hat__in=list(hat_by_id), letter__in=("R", "A"))
        .select_related("task__area")
    ):
        letters.setdefault(r.task_id, {}).setdefault(r.hat_id, set()).add(r.letter)
        tasks[r.task_id] = r.task
    return group_by_area(
        tasks,
        {
            tid: [(hat_by_id[hid], raci.format_cell(ls)) for hid, ls in sorted(cells.items())]
            for tid, cells in letters.items()
        },
    )


def group_by_area(tasks, cells_of):
    """[AreaGroup] in area order (tasks without an area last), tasks in order."""
    groups, current, current_id = [], None, object()
    for task in sorted(tasks.values(), key=task_order):
        if current is None or current_id != task.area_id:
            current_id = task.area_id
            current = AreaGroup(task.area.name if task.area else _("Without area"))
            groups.append(current)
        current.tasks.append(TaskRow(task, cells_of.get(task.id, [])))
    return groups
