"""The RACI matrix page as one structure: areas → task rows × function
groups → hat columns, with each cell's letters, each row's status and each
column's counts. A fixed number of queries whatever the size of the
organisation; templates only walk the result."""

from dataclasses import dataclass, field

from .. import raci
from .filters import MAX_COLUMNS, PER_PAGE, Filters
from .queries import (
    A_NAMES_SEPARATOR,
    MatrixArea,
    MatrixFunction,
    MatrixHat,
    MatrixTask,
    read_cells,
    read_columns,
    read_rows,
)
from .who import chosen_person, find_who, person_options


@dataclass
class Column:
    hat: MatrixHat
    function: MatrixFunction
    wearers: list
    counts: dict
    editable: bool

    @property
    def vacant(self):
        return not self.wearers

    @property
    def count_items(self):
        return raci.count_items(self.counts)


@dataclass
class ColumnGroup:
    function: MatrixFunction
    depth: int
    columns: list = field(default_factory=list)


@dataclass
class Row:
    task: MatrixTask
    status: raci.TaskStatus
    letters: dict  # {hat id: letters} of the row's non-empty cells in visible columns
    a_holders: list = field(default_factory=list)  # hat titles, when it has two or more A's
    cells: str = ""  # the row's <td>s, once rendered (see matrix.cells.cell_renderer)


@dataclass
class AreaSection:
    area: MatrixArea | None
    rows: list = field(default_factory=list)


@dataclass
class Matrix:
    filters: Filters
    groups: list  # AreaSection on this page
    column_groups: list  # ColumnGroup of visible columns
    columns: list  # Column, visible, flat
    functions: list  # (MatrixFunction, depth) in tree order, for the filter
    areas: list  # MatrixArea in order
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
    for task_id, name, area_id, position, a_names, *status in shown:
        task = MatrixTask(task_id, name, area_id, position)
        area = area_by_id.get(area_id)
        if not groups or groups[-1].area is not area:
            groups.append(AreaSection(area))
        row = cells_of_task.get(task_id, no_cells)
        holders = sorted(a_names.split(A_NAMES_SEPARATOR)) if a_names else []
        groups[-1].rows.append(Row(task, raci.status_of(*status), row, holders))

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
