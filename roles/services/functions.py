"""Functions: what the function page shows, and the writes (create, edit, move, delete)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import raci, tree
from ..links import Links
from ..models import Assignment, Function, Hat, Organisation, Responsibility
from ..overview import HatNode
from .hats import LETTER_COLUMNS, read_letters, task_order


class FunctionNotEmpty(Exception):
    """A function that still has hats or sub-functions cannot be deleted."""


def check_parent(org, function, new_parent):
    """Refuse to place `function` below itself or one of its own sub-functions."""
    if function.pk is None or new_parent is None:
        return
    parent_of = dict(Function.objects.for_org(org).values_list("id", "parent_id"))
    if tree.would_cycle(parent_of, function.pk, new_parent.pk):
        raise ValidationError(
            _(
                "A function cannot be placed below itself or one of its own "
                "sub-functions. Choose another parent."
            ),
            code="cycle",
        )


@transaction.atomic
def save_function(function):
    """Create or update; the form has validated name, parent and head. A move
    is checked again under the organisation's lock, so two moves at once
    cannot close a loop between them (ValidationError)."""
    if function.pk is not None and function.parent_id is not None:
        Organisation.objects.select_for_update().filter(pk=function.org_id).exists()
        check_parent(function.org, function, function.parent)
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
class DutyRow:
    task: object
    cells: list = field(default_factory=list)  # (hat, "A/R", url)


@dataclass
class DutyArea:
    name: str
    tasks: list = field(default_factory=list)


@dataclass
class FunctionPage:
    function: Function
    path: list  # [(id, name)] from the root down to the parent
    holder: object  # (person_id, name) who holds vacant hats: nearest head up the tree
    hats: list
    people: list  # [(person, [hat titles], url)]
    children: list  # Function rows, head preloaded, with .hat_count
    areas: list  # DutyArea


def function_chain(org_id, function_id):
    """(id, parent id, name, head id, head's name) of the function and every
    function above it."""
    return Function.objects.filter(
        org_id=org_id,
        id__in=tree.chain_sql(org_id, function_id),
    ).values_list("id", "parent_id", "name", "head_id", "head__name")


def function_hats(org_id, function_id):
    """The function's hats and its children's: through the function ids, so
    both are index lookups (an OR across the join would read every hat)."""
    return Hat.objects.filter(
        org_id=org_id,
        function_id__in=Function.objects.filter(
            Q(id=function_id) | Q(parent_id=function_id), org_id=org_id
        ).values("id"),
    ).only("id", "title", "function_id", "position", "revision", "purpose")


def function_wearers(org_id, function_id):
    """The current, active wearers of the function's own hats. Through the
    hats (of this organisation, as their wearers are): filtering the wearers
    by organisation makes PostgreSQL read every wearer of it instead of the
    few of these hats."""
    return (
        Assignment.objects.filter(
            hat__in=Hat.objects.filter(org_id=org_id, function_id=function_id).values("id"),
            ended__isnull=True,
            person__active=True,
        )
        .select_related("person")
        .order_by("person__name")
    )


def function_page(org, function, access=None):
    """Everything the function page shows. Five queries whatever the size.
    Hats, people and sub-functions carry their page's URL (`.url`, or the
    last item of a tuple), made without reversing a URL per row. `access`
    learns the functions above read here, so its edit rights cost no query."""
    links = Links(org.slug)
    chain = list(function_chain(org.id, function.id))
    if access is not None:
        access.know_ancestors(
            function.id, [(fid, parent, head) for fid, parent, _n, head, _h in chain]
        )
    by_id = {row[0]: row for row in chain}
    parent_of = {row[0]: row[1] for row in chain}
    above = tree.ancestors(parent_of, function.id)
    path = [(fid, by_id[fid][2]) for fid in reversed(above)]
    holder = None
    for fid in [function.id, *above]:
        if by_id[fid][3]:
            holder = (by_id[fid][3], by_id[fid][4])
            break
    hat_counts = {}
    hats = list(function_hats(org.id, function.id))
    own_hats = [h for h in hats if h.function_id == function.id]
    for h in hats:
        hat_counts[h.function_id] = hat_counts.get(h.function_id, 0) + 1
    children = list(
        Function.objects.filter(org_id=org.id, parent_id=function.id).select_related("head")
    )
    for child in children:
        child.hat_count = hat_counts.get(child.id, 0)
        child.url = links.function(child.id)
    by_hat, people = {}, {}
    hat_title = {h.id: h.title for h in own_hats}
    for a in function_wearers(org.id, function.id):
        by_hat.setdefault(a.hat_id, []).append(a)
        person = people.setdefault(a.person_id, (a.person, [], links.person(a.person_id)))
        person[1].append(hat_title[a.hat_id])
    for h in own_hats:
        h.url = links.hat(h.id)
    rows = [HatNode(h, by_hat.get(h.id, [])) for h in own_hats]
    duties = Responsibility.objects.filter(
        org_id=org.id, hat__function_id=function.id, letter__in=("R", "A")
    ).values_list(*LETTER_COLUMNS)
    areas = duty_groups(own_hats, duties, links)
    return FunctionPage(
        function=function,
        path=path,
        holder=holder,
        hats=rows,
        people=sorted(people.values(), key=lambda p: p[0].name.lower()),
        children=children,
        areas=areas,
    )


def duty_groups(hats, rows, links):
    """Tasks the given hats are R or A for, grouped by area in order, from
    `rows`: their R and A letters as LETTER_COLUMNS."""
    hat_by_id = {h.id: h for h in hats}
    cells, tasks = read_letters(rows)
    letters = {}
    for hid, task_cells in cells.items():
        for tid, ls in task_cells.items():
            letters.setdefault(tid, {})[hid] = ls
    return group_by_area(
        tasks,
        {
            tid: [
                (hat_by_id[hid], raci.format_cell(ls), links.hat(hid))
                for hid, ls in sorted(cells.items())
            ]
            for tid, cells in letters.items()
        },
    )


def group_by_area(tasks, cells_of):
    """[DutyArea] in area order (tasks without an area last), tasks in order."""
    groups, current, current_id = [], None, object()
    for task in sorted(tasks.values(), key=task_order):
        if current is None or current_id != task.area_id:
            current_id = task.area_id
            current = DutyArea(task.area.name if task.area else _("Without area"))
            groups.append(current)
        current.tasks.append(DutyRow(task, cells_of.get(task.id, [])))
    return groups
