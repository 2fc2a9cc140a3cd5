"""The scorecard as a workbook: a sheet per frequency, a KPI per row, its
figure per period with the cell coloured by status, and the trend."""

import io

from django.utils.translation import gettext as _

from ..services.numbers import goal as goal_of
from .exporter import xlsx_text

FILLS = {"on": "D1E7DD", "off": "F8D7DA", "missing": "FFF3CD"}


def scorecard_xlsx(tables):
    """Bytes of a workbook of `tables` ([(title, period labels, ScoreRows)])."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fills = {k: PatternFill("solid", fgColor=v) for k, v in FILLS.items()}
    trends = {"up": _("rising"), "down": _("falling"), "flat": _("flat"), None: ""}
    if not tables:
        book.create_sheet(xlsx_text(_("Scorecard"))[:31])
    for title, labels, rows in tables:
        sheet = book.create_sheet(xlsx_text(title)[:31])
        head = [_("KPI"), _("Hat"), _("Function"), _("Target"), *labels, _("Trend")]
        sheet.append([_cell(sheet, WriteOnlyCell, xlsx_text(h), font=bold) for h in head])
        for row in rows:
            kpi = row.kpi
            goal = goal_of(kpi)
            cells = [
                xlsx_text(kpi.name),
                xlsx_text(kpi.hat.title),
                xlsx_text(kpi.hat.function.name),
                goal if goal is None else float(goal),
            ]
            for c in row.cells:
                value = None if c.figure is None else float(c.figure)
                cells.append(_cell(sheet, WriteOnlyCell, value, fill=fills.get(c.status)))
            cells.append(trends.get(row.trend, ""))
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, cell_type, value, font=None, fill=None):
    cell = cell_type(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell
