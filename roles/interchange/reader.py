"""Read a RACI sheet (CSV or XLSX) as people actually write them into a neutral
structure: hats (column names), areas, tasks and cells of letters, plus the
problems found on the way. Pure: no Django models, no database.

Every way a file can be unreadable raises `SheetError` with a translatable
message; nothing else escapes `read_sheet`.

Decisions worth knowing:
- Task numbering ("1.", "2)", "1.2", "3-") and bullets ("–", "•") are stripped:
  the number is the sheet's ordering, not part of the task's name, and tasks are
  kept in sheet order.
- A row with a name and no letters at all (blank cells) is a section header and
  becomes an area; a row whose cells say "N", "-" or "x" is a task with no letters.
- A row of function names directly above the hat names (our export writes one)
  makes a column a (function, hat) pair, so the same title under two functions
  is two hats. A duplicate column (the same pair, or without that row the same
  name) keeps the first column; the later one is skipped and reported. A
  duplicate task name in one area keeps the first row likewise.
"""

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.translation import gettext as _

from ..raci import parse_cell, task_status

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # rows of tasks; title, header and area rows do not count
# Rows of any kind read from one sheet before it is refused outright: room for
# titles, a header and area rows around MAX_ROWS tasks, and a bound on memory.
MAX_SHEET_ROWS = 2 * MAX_ROWS
MAX_COLUMNS = 300
# Zip bomb guards, checked on the zip directory before openpyxl opens anything.
MAX_UNZIPPED = 50 * 1024 * 1024
MAX_RATIO = 200
MAX_ZIP_MEMBERS = 2000
# Per part: no single member may unpack to more than this, and the shared-strings
# table may hold at most this many entries (counted on the raw XML, in chunks).
MAX_MEMBER_UNZIPPED = 30 * 1024 * 1024
MAX_SHARED_STRINGS_UNZIPPED = 16 * 1024 * 1024
MAX_SHARED_STRINGS = 200_000
HEADER_SEARCH_ROWS = 30
MAX_NAME = {"hat": 200, "area": 200, "task": 300}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")

# "1.", "2)", "1.2", "3-" (at most three digits: "2026 - budget" keeps its year),
# and bullets ("–", "-", "•").
_NUMBERING = re.compile(r"^\s*(?:\d+(?:[.)]|(?:\.\d+)+[.)]?)|\d{1,3}\s*[-–—]|[-–—•·*▪])\s+")
_LEGEND = re.compile(
    r"^\s*(?:\(?[RACI]\)?\s*[:=–—-]\s*\S"
    r"|(?:responsible|accountable|consulted|informed|utförare|ansvarig|konsulterad|informerad)"
    r"\s*(?:\([RACI]\))?\s*[:=–—-]"
    r"|(?:legend|key|förklaring|teckenförklaring)\s*:?\s*$)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"^(?:[.…_\-–—*#?]+|tbd|tba|todo|<[^>]*>|\[[^\]]*\]|\{[^}]*\}"
    r"|(?:add|lägg till)\s+(?:a\s+|en\s+)?(?:new\s+|ny\s+)?"
    r"(?:task|activity|row|uppgift|aktivitet|rad)\b.*)$",
    re.IGNORECASE,
)
# Column headers that are never hats (notes beside the matrix, our own status column).
NOT_HATS = frozenset(
    {
        "#",
        "no",
        "no.",
        "nr",
        "nr.",
        "id",
        "status",
        "legend",
        "key",
        "notes",
        "note",
        "comment",
        "comments",
        "description",
        "förklaring",
        "kommentar",
        "kommentarer",
        "anteckningar",
        "beskrivning",
    }
)
LIST_TASK = ("task", "activity", "deliverable", "uppgift", "aktivitet", "leverans")
LIST_AREA = ("area", "section", "phase", "stage", "område", "avsnitt", "fas")
LIST_LETTERS = {
    "R": ("responsible", "utförare", "utför"),
    "A": ("accountable", "ansvarig", "beslutsfattare"),
    "C": ("consulted", "konsulterad", "konsulteras", "rådfrågad", "rådfrågas"),
    "I": ("informed", "informerad", "informeras"),
}


class SheetError(ValueError):
    """The file cannot be read as a RACI sheet. `str(error)` is for the user."""


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self):
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True)
class ReadTask:
    area: str | None
    name: str
    row: int


@dataclass
class Sheet:
    """One sheet read: hats in column order, areas and tasks in row order, and
    cells {(task index, hat index): frozenset of letters}."""

    name: str
    layout: str = "matrix"  # or "list"
    hats: list = field(default_factory=list)
    hat_groups: list = field(default_factory=list)  # a function name above each hat, or None
    hat_columns: list = field(default_factory=list)  # column letters, for reports
    areas: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    cells: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    sheet_names: list = field(default_factory=list)

    def problem(self, row, column, message):
        self.problems.append(Problem(self.name, row, column, message))

    @property
    def filled(self):
        return sum(1 for letters in self.cells.values() if letters)

    def to_data(self):
        """The sheet as plain JSON-able data, for `from_data` to rebuild exactly."""
        return {
            "name": self.name,
            "layout": self.layout,
            "hats": self.hats,
            "hat_groups": self.hat_groups,
            "hat_columns": self.hat_columns,
            "areas": self.areas,
            "tasks": [[t.area, t.name, t.row] for t in self.tasks],
            "cells": [[t, h, "".join(sorted(v))] for (t, h), v in self.cells.items()],
            "problems": [[p.row, p.column, p.message] for p in self.problems],
            "sheet_names": self.sheet_names,
        }

    @classmethod
    def from_data(cls, data):
        name = data["name"]
        return cls(
            name=name,
            layout=data["layout"],
            hats=list(data["hats"]),
            hat_groups=list(data["hat_groups"]),
            hat_columns=list(data["hat_columns"]),
            areas=list(data["areas"]),
            tasks=[ReadTask(area, task, row) for area, task, row in data["tasks"]],
            cells={(t, h): frozenset(v) for t, h, v in data["cells"]},
            problems=[Problem(name, row, col, message) for row, col, message in data["problems"]],
            sheet_names=list(data["sheet_names"]),
        )


def norm(text):
    """Matching key of a name: case-, accent-form- and space-insensitive."""
    return " ".join(unicodedata.normalize("NFC", str(text)).split()).casefold()


def column_letter(index):
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value).replace("\x00", "")
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        text = text[1:]  # our export's guard against formula injection
    return " ".join(text.split()) if "\n" in text or "\r" in text else text.strip()


# Entry point --------------------------------------------------------------------------
def read_sheet(data, filename, sheet_name=None):
    """Read `data` (bytes) named `filename`; return a Sheet or raise SheetError."""
    try:
        grids, kind = load_grids(data, filename or "")
        return pick_sheet(grids, sheet_name)
    except SheetError:
        raise
    except Exception as exc:  # a file must never crash the caller
        raise SheetError(
            _("The file could not be read (%(error)s).") % {"error": type(exc).__name__}
        ) from exc


def load_grids(data, filename):
    """[(sheet name, rows of text)] of a file, and its kind ("csv" or "xlsx")."""
    if not data:
        raise SheetError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise SheetError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(len(data) / 1024 / 1024, 1), "limit": MAX_BYTES // 1024 // 1024}
        )
    lower = filename.lower()
    if data.startswith(OLE_MAGIC):
        raise SheetError(
            _(
                "The file is password-protected or in the old Excel format (.xls). "
                "Remove the password, or save it as .xlsx or .csv, and try again."
            )
        )
    if lower.endswith(EXCEL_SUFFIXES):
        if not data.startswith(ZIP_MAGIC):
            if looks_like_text(data):
                raise SheetError(
                    _(
                        "The file is named .xlsx but is a text (CSV) file. "
                        "Rename it to .csv and try again."
                    )
                )
            raise SheetError(_("The file is named .xlsx but is not an Excel workbook."))
        return read_xlsx(data), "xlsx"
    if lower.endswith(".xls"):
        raise SheetError(_("Old Excel files (.xls) are not supported; save it as .xlsx or .csv."))
    if lower.endswith(TEXT_SUFFIXES):
        if data.startswith(ZIP_MAGIC):
            raise SheetError(
                _("The file is named .csv but is an Excel workbook. Rename it to .xlsx.")
            )
        return [(filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV", read_csv(data))], "csv"
    raise SheetError(_("Upload a .csv or .xlsx file."))


# CSV ----------------------------------------------------------------------------------
def looks_like_text(data):
    try:
        decode_text(data[:4096], sample=True)
    except SheetError:
        return False
    return True


def decode_text(data, sample=False):
    """Text of a CSV file: UTF-8 (with or without BOM), UTF-16, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace" if sample else "strict")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif len(data) >= 4 and data[1:20:2].count(0) >= 4 and data[0:20:2].count(0) == 0:
        text = data.decode("utf-16-le", errors="replace")
    elif len(data) >= 4 and data[0:20:2].count(0) >= 4 and data[1:20:2].count(0) == 0:
        text = data.decode("utf-16-be", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if sample and exc.start > len(data) - 4:
                text = data[: exc.start].decode("utf-8")
            else:
                text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    replaced = text.count("\ufffd")
    if controls + replaced > max(2, len(text) // 100):
        raise SheetError(_("The file is not a spreadsheet: it contains binary data."))
    return text


def sniff_delimiter(lines):
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        widths = [
            len(row)
            for row in csv.reader(lines, delimiter=delimiter)
            if any(cell.strip() for cell in row)
        ]
        if not widths:
            continue
        common = max(set(widths), key=lambda w: (widths.count(w), w))
        score = (widths.count(common) if common > 1 else 0, common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(data):
    text = decode_text(data)
    lines = text.splitlines()
    delimiter = sniff_delimiter(lines[:60])
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append([cell_text(v) for v in row])
            check_size(rows)
    except csv.Error as exc:
        raise SheetError(_("The CSV file is malformed (%(error)s).") % {"error": exc}) from exc
    return trim(rows)


def too_many_rows():
    return SheetError(
        _("The sheet has more than %(limit)s rows of tasks; split it into smaller files.")
        % {"limit": MAX_ROWS}
    )


def check_size(rows):
    row = rows[-1]
    if len(rows) > MAX_SHEET_ROWS and any(row):
        raise too_many_rows()
    if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
        raise SheetError(_("The sheet has more than %(limit)s columns.") % {"limit": MAX_COLUMNS})


def trim(rows):
    """Drop trailing empty rows and columns."""
    while rows and not any(rows[-1]):
        rows.pop()
    width = 0
    for row in rows:
        for i in range(len(row) - 1, -1, -1):
            if row[i]:
                width = max(width, i + 1)
                break
    return [row[:width] + [""] * (width - len(row)) for row in rows]


# XLSX ---------------------------------------------------------------------------------
def check_zip(data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise SheetError(_("The Excel file is damaged and cannot be opened.")) from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise SheetError(_("The Excel file has too many parts to be a spreadsheet."))
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    too_dense = any(
        info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        for info in infos
    )
    if total > MAX_UNZIPPED or too_dense or total > MAX_RATIO * max(packed, 1) > MAX_UNZIPPED // 5:
        raise SheetError(
            _("The Excel file unpacks to far more data than a spreadsheet holds; it was refused.")
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise SheetError(_("The Excel file is encrypted. Remove the password and try again."))
    for info in infos:
        shared = info.filename.lower().endswith("sharedstrings.xml")
        cap = MAX_SHARED_STRINGS_UNZIPPED if shared else MAX_MEMBER_UNZIPPED
        if info.file_size > cap:
            raise SheetError(
                _("A part of the Excel file (%(part)s) unpacks to more than %(limit)s MB.")
                % {"part": info.filename[:80], "limit": cap // 1024 // 1024}
            )
        if shared and count_shared_strings(archive, info) > MAX_SHARED_STRINGS:
            raise SheetError(
                _("The Excel file holds more than %(limit)s different texts; it was refused.")
                % {"limit": f"{MAX_SHARED_STRINGS:,}"}
            )
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise SheetError(_("The file is a zip archive but not an Excel workbook."))
    if "xl/workbook.bin" in names:
        raise SheetError(_("Binary Excel workbooks (.xlsb) are not supported; save as .xlsx."))


def count_shared_strings(archive, info, chunk=1024 * 1024):
    """Entries (<si> elements) of the shared-strings part, counted on the raw
    bytes without an XML parser, and never reading more than the part's size cap."""
    count, tail, read = 0, b"", 0
    with archive.open(info) as part:
        while block := part.read(chunk):
            read += len(block)
            if read > MAX_SHARED_STRINGS_UNZIPPED:
                break
            text = tail + block
            count += text.count(b"<si>") + text.count(b"<si ")
            tail = text[-3:]  # a tag cut by the block boundary is whole next time
            if count > MAX_SHARED_STRINGS:
                break
    return count


def read_xlsx(data):
    check_zip(data)
    import openpyxl  # noqa: PLC0415 - only when a workbook is read

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on bad files
        raise SheetError(
            _("The Excel file could not be read (%(error)s). Save it again as .xlsx or .csv.")
            % {"error": type(exc).__name__}
        ) from exc
    grids = []
    try:
        for sheet in book.worksheets:
            rows = []
            # Columns past the limit are not materialised: a sheet whose dimension
            # claims 16,384 columns costs no more than one with 301.
            # The blank cells that pad each row to that width are dropped unread.
            for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
                end = len(values)
                while end and values[end - 1] is None:
                    end -= 1
                row = [cell_text(v) for v in values[:end]]
                if len(rows) >= MAX_SHEET_ROWS and not any(row):
                    continue  # formatted but empty rows below the data
                rows.append(row)
                check_size(rows)
            grids.append((sheet.title, trim(rows)))
    except SheetError:
        raise
    except Exception as exc:
        raise SheetError(
            _("The Excel file could not be read (%(error)s). Save it again as .xlsx or .csv.")
            % {"error": type(exc).__name__}
        ) from exc
    finally:
        book.close()
    if not grids:
        raise SheetError(_("The workbook has no sheets."))
    return grids


# Sheet analysis -----------------------------------------------------------------------
def pick_sheet(grids, wanted=None):
    names = [name for name, _rows in grids]
    if wanted:
        for name, rows in grids:
            if norm(name) == norm(wanted):
                sheet = analyse(name, rows)
                if sheet is None:
                    raise SheetError(
                        _("The sheet “%(name)s” does not look like a RACI matrix.") % {"name": name}
                    )
                sheet.sheet_names = names
                return sheet
        raise SheetError(
            _("There is no sheet named “%(name)s”. The workbook has: %(names)s.")
            % {"name": wanted, "names": ", ".join(names)}
        )
    if all(not rows for _name, rows in grids):
        raise SheetError(_("The file has no data."))
    for name, rows in grids:
        sheet = analyse(name, rows)
        if sheet is not None:
            sheet.sheet_names = names
            return sheet
    raise SheetError(
        _(
            "No sheet looks like a RACI matrix: expected a header row of hat names above "
            "rows of tasks with R, A, C and I, or the columns Task, Responsible, "
            "Accountable, Consulted, Informed."
        )
    )


def analyse(name, rows):
    if not rows:
        return None
    start = first_used_column(rows)
    return read_list(name, rows, start) or read_matrix(name, rows, start)


def first_used_column(rows):
    width = max(len(r) for r in rows)
    for col in range(width):
        if any(col < len(r) and r[col] for r in rows):
            return col
    return 0


def is_letters(text):
    if not text:
        return False
    cell = parse_cell(text)
    return bool(cell.letters) and not cell.unknown


def is_empty_mark(text):
    cell = parse_cell(text)
    return not cell.letters and not cell.unknown


def clean_name(text, kind):
    return _NUMBERING.sub("", text).strip()[: MAX_NAME[kind]]


def find_header(rows, start):
    """(header row index, task column) of a matrix, or None."""
    best, best_score = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        heads = [c for c in range(start + 1, len(row)) if row[c]]
        if not heads or any(is_letters(row[c]) for c in heads):
            continue
        below = rows[index + 1 : index + 201]
        score = sum(1 for r in below for c in heads if c < len(r) and is_letters(r[c]))
        if score >= best_score and score > 0:
            best, best_score = index, score
    if best is None:
        return None
    task_col = start
    values = [r[start] for r in rows[best + 1 :] if start < len(r) and r[start]]
    if values and all(re.fullmatch(r"\d+(?:[.)]|(?:\.\d+)+[.)]?)?", v) for v in values):
        task_col = start + 1  # a column of row numbers before the task names
    return best, task_col


def read_matrix(name, rows, start):
    found = find_header(rows, start)
    if found is None:
        return None
    header_index, task_col = found
    header = rows[header_index]
    sheet = Sheet(name=name, layout="matrix")
    body = rows[header_index + 1 :]

    # Columns: a header, not a note column, and mostly letters below.
    candidates = []
    for col in range(task_col + 1, len(header)):
        title = header[col][: MAX_NAME["hat"]]
        if not title or norm(title) in NOT_HATS or _LEGEND.match(title):
            continue
        values = [r[col] for r in body if col < len(r) and r[col]]
        if not values and _PLACEHOLDER.match(title):
            continue  # an unfilled template's "[Role]" column
        letters = sum(1 for v in values if is_letters(v) or is_empty_mark(v))
        if values and letters * 2 < len(values):
            continue  # notes or a legend beside the matrix
        candidates.append(col)

    # A row of function names directly above the header groups the hats (our
    # export writes one). With it, a column is a (function, hat) pair: the same
    # title under two functions is two hats.
    group_of = function_row(rows, header_index, task_col, len(header))

    columns, seen, skipped = [], {}, []
    for col in candidates:
        title = header[col][: MAX_NAME["hat"]]
        group = group_of.get(col) if group_of is not None else None
        key = (norm(group or ""), norm(title)) if group_of is not None else norm(title)
        if key in seen:
            if group:
                message = _(
                    "The column “%(name)s” appears twice under “%(function)s”; "
                    "only the first (column %(first)s) is read."
                ) % {"name": title, "function": group, "first": column_letter(seen[key])}
            else:
                message = _(
                    "The column “%(name)s” appears twice; "
                    "only the first (column %(first)s) is read."
                ) % {"name": title, "first": column_letter(seen[key])}
            sheet.problem(header_index + 1, column_letter(col), message)
            skipped.append(col)
            continue
        seen[key] = col
        columns.append(col)
        sheet.hats.append(title)
        sheet.hat_columns.append(column_letter(col))
    sheet.hat_groups = [group_of.get(col) if group_of is not None else None for col in columns]

    area, seen_tasks, seen_areas = None, {}, set()
    for offset, row in enumerate(body):
        number = header_index + 2 + offset
        raw_name = row[task_col] if task_col < len(row) else ""
        values = [row[c] if c < len(row) else "" for c in columns]
        if not raw_name and not any(values):
            continue
        if raw_name and _LEGEND.match(raw_name):
            continue
        task_name = clean_name(raw_name, "task")
        if not task_name or _PLACEHOLDER.match(task_name):
            if any(is_letters(v) for v in values):
                sheet.problem(
                    number,
                    column_letter(task_col),
                    _("Letters without a task name; the row was skipped."),
                )
            continue
        if not any(values) and not any(c < len(row) and row[c] for c in skipped):
            area = clean_name(raw_name, "area")
            if norm(area) not in seen_areas:
                seen_areas.add(norm(area))
                sheet.areas.append(area)
            else:
                area = next(a for a in sheet.areas if norm(a) == norm(area))
            continue
        key = (norm(area) if area else None, norm(task_name))
        if key in seen_tasks:
            duplicate_task(sheet, number, column_letter(task_col), task_name, seen_tasks[key])
            continue
        seen_tasks[key] = number
        index = add_task(sheet, ReadTask(area, task_name, number))
        cells = {}
        for hat_index, (col, value) in enumerate(zip(columns, values, strict=True)):
            if not value:
                continue
            cell = parse_cell(value)
            if cell.unknown:
                sheet.problem(
                    number,
                    column_letter(col),
                    _("Unknown text “%(text)s” in the cell was ignored.") % {"text": cell.unknown},
                )
            if cell.letters:
                sheet.cells[(index, hat_index)] = cells[hat_index] = cell.letters
        check_task(sheet, cells, number)
    return sheet


def function_row(rows, header_index, task_col, width):
    """{column: function name} from the row directly above the header, when it is a
    row of function names over the hat columns (a name covers the columns up to
    the next one, as a merged cell does); None when there is no such row."""
    if header_index == 0:
        return None
    above = rows[header_index - 1]
    used = [c for c in range(len(above)) if above[c]]
    # A function may be called "CI", but a row of nothing but letters is no names.
    if not used or any(c <= task_col for c in used) or all(is_letters(above[c]) for c in used):
        return None
    groups, current = {}, None
    for col in range(task_col + 1, width):
        if col < len(above) and above[col]:
            current = above[col][: MAX_NAME["hat"]]
        groups[col] = current
    return groups


def duplicate_task(sheet, number, column, name, first_row):
    sheet.problem(
        number,
        column,
        _("The task “%(name)s” appears twice in one area (first on row %(row)s); skipped.")
        % {"name": name, "row": first_row},
    )


def add_task(sheet, task):
    """Append `task`; its index. Refuses the task past MAX_ROWS."""
    if len(sheet.tasks) >= MAX_ROWS:
        raise too_many_rows()
    sheet.tasks.append(task)
    return len(sheet.tasks) - 1


def check_task(sheet, cells, number):
    """Report a task whose `cells` ({hat index: letters}) lack or double the A."""
    status = task_status(cells.values())
    if status.a_count > 1:
        owners = [sheet.hats[h] for h in sorted(cells) if "A" in cells[h]]
        sheet.problem(
            number,
            None,
            _("%(count)s A's (%(hats)s): a task should have exactly one.")
            % {"count": status.a_count, "hats": ", ".join(owners)},
        )
    elif status.a_count == 0:
        sheet.problem(number, None, _("No A: nobody is accountable for this task."))


# List layout: Task | Responsible | Accountable | Consulted | Informed ---------------
def list_columns(row):
    """{"task": col, "area": col, "R": col, ...} if `row` is a list layout header:
    a task column and at least two of the letters' columns, named in words."""
    found = {}
    for col, text in enumerate(row):
        words = re.sub(r"[^\w\s]", " ", text.casefold()).split()
        if not words:
            continue
        if "task" not in found and words[0] in LIST_TASK:
            found["task"] = col
            continue
        if "area" not in found and words[0] in LIST_AREA:
            found["area"] = col
            continue
        for letter, names in LIST_LETTERS.items():
            # The column's name ("Responsible", "R – Responsible"), never the bare
            # letter: a task row "Task 0 | R | A" near the top of a matrix is no header.
            named = words[0] in names or (
                len(words) > 1 and words[0] == letter.casefold() and words[1] in names
            )
            if letter not in found and named:
                found[letter] = col
                break
    if "task" in found and sum(1 for letter in "RACI" if letter in found) >= 2:
        return found
    return None


def read_list(name, rows, start):
    header_index, found = next(
        (
            (i, cols)
            for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])
            if (cols := list_columns(row))
        ),
        (None, None),
    )
    if found is None:
        return None
    sheet = Sheet(name=name, layout="list")
    hat_index, area, seen_tasks, seen_areas = {}, None, {}, set()
    letter_cols = [(letter, found[letter]) for letter in "RACI" if letter in found]
    for offset, row in enumerate(rows[header_index + 1 :]):
        number = header_index + 2 + offset

        def at(col, row=row):
            return row[col] if col is not None and col < len(row) else ""

        raw_name = at(found["task"])
        names = {letter: at(col) for letter, col in letter_cols}
        if raw_name and _LEGEND.match(raw_name):
            continue
        task_name = clean_name(raw_name, "task")
        if "area" in found and at(found["area"]):
            area = clean_name(at(found["area"]), "area")
            if norm(area) not in seen_areas:
                seen_areas.add(norm(area))
                sheet.areas.append(area)
        if not task_name or _PLACEHOLDER.match(task_name):
            continue
        if not any(names.values()):
            if "area" not in found:
                area = clean_name(raw_name, "area")
                if norm(area) not in seen_areas:
                    seen_areas.add(norm(area))
                    sheet.areas.append(area)
            continue
        key = (norm(area) if area else None, norm(task_name))
        if key in seen_tasks:
            duplicate_task(sheet, number, column_letter(found["task"]), task_name, seen_tasks[key])
            continue
        seen_tasks[key] = number
        index = add_task(sheet, ReadTask(area, task_name, number))
        cells = {}
        for letter, _col in letter_cols:
            for written in re.split(r"[,;\n]+", names[letter]):
                hat = written.strip()[: MAX_NAME["hat"]]
                if not hat or is_empty_mark(hat):
                    continue
                key = norm(hat)
                if key not in hat_index:
                    hat_index[key] = len(sheet.hats)
                    sheet.hats.append(hat)
                    sheet.hat_columns.append(None)
                h = hat_index[key]
                cells[h] = sheet.cells[(index, h)] = cells.get(h, frozenset()) | {letter}
        check_task(sheet, cells, number)
    sheet.hat_groups = [None] * len(sheet.hats)
    return sheet
