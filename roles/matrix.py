"""The RACI matrix as one prepared structure: areas → task rows × function
groups → hat columns, with each cell's letters, each row's status and each
column's counts. A fixed number of queries whatever the size of the
organisation; templates only walk the result."""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import raci
from .access import id_param, subtree_ids
from .models import Area, Assignment, Function, Hat, Person, Responsibility, Task
from .services.cells import RowState

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


def resolve_who(who, people, wearing):
    """The people `who` names: [(id, name)] with one entry when it names one.
    An email (any case) names its active person; else the active wearers whose
    name contains it (any case), a whole-name match winning over partial ones."""
    needle = who.casefold()
    for person in people:
        if len(person) > 2 and person[2].casefold() == needle:
            return [person[:2]]
    matches = sorted(
        (p[:2] for p in people if p[0] in wearing and needle in p[1].casefold()),
        key=lambda p: (p[1].casefold(), p[0]),
    )
    exact = [p for p in matches if p[1].casefold() == needle]
    return exact if len(exact) == 1 else matches


PersonName = namedtuple("PersonName", "id name")
Wearer = namedtuple("Wearer", "person share")  # as components.html#wearers shows them


@dataclass
class CellView:
    task: Task
    hat: Hat
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


@dataclass
class Column:
    hat: Hat
    function: Function
    wearers: list
    counts: dict
    editable: bool

    @property
    def vacant(self):
        return not self.wearers


@dataclass
class ColumnGroup:
    function: Function
    depth: int
    columns: list = field(default_factory=list)


@dataclass
class Row:
    task: Task
    status: raci.TaskStatus
    cells: list  # CellView per visible column, in column order
    html: str = ""  # the cells' <td>s, once rendered (see CellView.render)
    url: str = ""  # the task's page


@dataclass
class AreaGroup:
    area: Area | None
    rows: list = field(default_factory=list)


@dataclass
class Matrix:
    filters: Filters
    groups: list  # AreaGroup on this page
    column_groups: list  # ColumnGroup of visible columns
    columns: list  # Column, visible, flat
    functions: list  # (Function, depth) in tree order, for the filter
    areas: list
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
    children = defaultdict(list)
    ids = {f.id for f in functions}
    for f in functions:
        children[f.parent_id if f.parent_id in ids else None].append(f)
    for kids in children.values():
        kids.sort(key=lambda f: (f.position, f.name.lower(), f.id))
    out, seen = [], set()
    stack = [(f, 0) for f in reversed(children[None])]
    while stack:
        f, depth = stack.pop()
        if f.id in seen:
            continue
        seen.add(f.id)
        out.append((f, depth))
        stack.extend((c, depth + 1) for c in reversed(children[f.id]))
    for f in functions:  # anything left in a cycle still gets a place
        if f.id not in seen:
            out.append((f, 0))
    return out


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


def build_matrix(access, filters):
    """The matrix page of the caller's organisation under `filters`. Seven queries."""
    org = access.org
    functions = list(
        Function.objects.for_org(org).only("id", "name", "parent_id", "position", "head_id")
    )
    hats = list(
        Hat.objects.for_org(org)
        .only("id", "title", "function_id", "position")
        .order_by("position", "title", "id")
    )
    # Tuples, not model instances, for what a large organisation has thousands
    # of: building a model instance costs many times more than the row.
    wearers = list(
        Assignment.objects.for_org(org)
        .filter(ended__isnull=True, person__active=True)
        .order_by("person__name", "id")
        .values_list("hat_id", "person_id", "person__name", "share")
    )
    areas = list(Area.objects.for_org(org).only("id", "name", "position"))
    tasks = list(
        Task.objects.for_org(org)
        .order_by("position", "id")
        .values_list("id", "name", "area_id", "position")
    )
    cells_of_task = defaultdict(dict)
    counts = defaultdict(lambda: dict.fromkeys(raci.LETTERS, 0))
    for task_id, hat_id, letter in Responsibility.objects.for_org(org).values_list(
        "task_id", "hat_id", "letter"
    ):
        row = cells_of_task[task_id]
        if hat_id in row:
            row[hat_id] = row[hat_id] | {letter}
        else:
            row[hat_id] = frozenset(letter)
        counts[hat_id][letter] += 1
    # Emails only when a typed `who` may name one: no extra query either way.
    people = list(
        Person.objects.for_org(org)
        .filter(active=True)
        .values_list(*(("id", "name", "email") if filters.who else ("id", "name")))
    )
    wearing = {w[1] for w in wearers}
    who_matches = []
    # The text field sends back the chosen person's name with their id (two
    # people may share a name): while the name is unchanged, the id stands.
    kept = filters.who is not None and any(
        p[0] == filters.person and p[1].casefold() == filters.who.casefold() for p in people
    )
    if filters.who is not None and not kept:
        filters.person = None
        if filters.who:
            who_matches = resolve_who(filters.who, people, wearing)
            if len(who_matches) == 1:
                filters.person = who_matches[0][0]

    # Columns: hats in function tree order, narrowed by function and person.
    ordered = functions_in_tree_order(functions)
    function_by_id = {f.id: f for f in functions}
    hats_by_function = defaultdict(list)
    for hat in hats:
        hats_by_function[hat.function_id].append(hat)
    if filters.function and filters.function not in function_by_id:
        filters.function = None
    if filters.person and filters.person not in {p[0] for p in people}:
        filters.person = None
    allowed_functions = None
    if filters.function:
        allowed_functions = subtree_ids({f.id: f.parent_id for f in functions}, [filters.function])
    person_hats = None
    if filters.person:
        person_hats = {w[0] for w in wearers if w[1] == filters.person}
    matching = []  # (function, depth, hat)
    for function, depth in ordered:
        if allowed_functions is not None and function.id not in allowed_functions:
            continue
        for hat in hats_by_function.get(function.id, ()):
            if person_hats is not None and hat.id not in person_hats:
                continue
            matching.append((function, depth, hat))

    cpages = max(1, -(-len(matching) // MAX_COLUMNS))
    cpage = min(filters.cpage, cpages)
    filters.cpage = cpage
    visible = matching[(cpage - 1) * MAX_COLUMNS : cpage * MAX_COLUMNS]

    # Rows: tasks in area order (tasks without an area last), narrowed by the filters.
    area_ids = {a.id for a in areas}
    if isinstance(filters.area, int) and filters.area not in area_ids:
        filters.area = None
    all_hat_ids = [h.id for h in hats]
    area_rank = {a.id: i for i, a in enumerate(areas)}
    no_rank = len(areas)
    tasks.sort(key=lambda t: (area_rank.get(t[2], no_rank), t[3], t[0]))
    statuses = {}
    status_totals = dict.fromkeys(raci.STATUS_LABELS, 0)
    matching_tasks = []
    no_cells = {}
    for task in tasks:
        task_id, _name, area_id, _position = task
        row = cells_of_task.get(task_id, no_cells)
        status = raci.task_status(row.values())
        statuses[task_id] = status
        status_totals[status.key] += 1
        if filters.area == NO_AREA and area_id in area_ids:
            continue
        if isinstance(filters.area, int) and area_id != filters.area:
            continue
        if person_hats is not None and not any(h in person_hats for h in row):
            continue
        if filters.problems and status.ok:
            continue
        matching_tasks.append(task)

    pages = max(1, -(-len(matching_tasks) // PER_PAGE))
    page = min(filters.page, pages)
    filters.page = page
    shown = matching_tasks[(page - 1) * PER_PAGE : page * PER_PAGE]

    wearers_by_hat = defaultdict(list)
    visible_ids = {hat.id for _f, _d, hat in visible}
    for hat_id, person_id, name, share in wearers:
        if hat_id in visible_ids:
            wearers_by_hat[hat_id].append(Wearer(PersonName(person_id, name), share))
    editable = {hat.id: access.can_edit_cell(hat) for _f, _d, hat in visible}
    column_groups, columns = [], []
    for function, depth, hat in visible:
        column = Column(
            hat=hat,
            function=function,
            wearers=wearers_by_hat.get(hat.id, []),
            counts=dict(counts[hat.id]),
            editable=editable[hat.id],
        )
        if not column_groups or column_groups[-1].function.id != function.id:
            column_groups.append(ColumnGroup(function, depth))
        column_groups[-1].columns.append(column)
        columns.append(column)

    person_search = len(wearing) > PERSON_SELECT_LIMIT
    if filters.person:
        who_text = next((p[1] for p in people if p[0] == filters.person), "")
    else:
        who_text = filters.who or ""

    area_by_id = {a.id: a for a in areas}
    groups = []
    for task_id, name, area_id, position in shown:
        task = Task(id=task_id, org_id=org.id, name=name, area_id=area_id, position=position)
        area = area_by_id.get(task.area_id)
        if not groups or groups[-1].area is not area:
            groups.append(AreaGroup(area))
        row = cells_of_task.get(task.id, {})
        cells = [CellView(task, c.hat, row.get(c.hat.id, frozenset()), c.editable) for c in columns]
        groups[-1].rows.append(Row(task, statuses[task.id], cells))

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
        people=[]
        if person_search
        else [p[:2] for p in people if p[0] in wearing or p[0] == filters.person],
        total_tasks=len(tasks),
        total_hats=len(all_hat_ids),
        matching_tasks=len(matching_tasks),
        matching_hats=len(matching),
        page=page,
        pages=pages,
        cpage=cpage,
        cpages=cpages,
        can_edit_any=any(editable.values()),
        status_totals=status_totals,
        person_search=person_search,
        who=who_text,
        who_matches=who_matches[:WHO_SHOWN] if len(who_matches) > 1 else [],
        who_count=0 if len(who_matches) == 1 else len(who_matches),
    )
