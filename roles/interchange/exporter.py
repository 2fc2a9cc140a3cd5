"""The matrix as a spreadsheet (XLSX or CSV) that the importer reads back
unchanged: a row of function names above the hat names, areas as section rows,
a status column that the importer ignores.

Text that a spreadsheet would run as a formula (it begins with =, +, -, @, a tab
or a carriage return) is prefixed with an apostrophe; the reader removes that
prefix again, so names survive the round trip."""

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .. import tree
from ..matrix.filters import NO_AREA, Filters
from ..models import Area, Assignment, Function, Hat, Person, Responsibility, Task
from ..raci import CHOICES, STATUS_LABELS, format_cell, task_status

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NONE_MARK = "-"  # a task row without letters; a row of blanks would read as a section


def neutralise(text):
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(DANGEROUS) else text


@dataclass
class ExportRow:
    kind: str  # "area" or "task"
    name: str
    area: str = ""
    cells: dict = field(default_factory=dict)  # hat column index -> canonical text; blanks left out
    status: object = None

    def texts(self, width):
        """The row's cell texts, one per hat column, blanks included."""
        out = [""] * width
        for index, text in self.cells.items():
            out[index] = text
        return out


@dataclass
class ExportHat:
    id: int
    title: str


@dataclass
class ExportMatrix:
    hats: list  # ExportHat per column, in column order
    groups: list  # function name per hat
    rows: list


def parse_filters(org, params):
    """The matrix page's GET filters, read as the page reads them. `build` ignores
    ids that are not the organisation's, as the page does; they are compared in
    Python and never reach a query, so no value can overflow a database column."""
    filters = Filters.from_query(params)
    return {
        "function": filters.function,
        "area": filters.area,
        "person": filters.person,
        "problems": filters.problems,
    }


def function_order(org):
    """[(function id, name, depth)] depth first, as the map shows the tree."""
    rows = list(
        Function.objects.for_org(org)
        .order_by("position", "name", "id")
        .values_list("id", "parent_id", "name")
    )
    name_of = {fid: name for fid, _parent, name in rows}
    order = tree.depth_first((fid, parent) for fid, parent, _name in rows)
    return [(fid, name_of[fid], depth) for fid, depth in order]


def build(org, filters=None):
    """Rows and columns of the matrix, filtered like the matrix page: a function,
    area or person that is not the organisation's (or a person no longer active)
    is ignored. A fixed number of queries of plain values, whatever the size."""
    filters = dict(filters or {})
    nodes = function_order(org)
    if filters.get("function") not in {fid for fid, _n, _d in nodes}:
        filters["function"] = None
    if filters.get("person"):
        active = Person.objects.for_org(org).filter(active=True).values_list("id", flat=True)
        if filters["person"] not in set(active):
            filters["person"] = None
    if filters.get("function"):
        keep, inside = [], None
        for node in nodes:
            if inside is not None and node[2] <= inside:
                inside = None
            if node[0] == filters["function"]:
                inside = node[2]
            if inside is not None:
                keep.append(node)
        nodes = keep
    worn = None
    if filters.get("person"):
        worn = set(
            Assignment.objects.for_org(org)
            .filter(person_id=filters["person"], person__active=True, ended__isnull=True)
            .values_list("hat_id", flat=True)
        )
    by_function = {}
    for hid, fid, title, position in Hat.objects.for_org(org).values_list(
        "id", "function_id", "title", "position"
    ):
        by_function.setdefault(fid, []).append((position, title, hid))
    hats, groups = [], []
    for fid, name, _depth in nodes:
        for _position, title, hid in sorted(by_function.get(fid, [])):
            if worn is not None and hid not in worn:
                continue
            hats.append(ExportHat(hid, title))
            groups.append(name)
    column = {hat.id: index for index, hat in enumerate(hats)}

    letters = {}
    for task_id, hat_id, letter in Responsibility.objects.for_org(org).values_list(
        "task_id", "hat_id", "letter"
    ):
        letters.setdefault(task_id, {}).setdefault(hat_id, set()).add(letter)
    areas = list(Area.objects.for_org(org).order_by("position", "id").values_list("id", "name"))
    if isinstance(filters.get("area"), int) and filters["area"] not in {a for a, _n in areas}:
        filters["area"] = None
    if filters.get("area"):
        areas = [(a, n) for a, n in areas if a == filters["area"]]  # none for NO_AREA
    by_area = {}
    for task_id, area_id, name in (
        Task.objects.for_org(org).order_by("position", "id").values_list("id", "area_id", "name")
    ):
        by_area.setdefault(area_id, []).append((task_id, name))

    rows = []
    problems_only = filters.get("problems")
    texts = {}  # letter set -> canonical text, computed once per distinct set

    def text_of(cell):
        key = frozenset(cell)
        if key not in texts:
            texts[key] = format_cell(key)
        return texts[key]

    def add_tasks(area_tasks, area_name):
        for task_id, name in area_tasks:
            cells = letters.get(task_id, {})
            status = task_status(cells.values())
            if problems_only and status.ok:
                continue
            shown = {column[h]: text_of(cell) for h, cell in cells.items() if h in column}
            if worn is not None and not shown:
                continue
            if hats and not shown:
                shown = {0: NONE_MARK}
            rows.append(ExportRow("task", name, area_name, shown, status))

    # Tasks without an area come first: below a section row they would belong to it.
    if filters.get("area") in (None, NO_AREA):
        add_tasks(by_area.get(None, []), "")
    for area_id, area_name in areas:
        rows.append(ExportRow("area", area_name))
        add_tasks(by_area.get(area_id, []), area_name)
    return ExportMatrix(hats, groups, rows)


def group_row(matrix):
    """Function names above the first hat of each function."""
    row, last = [""], None
    for group in matrix.groups:
        row.append(group if group != last else "")
        last = group
    return row


def header_row(matrix):
    return [_("Task"), *[h.title for h in matrix.hats], _("Status")]


def status_text(status):
    return str(STATUS_LABELS[status.key]) if status else ""


# CSV ------------------------------------------------------------------------------------
def to_csv(matrix, delimiter=","):
    """The matrix as CSV. Excel set to Swedish (or another language with a
    decimal comma) splits a row on semicolons, so `delimiter` may be ";"; the
    reader recognises either."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    width = len(matrix.hats) + 2
    if any(matrix.groups):
        writer.writerow([neutralise(v) for v in group_row(matrix)] + [""])
    writer.writerow([neutralise(v) for v in header_row(matrix)])
    for row in matrix.rows:
        if row.kind == "area":
            writer.writerow([neutralise(row.name)] + [""] * (width - 1))
        else:
            writer.writerow([neutralise(row.name), *row.texts(width - 2), status_text(row.status)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# XLSX -----------------------------------------------------------------------------------
def xlsx_text(value):
    """Neutralised text without the control characters a workbook cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value)))


def to_xlsx(matrix, problems=None):
    """The workbook, written row by row (openpyxl's write-only mode): blank cells
    are not written at all, and styles are shared objects, so the cost follows
    the letters in the matrix rather than its width × height."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.worksheet.cell_range import CellRange  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Matrix")[:31])
    bold = Font(bold=True)
    section = PatternFill("solid", fgColor="DDE6F0")
    bad = PatternFill("solid", fgColor="F8D7DA")
    center = Alignment(horizontal="center")
    hat_count = len(matrix.hats)
    status_col = hat_count + 2

    def styled(value, font=None, fill=None, alignment=None):
        cell = WriteOnlyCell(sheet, value=value)
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if alignment:
            cell.alignment = alignment
        return cell

    # Column widths, panes and merges must be set before the first row is written.
    sheet.freeze_panes = "B3"
    sheet.column_dimensions["A"].width = 45
    for c in range(2, status_col):
        sheet.column_dimensions[get_column_letter(c)].width = 14
    sheet.column_dimensions[get_column_letter(status_col)].width = 22

    # Row 1: functions over their hats, merged across each function's columns.
    runs = []  # [first column, last column, function name]
    for col, group in enumerate(matrix.groups, start=2):
        if runs and runs[-1][2] == group:
            runs[-1][1] = col
        else:
            runs.append([col, col, group])
    group_line = [None] * (status_col if runs else 0)
    for first, last, group in runs:
        group_line[first - 1] = styled(xlsx_text(group), bold, alignment=center)
        if last > first:
            sheet.merged_cells.add(CellRange(min_col=first, min_row=1, max_col=last, max_row=1))
    sheet.append(group_line)

    first_title = Alignment(wrap_text=True, vertical="bottom", horizontal="left")
    hat_title = Alignment(wrap_text=True, vertical="bottom", horizontal="center")
    header = [
        styled(xlsx_text(title), bold, alignment=first_title if index == 0 else hat_title)
        for index, title in enumerate(header_row(matrix))
    ]
    sheet.append(header)

    line = 3
    blank = [None] * status_col
    # One styled cell per distinct letter text, appended wherever that text
    # stands: write-only rows are written out as they are appended, and styling
    # each of 60,000 cells anew took a third of the export's time at XL.
    letter_cells, status_cells = {}, {}
    for row in matrix.rows:
        if row.kind == "area":
            # The row's own style colours the whole section row, blank cells included.
            sheet.row_dimensions[line].fill = section
            values = blank.copy()
            values[0] = styled(xlsx_text(row.name), bold, section)
        else:
            values = blank.copy()
            values[0] = xlsx_text(row.name)
            for index, text in row.cells.items():
                if text not in letter_cells:
                    letter_cells[text] = styled(text, alignment=center)
                values[index + 1] = letter_cells[text]
            # The status column names problems only: a complete task's cell stays
            # blank (and 15,000 fewer cells are written at XL).
            if not row.status.ok:
                if row.status.key not in status_cells:
                    status_cells[row.status.key] = styled(status_text(row.status), fill=bad)
                values[-1] = status_cells[row.status.key]
        sheet.append(values)
        line += 1

    if hat_count and line > 3:
        choices = ",".join(c for c in CHOICES if c)
        validation = DataValidation(
            type="list",
            formula1=f'"{choices},{NONE_MARK}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("RACI"),
            error=_("Choose R, A, A/R, C or I."),
        )
        validation.add(f"B3:{get_column_letter(hat_count + 1)}{line - 1}")
        sheet.data_validations.append(validation)

    legend = book.create_sheet(_("Legend")[:31])
    legend.column_dimensions["B"].width = 60
    legend.append([styled(_("Letter"), bold), styled(_("Meaning"), bold)])
    for letter_text, meaning in [
        ("R", _("Responsible: does the work.")),
        ("A", _("Accountable: owns the result; exactly one per task.")),
        ("A/R", _("Accountable and responsible.")),
        ("C", _("Consulted: asked before.")),
        ("I", _("Informed: told after.")),
        (NONE_MARK, _("No letters on this task.")),
    ]:
        # Our own constants, not user text: "-" needs no neutralising quote.
        legend.append([letter_text, str(meaning)])

    report = book.create_sheet(_("Problems")[:31])
    report.column_dimensions["A"].width = report.column_dimensions["B"].width = 40
    report.column_dimensions["C"].width = 40
    report.append([styled(_("Area"), bold), styled(_("Task"), bold), styled(_("Problem"), bold)])
    for row in matrix.rows if problems is None else []:
        if row.kind == "task" and not row.status.ok:
            labels = ", ".join(str(STATUS_LABELS[f]) for f in row.status.flags)
            report.append([xlsx_text(row.area), xlsx_text(row.name), xlsx_text(labels)])
    for row in problems or []:
        report.append([xlsx_text(v) for v in row])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
