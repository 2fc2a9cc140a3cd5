"""The RACI matrix as one structure: areas → task rows × function
groups → hat columns, with each cell's letters, each row's status and each
column's counts. A fixed number of queries whatever the size of the
organisation; templates only walk the result."""

import html
import re
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    Func,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import raci
from .access import id_param
from .models import Area, Assignment, Function, Hat, Person, Responsibility, Task
from .services.cells import RowState
from .templatetags.rows import wearer_names
from .tree import depth_first, descendants

PER_PAGE = 50
MAX_COLUMNS = 40
FILTER_KEYS = ("function", "area", "person", "problems", "page", "cpage")
NO_AREA = "none"
# Above this many people wearing a hat, the person filter is a text field (name
# or email) instead of a <select>: thousands of options outweigh the matrix.
PERSON_SELECT_LIMIT = 200
WHO_MAX = 254  # longest email; nothing longer can match a name or an email
WHO_SHOWN = 10  # people listed when a typed name matches several


@dataclass
class Filters:
    """The matrix filters as read from the URL; bad values are ignored."""

    function: int | None = None
    area: int | str | None = None  # an area id, NO_AREA, or None for all
    person: int | None = None
    problems: bool = False
    page: int = 1
    cpage: int = 1
    # Typed name or email (the `who` field); None when not sent. Resolved to
    # `person` by build_matrix; never carried into URLs itself.
    who: str | None = None

    @classmethod
    def from_query(cls, query):
        def number(key):
            value = id_param(query.get(key))
            return value if value else None

        area = query.get("area", "")
        return cls(
            function=number("function"),
            area=NO_AREA if area == NO_AREA else number("area"),
            person=number("person"),
            problems=query.get("problems", "") in ("1", "on", "true"),
            page=number("page") or 1,
            cpage=number("cpage") or 1,
            who=clean_who(query.get("who")) if "who" in query else None,
        )

    def query(self, **override):
        """The filters as URL parameters (without defaults), with overrides."""
        values = {
            "function": self.function,
            "area": self.area,
            "person": self.person,
            "problems": "1" if self.problems else None,
            "page": self.page if self.page > 1 else None,
            "cpage": self.cpage if self.cpage > 1 else None,
        }
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "", False)}

    @property
    def active(self):
        return bool(self.function or self.area or self.person or self.problems)


def clean_who(text):
    """`who` as typed, without control characters (a NUL would break PostgreSQL
    and means nothing in a name) and cut to a length that could match."""
    text = "".join(
        ch if ch.isprintable() else " " if ch.isspace() else ""
        for ch in str(text or "")[: WHO_MAX * 4]
    )
    return text.strip()[:WHO_MAX]


PersonName = namedtuple("PersonName", "id name")
# What the page needs of the organisation's functions, areas and tasks
# (hundreds or thousands in a large organisation: rows, not model instances).
FunctionRow = namedtuple("FunctionRow", "id name parent_id position")
AreaRow = namedtuple("AreaRow", "id name position")
TaskRow = namedtuple("TaskRow", "id name area_id position")
HatRow = namedtuple("HatRow", "id title function_id")
Wearer = namedtuple("Wearer", "person share")  # as the wearer_names filter shows them


@dataclass
class CellView:
    task: Task  # or a TaskRow: only its id is used
    hat: Hat  # or a HatRow: only its id is used
    letters: frozenset
    editable: bool

    @property
    def text(self):
        return raci.format_cell(self.letters)

    @property
    def unusual(self):
        return self.letters not in raci.USUAL

    @property
    def css(self):
        if not self.letters:
            return "cell-empty"
        if self.unusual:
            return "cell-unusual"
        return "cell-" + "".join(sorted(self.letters)).lower()

    @staticmethod
    def empty_label():
        """What an empty cell says to a screen reader: pass it to `render`, so a
        page of thousands of cells translates it once."""
        return escape(_("empty"))

    def render(self, empty=None, oob=False):
        """The cell's <td>. Built here rather than in a template: a page has up to
        PER_PAGE × MAX_COLUMNS cells, and this is many times faster. Kept small:
        the choices are one shared menu (matrix.js), the cell's name comes from
        its row and column headers, and without JavaScript an editable cell is a
        submit button of the table's one form (name "c", value "<task>-<hat>")."""
        # Safe by construction: ids are integers, `text` and `css` come from the
        # letters R/A/C/I only, and `empty` is escaped.
        if empty is None:
            empty = self.empty_label()
        text = self.text
        css = f' class="cell {self.css}"' if self.letters else ""
        swap = ' hx-swap-oob="true"' if oob else ""
        # Without JavaScript every editable cell is in the tab order; the script
        # turns the grid into one tab stop with arrow keys (roving tabindex), so
        # cells it swaps in arrive already out of the tab order.
        roving = ' tabindex="-1"' if oob else ""
        key = f"{self.task.id}-{self.hat.id}"
        head = f'<td id="cell-{key}"{css}{swap}>'
        if not self.editable:
            shown = text or f'<span class="visually-hidden">{empty}</span>'
            return mark_safe(f'{head}<span class="cell-btn"{roving}>{shown}</span></td>')  # noqa: S308  # nosec B308 B703
        label = "" if text else f' aria-label="{empty}"'
        button = f'<button class="cell-btn" name="c" value="{key}"{roving}{label}>'
        return mark_safe(f"{head}{button}{text}</button></td>")  # noqa: S308  # nosec B308 B703


def cell_renderer(columns, empty):
    """A function (task, {hat id: letters}) → the <td>s of the task's row, as
    CellView.render writes each cell. A row's empty cells (nearly all of a
    page) differ from another row's only by the task id, so the empty row is
    written once and each row copies it."""
    # Safe: as CellView.render; task and hat ids are integers.
    mark = "\x00"  # the task id, in a copy of the empty row
    blank = []
    for column in columns:
        key = f"{mark}-{column.hat.id}"
        if column.editable:
            blank.append(
                f'<td id="cell-{key}"><button class="cell-btn" name="c" value="{key}"'
                f' aria-label="{empty}"></button></td>'
            )
        else:
            blank.append(
                f'<td id="cell-{key}"><span class="cell-btn">'
                f'<span class="visually-hidden">{empty}</span></span></td>'
            )
    empty_row = "".join(blank)

    def render(task, letters):
        row = empty_row
        if letters:
            row = "".join(
                [
                    CellView(task, c.hat, letters[c.hat.id], c.editable).render(empty)
                    if c.hat.id in letters
                    else blank[i]
                    for i, c in enumerate(columns)
                ]
            )
        return mark_safe(row.replace(mark, str(int(task.id))))  # noqa: S308  # nosec B308 B703

    return render


# The parts of the page repeated for each row and column, as HTML built here
# for the same reason as the cells; each is also what a cell write swaps in.
_SPECIAL = re.compile("[&<>\"']").search


def text(value):
    """`value` escaped as django.utils.html.escape does, without its wrapper
    for lazy text, and only when it holds a character to escape (most do not,
    and a page escapes about a thousand)."""
    value = str(value)
    return html.escape(value) if _SPECIAL(value) else value


@lru_cache
def labels(language):
    """The page's fixed words in `language` (the active one), escaped."""
    return {
        "unusual": text(_("unusual combination")),
        "R": text(_("Responsible")),
        "A": text(_("Accountable")),
        "C": text(_("Consulted")),
        "I": text(_("Informed")),
    }


def status_html(task_id, status, oob=False):
    """A row's status: the mark, the first problem (or complete), and an
    unusual combination when that is not the first problem."""
    mark = "✓" if status.ok else "⚠"
    swap = ' hx-swap-oob="true"' if oob else ""
    also = ""
    if status.unusual and status.key != raci.UNUSUAL:
        also = ", " + labels(get_language())["unusual"]
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<span id="status-{int(task_id)}" class="task-status status-{status.key}"{swap}>'
        f'<span aria-hidden="true">{mark}</span> {text(status.label)}{also}</span>'
    )


def task_row_html(task, url, status, cells):
    """A task's <tr>: its name linking to `url`, its status and its `cells`
    (from cell_renderer), laid out as the template around it is."""
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'\n    <tr id="task-{int(task.id)}">\n      <th scope="row" class="task-col">\n'
        f'        <a href="{text(url)}" class="task-name">{text(task.name)}</a>\n'
        f"        {status_html(task.id, status)}\n      </th>\n      {cells}\n    </tr>\n    "
    )


def counts_html(hat_id, counts, oob=False):
    """A column's counts of R, A, C and I."""
    swap = ' hx-swap-oob="true"' if oob else ""
    names = labels(get_language())
    letters = " ".join(
        f'<abbr title="{names[letter]}">{letter}</abbr>{int(counts[letter])}'
        for letter in raci.LETTERS
    )
    return mark_safe(f'<td id="counts-{int(hat_id)}" class="counts"{swap}>{letters}</td>')  # noqa: S308  # nosec B308 B703


def hat_head_html(column):
    """A column's head: the hat's title and its wearers (or "vacant")."""
    wearers = wearer_names(column.wearers)
    css = "" if column.wearers else " hat-vacant"
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<th scope="col" class="hat-head{css}"><span class="hat-title">'
        f'{text(column.hat.title)}</span><span class="hat-wearers">{wearers}</span></th>'
    )


@dataclass
class Column:
    hat: HatRow
    function: FunctionRow
    wearers: list
    counts: dict
    editable: bool

    @property
    def vacant(self):
        return not self.wearers


@dataclass
class ColumnGroup:
    function: FunctionRow
    depth: int
    columns: list = field(default_factory=list)


@dataclass
class Row:
    task: TaskRow
    status: raci.TaskStatus
    letters: dict  # {hat id: letters} of the row's non-empty cells in visible columns


@dataclass
class AreaGroup:
    area: AreaRow | None
    rows: list = field(default_factory=list)
    html: str = ""  # the rows' <tr>s, once rendered (see task_row_html)


@dataclass
class Matrix:
    filters: Filters
    groups: list  # AreaGroup on this page
    column_groups: list  # ColumnGroup of visible columns
    columns: list  # Column, visible, flat
    functions: list  # (FunctionRow, depth) in tree order, for the filter
    areas: list  # AreaRow in order
    people: list  # (id, name) of the people the person filter offers
    total_tasks: int
    total_hats: int
    matching_tasks: int  # after the filters
    matching_hats: int
    page: int
    pages: int
    cpage: int
    cpages: int
    can_edit_any: bool = False
    status_totals: dict = field(default_factory=dict)
    person_search: bool = False  # the person filter is a text field, not a <select>
    who: str = ""  # what the text field shows: the typed text or the chosen name
    who_matches: list = field(default_factory=list)  # (id, name), the first WHO_SHOWN
    who_count: int = 0  # how many people `who` matched when not exactly one

    @property
    def function_options(self):
        """(id, name indented by depth) for the function filter."""
        return [(f.id, "\u00a0\u00a0" * depth + f.name) for f, depth in self.functions]

    @property
    def rows_hidden_by_filters(self):
        return self.total_tasks - self.matching_tasks

    @property
    def columns_hidden_by_filters(self):
        return self.total_hats - self.matching_hats

    @property
    def columns_hidden_by_limit(self):
        return self.matching_hats - len(self.columns)

    @property
    def rows_shown(self):
        return sum(len(g.rows) for g in self.groups)

    @property
    def first_row(self):
        return (self.page - 1) * PER_PAGE + 1 if self.rows_shown else 0

    @property
    def last_row(self):
        return self.first_row + self.rows_shown - 1 if self.rows_shown else 0

    @property
    def first_column(self):
        return (self.cpage - 1) * MAX_COLUMNS + 1 if self.columns else 0

    @property
    def last_column(self):
        return self.first_column + len(self.columns) - 1 if self.columns else 0


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


def casefold(text):
    return None if text is None else text.casefold()


class Fold(Func):
    """Text folded for comparing regardless of case: LOWER on PostgreSQL
    (Unicode-aware in a UTF-8 database); on SQLite, whose LOWER folds ASCII
    only, str.casefold registered on the connection."""

    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_function("hatta_casefold", 1, casefold, deterministic=True)
        return self.as_sql(compiler, connection, function="HATTA_CASEFOLD", **extra)


def wears_a_hat(org_id):
    """The person (the outer row) wears a hat now."""
    return Exists(
        Assignment.objects.filter(org_id=org_id, person=OuterRef("pk"), ended__isnull=True)
    )


def find_who(org, who):
    """The people `who` names: [(id, name)] with one entry when it names one,
    and how many it matched. An email (any case) names its active person; else
    the active wearers whose name contains it (any case), a whole-name match
    winning over partial ones; the first WHO_SHOWN by name. One query, two
    for an email that names no one."""
    typed = Fold(Value(who))
    people = Person.objects.filter(org_id=org.id, active=True)
    if "@" in who:  # by the index on the lowered email
        found = list(
            people.alias(folded_email=Fold("email"))
            .filter(folded_email=typed)
            .values_list("pk", "name")[:1]
        )
        if found:
            return found, 1
    found = list(
        people.filter(wears_a_hat(org.id))
        .alias(folded=Fold("name"))
        .filter(folded__contains=typed)
        .annotate(whole=Case(When(folded=typed, then=1), default=0))
        .annotate(
            matched=Window(Count("pk")),
            wholes=Window(Sum("whole")),
            whole_id=Window(Max(Case(When(whole=1, then="pk")))),
            whole_name=Window(Max(Case(When(whole=1, then="name")))),
        )
        .order_by("folded", "pk")
        .values_list("pk", "name", "matched", "wholes", "whole_id", "whole_name")[:WHO_SHOWN]
    )
    if not found:
        return [], 0
    _pk, _name, matched, wholes, whole_id, whole_name = found[0]
    if wholes == 1:
        return [(whole_id, whole_name)], 1
    return [row[:2] for row in found], matched


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


def chosen_person(org, person_id):
    """(id, name) of an active person of the organisation, or None."""
    return (
        Person.objects.filter(org_id=org.id, pk=person_id, active=True)
        .order_by()
        .values_list("pk", "name")
        .first()
    )


def person_options(org, chosen):
    """The people the person filter offers in a <select>, as (id, name) by name:
    every active wearer, and `chosen` (id, name) if they wear nothing; and
    whether there are too many wearers for a <select> (the list is then cut
    short). One query, which stops after PERSON_SELECT_LIMIT + 1 wearers:
    sorting every wearer by name would read them all."""
    people = list(
        Person.objects.filter(org_id=org.id, active=True)
        .filter(wears_a_hat(org.id))
        .order_by()
        .values_list("pk", "name")[: PERSON_SELECT_LIMIT + 1]
    )
    if len(people) > PERSON_SELECT_LIMIT:
        return [], True
    if chosen and chosen not in people:
        people.append(chosen)
    return sorted(people, key=lambda p: (p[1], p[0])), False


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
        functions.append(FunctionRow(fid, name, parent_id, position))
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
            hats_of[function_id].append(HatRow(hat_id, title, function_id))
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
    tasks as (id, name, area id, position, *status counts)); clamps filters.page
    and filters.area."""
    areas = [
        AreaRow(*row)
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
    filters.page = min(filters.page, max(1, -(-matching // PER_PAGE)))

    start, shown = (filters.page - 1) * PER_PAGE, []
    fields = ("id", "name", "area_id", "position", *Task.STATUS_FIELDS)
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


def build_matrix(access, filters):
    """The matrix page of the caller's organisation under `filters`. It reads
    only what the page shows (its tasks, its hat columns with their wearers,
    counts and cells) and counts the rest in SQL: a fixed number of queries,
    each reading a bounded number of rows, whatever the size of the
    organisation. Eight queries; one more to check a chosen person, and one
    more to resolve a typed name or email."""
    org = access.org
    who_matches, who_count = [], 0
    person = chosen_person(org, filters.person) if filters.person else None
    # The text field sends back the chosen person's name with their id (two
    # people may share a name): while the name is unchanged, the id stands.
    kept = (
        filters.who is not None
        and person is not None
        and person[1].casefold() == filters.who.casefold()
    )
    if filters.who is not None and not kept:
        person = None
        if filters.who:
            who_matches, who_count = find_who(org, filters.who)
            if who_count == 1:
                person = who_matches[0]
    filters.person = person[0] if person else None

    ordered, total_hats, matching_hats, visible, wearers = read_columns(
        org, filters, filters.person
    )
    areas, status_totals, total_tasks, matching_tasks, shown = read_rows(
        org, filters, filters.person
    )
    counts, cells_of_task = read_cells(
        org, [hat.id for _f, _d, hat in visible], [t[0] for t in shown]
    )
    options, person_search = person_options(org, person)

    editable = {hat.id: access.can_edit_cell(hat) for _f, _d, hat in visible}
    column_groups, columns = [], []
    for function, depth, hat in visible:
        column = Column(
            hat=hat,
            function=function,
            wearers=wearers.get(hat.id, []),
            counts=counts[hat.id],
            editable=editable[hat.id],
        )
        if not column_groups or column_groups[-1].function.id != function.id:
            column_groups.append(ColumnGroup(function, depth))
        column_groups[-1].columns.append(column)
        columns.append(column)

    area_by_id = {a.id: a for a in areas}
    groups = []
    no_cells = {}
    for task_id, name, area_id, position, *status in shown:
        task = TaskRow(task_id, name, area_id, position)
        area = area_by_id.get(area_id)
        if not groups or groups[-1].area is not area:
            groups.append(AreaGroup(area))
        row = cells_of_task.get(task_id, no_cells)
        groups[-1].rows.append(Row(task, raci.status_of(*status), row))

    return Matrix(
        filters=filters,
        groups=groups,
        column_groups=column_groups,
        columns=columns,
        functions=ordered,
        areas=areas,
        # The person filter offers those who wear a hat (anyone else would
        # narrow the matrix to nothing): in a large organisation, far fewer,
        # and above PERSON_SELECT_LIMIT none (the filter is a text field).
        people=options,
        total_tasks=total_tasks,
        total_hats=total_hats,
        matching_tasks=matching_tasks,
        matching_hats=matching_hats,
        page=filters.page,
        pages=max(1, -(-matching_tasks // PER_PAGE)),
        cpage=filters.cpage,
        cpages=max(1, -(-matching_hats // MAX_COLUMNS)),
        can_edit_any=any(editable.values()),
        status_totals=status_totals,
        person_search=person_search,
        who=person[1] if person else filters.who or "",
        who_matches=who_matches if who_count > 1 else [],
        who_count=0 if who_count == 1 else who_count,
    )
