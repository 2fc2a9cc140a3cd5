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

from ..models import Area, Assignment, Responsibility, Task
from ..overview import function_tree, walk
from ..raci import CHOICES, STATUS_LABELS, format_cell, task_status

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NONE_MARK = "-"  # a task row without letters; a row of blanks would read as a section
NO_AREA = "none"  # the matrix page's value of ?area= for tasks without an area


def neutralise(text):
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(DANGEROUS) else text


@dataclass
class ExportRow:
    kind: str  # "area" or "task"
    name: str
    area: str = ""
    cells: list = field(default_factory=list)  # canonical text per hat
    status: object = None


@dataclass
class ExportMatrix:
    hats: list  # Hat objects in column order
    groups: list  # function name per hat
    rows: list


def parse_filters(org, params):
    """The matrix page's GET filters as ids (invalid values are ignored)."""

    def number(name):
        value = params.get(name, "")
        return int(value) if str(value).isdigit() else None

    return {
        "function": number("function"),
        "area": NO_AREA if params.get("area") == NO_AREA else number("area"),
        "person": number("person"),
        "problems": params.get("problems") in ("1", "true", "on"),
    }


def build(org, filters=None):
    """Rows and columns of the matrix, filtered like the matrix page."""
    filters = filters or {}
    nodes = walk(function_tree(org))
    if filters.get("function"):
        keep, inside = set(), None
        for node in nodes:
            if inside is not None and node.depth <= inside:
                inside = None
            if node.function.id == filters["function"]:
                inside = node.depth
            if inside is not None:
                keep.add(node.function.id)
        nodes = [n for n in nodes if n.function.id in keep]
    worn = None
    if filters.get("person"):
        worn = set(
            Assignment.objects.for_org(org)
            .filter(person_id=filters["person"], person__active=True, ended__isnull=True)
            .values_list("hat_id", flat=True)
        )
    hats, groups = [], []
    for node in nodes:
        for hat_node in sorted(node.hats, key=lambda h: (h.hat.position, h.hat.title, h.hat.id)):
            if worn is not None and hat_node.hat.id not in worn:
                continue
            hats.append(hat_node.hat)
            groups.append(node.function.name)

    letters = {}
    for task_id, hat_id, letter in Responsibility.objects.for_org(org).values_list(
        "task_id", "hat_id", "letter"
    ):
        letters.setdefault(task_id, {}).setdefault(hat_id, set()).add(letter)
    areas = list(Area.objects.for_org(org).order_by("position", "id"))
    if filters.get("area"):
        areas = [a for a in areas if a.id == filters["area"]]  # none for NO_AREA
    tasks = Task.objects.for_org(org).order_by("position", "id")
    by_area = {}
    for task in tasks:
        by_area.setdefault(task.area_id, []).append(task)

    rows = []

    def add_tasks(area_tasks, area_name):
        for task in area_tasks:
            cells = letters.get(task.id, {})
            status = task_status(cells.values())
            if filters.get("problems") and status.ok:
                continue
            if worn is not None and not any(h.id in cells for h in hats):
                continue
            texts = [format_cell(cells.get(h.id, ())) for h in hats]
            if hats and not any(texts):
                texts[0] = NONE_MARK
            rows.append(ExportRow("task", task.name, area_name, texts, status))

    # Tasks without an area come first: below a section row they would belong to it.
    if filters.get("area") in (None, NO_AREA):
        add_tasks(by_area.get(None, []), "")
    for area in areas:
        rows.append(ExportRow("area", area.name))
        add_tasks(by_area.get(area.id, []), area.name)
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
def to_csv(matrix):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    width = len(matrix.hats) + 2
    if any(matrix.groups):
        writer.writerow([neutralise(v) for v in group_row(matrix)] + [""])
    writer.writerow([neutralise(v) for v in header_row(matrix)])
    for row in matrix.rows:
        if row.kind == "area":
            writer.writerow([neutralise(row.name)] + [""] * (width - 1))
        else:
            writer.writerow([neutralise(row.name), *row.cells, status_text(row.status)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# XLSX -----------------------------------------------------------------------------------
def xlsx_text(value):
    """Neutralised text without the control characters a workbook cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value)))


def to_xlsx(matrix, problems=None):
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    sheet.title = _("Matrix")[:31]
    bold = Font(bold=True)
    section = PatternFill("solid", fgColor="DDE6F0")
    bad = PatternFill("solid", fgColor="F8D7DA")
    hat_count = len(matrix.hats)
    status_col = hat_count + 2

    def put(row, col, value, font=None, fill=None):
        cell = sheet.cell(row=row, column=col)
        cell.value = xlsx_text(value)
        cell.data_type = "s"
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        return cell

    # Row 1: functions over their hats, merged across each function's columns.
    runs = []  # [first column, last column, function name]
    for col, group in enumerate(matrix.groups, start=2):
        if runs and runs[-1][2] == group:
            runs[-1][1] = col
        else:
            runs.append([col, col, group])
    for first, last, group in runs:
        put(1, first, group, bold).alignment = Alignment(horizontal="center")
        if last > first:
            sheet.merge_cells(start_row=1, start_column=first, end_row=1, end_column=last)
    for index, title in enumerate(header_row(matrix), start=1):
        put(2, index, title, bold).alignment = Alignment(
            wrap_text=True, vertical="bottom", horizontal="left" if index == 1 else "center"
        )
    line = 3
    task_lines = []
    for row in matrix.rows:
        if row.kind == "area":
            put(line, 1, row.name, bold, section)
            for c in range(2, status_col + 1):
                sheet.cell(row=line, column=c).fill = section
        else:
            put(line, 1, row.name)
            for index, text in enumerate(row.cells, start=2):
                cell = sheet.cell(row=line, column=index)
                cell.value = text or None
                cell.alignment = Alignment(horizontal="center")
            put(line, status_col, status_text(row.status), fill=None if row.status.ok else bad)
            task_lines.append(line)
        line += 1
    sheet.freeze_panes = "B3"
    sheet.column_dimensions["A"].width = 45
    for c in range(2, status_col):
        sheet.column_dimensions[get_column_letter(c)].width = 14
    sheet.column_dimensions[get_column_letter(status_col)].width = 22
    if hat_count and task_lines:
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
        sheet.add_data_validation(validation)

    legend = book.create_sheet(_("Legend")[:31])
    for r, (letter, text) in enumerate(
        [
            (_("Letter"), _("Meaning")),
            ("R", _("Responsible: does the work.")),
            ("A", _("Accountable: owns the result; exactly one per task.")),
            ("A/R", _("Accountable and responsible.")),
            ("C", _("Consulted: asked before.")),
            ("I", _("Informed: told after.")),
            (NONE_MARK, _("No letters on this task.")),
        ],
        start=1,
    ):
        legend.cell(row=r, column=1, value=xlsx_text(letter)).data_type = "s"
        legend.cell(row=r, column=2, value=text)
    legend["A1"].font = legend["B1"].font = bold
    legend.column_dimensions["B"].width = 60

    report = book.create_sheet(_("Problems")[:31])
    report.append([_("Area"), _("Task"), _("Problem")])
    for c in report[1]:
        c.font = bold
    for row in matrix.rows if problems is None else []:
        if row.kind == "task" and not row.status.ok:
            labels = ", ".join(str(STATUS_LABELS[f]) for f in row.status.flags)
            report.append([xlsx_text(row.area), xlsx_text(row.name), labels])
    for row in problems or []:
        report.append([xlsx_text(v) for v in row])
    for r in report.iter_rows(min_row=2):
        for c in r:
            c.data_type = "s"
    report.column_dimensions["A"].width = report.column_dimensions["B"].width = 40
    report.column_dimensions["C"].width = 40

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
