"""The queries of the matrix page: its hat columns, its task rows and their
cells, each reading only what one page shows and counting the rest in SQL."""

from collections import defaultdict, namedtuple

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    Value,
    When,
)

from .. import raci
from ..models import Area, Assignment, Function, Hat, Person, Responsibility, Task
from ..services.cells import RowState
from ..tree import depth_first, descendants
from .filters import MAX_COLUMNS, NO_AREA, PER_PAGE

PersonName = namedtuple("PersonName", "id name")
# What the page needs of the organisation's functions, areas and tasks
# (hundreds or thousands in a large organisation: rows, not model instances).
MatrixFunction = namedtuple("MatrixFunction", "id name parent_id position")
MatrixArea = namedtuple("MatrixArea", "id name position")
MatrixTask = namedtuple("MatrixTask", "id name area_id position")
MatrixHat = namedtuple("MatrixHat", "id title function_id")
Wearer = namedtuple("Wearer", "person share")  # as components.html#wearer_names shows them


def functions_in_tree_order(functions):
    """[(Function, depth)] depth-first, siblings by (position, name)."""
    ordered = sorted(functions, key=lambda f: (f.position, f.name.lower(), f.id))
    by_id = {f.id: f for f in ordered}
    return [(by_id[fid], depth) for fid, depth in depth_first((f.id, f.parent_id) for f in ordered)]


def read_row(task, hat_ids=(), access=None):
    """The letters of one task by hat, the hats on that row, and the column
    counts (over all tasks) of every hat on the row and of `hat_ids`. One query,
    so a cell write under the task's lock learns the row, the hats an A moves
    from and the counts to show at once.

    The hats are {hat_id: Hat} with id, org_id, title and function_id, and
    `may_edit` when `access` is given (Access.may_edit_hat_expression).
    Returns (RowState, {hat_id: {letter: count}})."""
    on_row = Responsibility.objects.filter(task_id=task.id).values("hat_id")
    found = Responsibility.objects.filter(org_id=task.org_id).filter(
        Q(hat_id__in=on_row) | Q(hat_id__in=list(hat_ids))
    )
    fields = ["hat_id", "hat__title", "hat__function_id", "letter"]
    if access is not None:
        found = found.annotate(may_edit=access.may_edit_hat_expression("hat__function_id"))
        fields.append("may_edit")
    found = (
        found.values_list(*fields)
        .annotate(n=Count("id"), here=Count("id", filter=Q(task_id=task.id)))
        .order_by()
    )
    letters = defaultdict(set)
    hats = {}
    counts = {hat_id: dict.fromkeys(raci.LETTERS, 0) for hat_id in hat_ids}
    for hat_id, title, function_id, letter, *flag, n, here in found:
        counts.setdefault(hat_id, dict.fromkeys(raci.LETTERS, 0))[letter] = n
        if here:
            letters[hat_id].add(letter)
            if hat_id not in hats:
                hats[hat_id] = Hat(
                    id=hat_id, org_id=task.org_id, title=title, function_id=function_id
                )
                if flag:
                    hats[hat_id].may_edit = bool(flag[0])
    row = RowState({hat_id: frozenset(cell) for hat_id, cell in letters.items()}, hats)
    return row, counts


def hats_worn_by(org_id, person_id):
    """The hats the person wears now, as a subquery."""
    return Assignment.objects.filter(org_id=org_id, person_id=person_id, ended__isnull=True).values(
        "hat_id"
    )


def function_rows(org_id, person_id=None):
    """(id, name, parent id, position, hats[, the person's hats]) of each of
    the organisation's functions."""
    counts = {"n": Count("hats")}
    if person_id is not None:
        counts["mine"] = Count("hats", filter=Q(hats__in=hats_worn_by(org_id, person_id)))
    return (
        Function.objects.filter(org_id=org_id)
        .values_list("id", "name", "parent_id", "position")
        .annotate(**counts)
        .order_by()
    )


# Task status as conditions on the counts each task stores (raci.status_of).
COMPLETE_Q = Q(a_count=1, r_count__gte=1, unusual_count=0)
PROBLEM_Q = {  # the other status keys: each task that is not complete meets exactly one
    raci.NO_A: Q(a_count=0),
    raci.MANY_A: Q(a_count__gt=1),
    raci.NO_R: Q(a_count=1, r_count=0),
    raci.UNUSUAL: Q(a_count=1, r_count__gte=1, unusual_count__gt=0),
}


def task_counts(org_id, narrowed=None):
    """One row: all tasks, those with each problem (PROBLEM_Q), those without
    an area among the `narrowed` ones, and (with `narrowed`) the narrowed ones.
    One pass over the status counts each task stores."""
    narrowed = narrowed or Q()
    counts = {
        "total": Count("pk"),
        **{key: Count("pk", filter=q) for key, q in PROBLEM_Q.items()},
        "loose": Count("pk", filter=narrowed & Q(area__isnull=True)),
    }
    if narrowed:
        counts["matching"] = Count("pk", filter=narrowed)
    return (
        Task.objects.filter(org_id=org_id).values("org_id").annotate(**counts).values_list(*counts)
    )


def column_window(ordered, counts, start, size):
    """{function id: (skip, take)}: which of each function's hats (in order)
    fall in columns start..start+size-1 of `ordered`, given {id: hat count}."""
    window, seen = {}, 0
    for function, _depth in ordered:
        n = counts.get(function.id, 0)
        if n and seen + n > start and seen < start + size:
            skip = max(0, start - seen)
            window[function.id] = (skip, min(n, start + size - seen) - skip)
        seen += n
        if seen >= start + size:
            break
    return window


def read_columns(org, filters, person_id):
    """The hat columns of the page: hats in function tree order, narrowed by
    function and person, counted per function in SQL so that only the page's
    hats are read, with their current wearers. Three queries.

    Returns (functions in tree order, all hats, matching hats, the page's
    [(function, depth, hat)], {hat id: [Wearer]}); clamps filters.cpage."""
    rows = function_rows(org.id, person_id)
    functions, all_hats, counts = [], {}, {}
    for fid, name, parent_id, position, n, *mine in rows:
        functions.append(MatrixFunction(fid, name, parent_id, position))
        all_hats[fid] = n
        counts[fid] = mine[0] if mine else n  # the chosen person's hats, or all
    ordered = functions_in_tree_order(functions)
    if filters.function and filters.function not in all_hats:
        filters.function = None
    if filters.function:
        allowed = descendants({f.id: f.parent_id for f in functions}, [filters.function])
        counts = {fid: n for fid, n in counts.items() if fid in allowed}
    matching = sum(counts.values())
    filters.cpage = min(filters.cpage, max(1, -(-matching // MAX_COLUMNS)))
    window = column_window(ordered, counts, (filters.cpage - 1) * MAX_COLUMNS, MAX_COLUMNS)

    hats_of, wearers = defaultdict(list), defaultdict(list)
    if window:
        found = Hat.objects.for_org(org).filter(function_id__in=list(window))
        if person_id is not None:
            found = found.filter(pk__in=hats_worn_by(org.id, person_id))
        for hat_id, title, function_id in found.order_by("position", "title", "id").values_list(
            "id", "title", "function_id"
        ):
            hats_of[function_id].append(MatrixHat(hat_id, title, function_id))
    visible = []
    for function, depth in ordered:
        if function.id in window:
            skip, take = window[function.id]
            visible += [(function, depth, hat) for hat in hats_of[function.id][skip : skip + take]]
    if visible:
        # The wearers' names by a subquery on each of these few rows (none for
        # someone no longer active): a join would have PostgreSQL read every
        # person of the organisation. The hats are the organisation's: no need
        # to narrow by it again (which would read every assignment's).
        active_name = Person.objects.filter(pk=OuterRef("person_id"), active=True).order_by()
        for hat_id, person_id, name, share in (
            Assignment.objects.filter(hat_id__in=[h.id for _f, _d, h in visible])
            .filter(ended__isnull=True)
            .annotate(wearer=Subquery(active_name.values("name")))
            .order_by("wearer", "id")
            .values_list("hat_id", "person_id", "wearer", "share")
        ):
            if name is not None:
                wearers[hat_id].append(Wearer(PersonName(person_id, name), share))
    return ordered, sum(all_hats.values()), matching, visible, wearers


def read_rows(org, filters, person_id):
    """The task rows of the page: tasks in area order (tasks without an area
    last), narrowed by the filters. The statuses and the matching tasks are
    counted in one pass over the status counts each task stores; the page is
    read area by area in order (an index on the areas' order), stopping when
    it is full. Three queries, four on the page where the tasks without an
    area begin.

    Returns (areas, {status key: tasks}, all tasks, matching tasks, the page's
    tasks as (id, name, area id, position, the names of the hats holding its
    A's when it has two or more (A_NAMES_SEPARATOR between them, else ""),
    *status counts)); clamps filters.page and filters.area."""
    areas = [
        MatrixArea(*row)
        for row in Area.objects.filter(org_id=org.id)
        .order_by("position", "id")
        .values_list("id", "name", "position")
    ]
    if isinstance(filters.area, int) and filters.area not in {a.id for a in areas}:
        filters.area = None
    narrowed = Q()
    if filters.area == NO_AREA:
        narrowed &= Q(area__isnull=True)
    elif filters.area:
        narrowed &= Q(area_id=filters.area)
    if person_id is not None:
        narrowed &= Q(
            pk__in=Responsibility.objects.for_org(org)
            .filter(hat_id__in=hats_worn_by(org.id, person_id))
            .values("task_id")
        )
    if filters.problems:
        narrowed &= ~COMPLETE_Q
    names = ["total", *PROBLEM_Q, "loose", "matching"]
    found = list(task_counts(org.id, narrowed))
    counted = dict(zip(names, found[0], strict=False)) if found else dict.fromkeys(names, 0)
    total = counted["total"]
    counted[raci.COMPLETE] = total - sum(counted[key] for key in PROBLEM_Q)
    status_totals = {key: counted[key] for key in raci.STATUS_LABELS}
    matching, loose = counted.get("matching", total), counted["loose"]
    tasks = Task.objects.for_org(org)
    if filters.task:
        before = tasks_before(org, narrowed, filters.task, matching - loose)
        if before is not None:
            filters.page = before // PER_PAGE + 1
    filters.page = min(filters.page, max(1, -(-matching // PER_PAGE)))

    start, shown = (filters.page - 1) * PER_PAGE, []
    tasks = tasks.annotate(a_names=a_holders_names())
    fields = ("id", "name", "area_id", "position", "a_names", *Task.STATUS_FIELDS)
    if start < matching - loose:
        shown = list(
            tasks.filter(narrowed, area__org=org)
            .order_by("area__position", "area_id", "position", "pk")
            .values_list(*fields)[start : start + PER_PAGE]
        )
    if len(shown) < PER_PAGE and loose:
        start = max(0, start - (matching - loose))
        shown += list(
            tasks.filter(narrowed, area__isnull=True)
            .order_by("position", "pk")
            .values_list(*fields)[start : start + PER_PAGE - len(shown)]
        )
    return areas, status_totals, total, matching, shown


def tasks_before(org, narrowed, task_id, in_areas):
    """How many of the `narrowed` tasks come before task `task_id` in the
    page's order (area by area, the tasks without an area last, `in_areas`
    being those with one); None when the filters leave it out. Two queries."""
    tasks = Task.objects.for_org(org).filter(narrowed)
    found = tasks.filter(pk=task_id).values_list("area_id", "area__position", "position").first()
    if found is None:
        return None
    area_id, area_position, position = found
    same_place = Q(position__lt=position) | Q(position=position, pk__lt=task_id)
    if area_id is None:
        return in_areas + tasks.filter(Q(area__isnull=True) & same_place).count()
    earlier = (
        Q(area__position__lt=area_position)
        | Q(area__position=area_position, area_id__lt=area_id)
        | (Q(area_id=area_id) & same_place)
    )
    return tasks.filter(earlier, area__org=org).count()


def read_cells(org, hat_ids, task_ids):
    """The column counts (R, A, C, I over all tasks) of `hat_ids`, and the
    cells of `task_ids` × `hat_ids` as {task id: {hat id: letters}}. One
    query: the letters of the page's cells come as groups of their own."""
    counts = {hat_id: dict.fromkeys(raci.LETTERS, 0) for hat_id in hat_ids}
    cells = defaultdict(dict)
    if not hat_ids:
        return counts, cells
    if task_ids:
        here = Case(When(task_id__in=task_ids, then="task_id"))
    else:
        here = Value(None, output_field=BigIntegerField())
    for hat_id, letter, task_id, n in (
        Responsibility.objects.for_org(org)
        .filter(hat_id__in=hat_ids)
        .values_list("hat_id", "letter", here)
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[hat_id][letter] += n
        if task_id is not None:
            row = cells[task_id]
            row[hat_id] = row[hat_id] | {letter} if hat_id in row else frozenset(letter)
    return counts, cells


A_NAMES_SEPARATOR = "\x1f"  # the unit separator: no hat title holds one


def a_holders_names():
    """For a task with two or more A's, the titles of the hats holding them in
    one string (the A's may sit in columns off the page, so the row names
    them); "" for any other task. A subquery of the page's task query, run
    only for those rows: no query of its own."""
    names = (
        Responsibility.objects.filter(task_id=OuterRef("pk"), letter="A")
        .order_by()
        .values("task_id")
        # Unordered (SQLite before 3.44 cannot order an aggregate): the page
        # sorts the names.
        .annotate(names=StringAgg("hat__title", Value(A_NAMES_SEPARATOR)))
        .values("names")
    )
    return Case(
        When(a_count__gt=1, then=Subquery(names)),
        default=Value(""),
        output_field=CharField(),
    )


def read_status_totals(org):
    """{status key: tasks} over all the organisation's tasks, as the page's
    totals line shows them (after a cell write). One query."""
    found = list(task_counts(org.id))
    names = ["total", *PROBLEM_Q, "loose"]
    counted = dict(zip(names, found[0], strict=False)) if found else dict.fromkeys(names, 0)
    counted[raci.COMPLETE] = counted["total"] - sum(counted[key] for key in PROBLEM_Q)
    return {key: counted[key] for key in raci.STATUS_LABELS}
