"""Read a RACI sheet (CSV, XLSX, ODS or XLS) as people actually write them into a neutral
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
import contextlib
import csv
import functools
import hashlib
import html
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..raci import parse_cell, task_status

# A sheet repeats a handful of cell texts ("R", "A/R", "") thousands of times, and
# each is looked at several times; Cell is immutable, so one reading serves all.
read_cell = functools.lru_cache(maxsize=4096)(parse_cell)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # rows of tasks; title, header and area rows do not count
# Rows of any kind read from one sheet before it is refused outright: room for
# titles, a header and area rows around MAX_ROWS tasks, and a bound on memory.
MAX_SHEET_ROWS = 2 * MAX_ROWS
MAX_COLUMNS = 300
# Filled cells of one sheet: ten times a full matrix of 5,000 tasks with ~4 letters
# each beside its names and notes. Past it, reading and writing would take longer
# and more memory than the import allows, so the sheet is refused before analysis.
MAX_FILLED = 200_000
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
# The sheet as read, kept with the preview: this many rows, columns and characters.
PREVIEW_ROWS, PREVIEW_COLUMNS, PREVIEW_TEXT = 60, 30, 40
MAX_NAME = {"hat": 200, "area": 200, "task": 300}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")

# "1.", "2)", "1.2", "3-" (at most three digits: "2026 - budget" keeps its year),
# and bullets ("–", "-", "•").
_NUMBERING = re.compile(r"^\s*(?:\d+(?:[.)]|(?:\.\d+)+[.)]?)|\d{1,3}\s*[-–—]|[-–—•·*▪])\s+")
_LEGEND = re.compile(
    r"^\s*(?:\(?[RACI]\)?\s*[:=–—-]\s*\S"
    r"|(?:responsible|accountable|consulted|informed|utförare|ansvarig|konsulterad|informerad)"
    r"\s*(?:\([RACI]\))?\s*[:=–—-]"
    r"|(?:legend|key|förklaring|teckenförklaring)\s*(?::.*)?$)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"^(?:[.…_\-–—*#?]+|tbd|tba|todo|<[^>]*>|\[[^\]]*\]|\{[^}]*\}"
    r"|(?:add|lägg till)\s+(?:a\s+|en\s+)?(?:new\s+|ny\s+)?"
    r"(?:task|activity|row|uppgift|aktivitet|rad)\b.*)$",
    re.IGNORECASE,
)
# Column headers that are never hats (notes beside the matrix, our own status column).
# Columns beside the matrix that describe each task: kept as its description.
DESCRIPTION_HEADS = frozenset(
    {
        "notes",
        "note",
        "comment",
        "comments",
        "description",
        "deliverable",
        "deliverables",
        "output",
        "beskrivning",
        "kommentar",
        "kommentarer",
        "anteckningar",
        "leverans",
        "leveranser",
        "resultat",
    }
)
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
    description: str = ""  # from a notes or deliverable column


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
    template: bool = False  # placeholders were skipped and no task was left
    header_row: int | None = None
    row_kinds: dict = field(default_factory=dict)  # {row number: "area", "legend", "task"}
    grid: list = field(default_factory=list)  # the first rows as read, for the preview
    grid_rows: int = 0  # rows in the sheet; the grid holds the first PREVIEW_ROWS
    flagged: list = field(default_factory=list)  # [row, column] of unsaved formulas (from 1, 0)
    hidden_sheets: list = field(default_factory=list)

    def row_kind(self, number, row):
        """How a row of the sheet was read: header, title (above the header), task,
        area, legend, or ignored; "" for an empty row."""
        if number == self.header_row:
            return "header"
        if any(task.row == number for task in self.tasks):
            return "task"  # a phase written beside its first step is still a task row
        if number in self.row_kinds:
            return self.row_kinds[number]
        if not any(row):
            return ""
        if is_legend_row(row) or _LEGEND.match(next(text for text in row if text)):
            return "legend"
        return "title" if self.header_row and number < self.header_row else "ignored"

    def problem(self, row, column, message):
        self.problems.append(Problem(self.name, row, column, message))

    def signature(self):
        """The key of a remembered mapping: equal for sheets with the same headers."""
        key = [self.layout, [norm(h) for h in self.hats], [norm(g or "") for g in self.hat_groups]]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()

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
            "tasks": [[t.area, t.name, t.row, t.description] for t in self.tasks],
            "cells": [[t, h, "".join(sorted(v))] for (t, h), v in self.cells.items()],
            "problems": [[p.row, p.column, p.message] for p in self.problems],
            "sheet_names": self.sheet_names,
            "header_row": self.header_row,
            "row_kinds": [[number, kind] for number, kind in self.row_kinds.items()],
            "grid": self.grid,
            "grid_rows": self.grid_rows,
            "flagged": self.flagged,
            "hidden_sheets": self.hidden_sheets,
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
            tasks=[ReadTask(*task) for task in data["tasks"]],
            cells={(t, h): frozenset(v) for t, h, v in data["cells"]},
            problems=[Problem(name, row, col, message) for row, col, message in data["problems"]],
            sheet_names=list(data["sheet_names"]),
            header_row=data.get("header_row"),
            row_kinds={number: kind for number, kind in data.get("row_kinds", [])},
            grid=data.get("grid", []),
            grid_rows=data.get("grid_rows", 0),
            flagged=data.get("flagged", []),
            hidden_sheets=data.get("hidden_sheets", []),
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


# Entry points -------------------------------------------------------------------------
def read_sheet(data, filename, sheet_name=None):
    """Read `data` (bytes) named `filename`; return a Sheet or raise SheetError."""
    with unreadable_as_sheet_error():
        return pick_sheet(load_grids(data, filename or ""), sheet_name)


def read_rows(data, filename):
    """The cell texts of the file's first visible sheet (a hidden one is an old
    copy more often than not), for a sheet that is not a matrix (the weekly
    numbers). Raises SheetError."""
    with unreadable_as_sheet_error():
        grids = load_grids(data, filename or "")
        sheet = next((g for g in grids if not g.hidden), grids[0] if grids else None)
        return sheet.load()[0] if sheet else []


@contextlib.contextmanager
def unreadable_as_sheet_error():
    """Whatever goes wrong reading a file becomes a SheetError with a message for
    the user, bar running out of memory (the job's limit reports that)."""
    try:
        yield
    except (SheetError, MemoryError):
        raise
    except Exception as exc:  # a file must never crash the caller
        raise SheetError(
            _("The file could not be read (%(error)s).") % {"error": type(exc).__name__}
        ) from exc
    except BaseException as exc:
        # calamine reports a malformed file it cannot handle as a Rust panic, which
        # Python raises as a BaseException; nothing else of that kind is ours.
        if type(exc).__name__ != "PanicException":
            raise
        raise excel_error(exc) from None


def check_upload(data, filename):
    """The checks that need no parser (size, kind of file, the zip's parts and its
    shared strings), made in the request before the file is stored for the job
    that reads it. Raises SheetError; the reading job finds anything else."""
    if not data:
        raise SheetError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise SheetError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(len(data) / 1024 / 1024, 1), "limit": MAX_BYTES // 1024 // 1024}
        )
    lower = (filename or "").lower()
    if data.startswith(ZIP_MAGIC) and lower.endswith(WORKBOOK_SUFFIXES):
        check_zip(data)
    elif not data.startswith(OLE_MAGIC) and not lower.endswith(
        (*WORKBOOK_SUFFIXES, ".xls", *TEXT_SUFFIXES)
    ):
        raise SheetError(_("Upload a .csv, .xlsx, .ods or .xls file."))


def load_grids(data, filename):
    """The sheets of a file as Grids, in the file's order."""
    if not data:
        raise SheetError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise SheetError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(len(data) / 1024 / 1024, 1), "limit": MAX_BYTES // 1024 // 1024}
        )
    lower = filename.lower()
    if data.startswith(OLE_MAGIC):
        # Old Excel (.xls), or a password-protected xlsx, which is stored the same way.
        try:
            return workbook_grids(data, None, "xls")
        except SheetError:
            raise
        except Exception as exc:
            raise SheetError(
                _(
                    "The file is password-protected, or an old Excel file (.xls) that could "
                    "not be read. Remove the password, or save it as .xlsx, and try again."
                )
            ) from exc
    if lower.endswith(WORKBOOK_SUFFIXES):
        if not data.startswith(ZIP_MAGIC):
            if looks_like_text(data):
                raise SheetError(
                    _(
                        "The file is named %(suffix)s but is a text (CSV) file. "
                        "Rename it to .csv and try again."
                    )
                    % {"suffix": "." + lower.rsplit(".", 1)[-1]}
                )
            raise SheetError(
                _("The file is named %(suffix)s but is not an Excel or OpenDocument workbook.")
                % {"suffix": "." + lower.rsplit(".", 1)[-1]}
            )
        archive, kind = check_zip(data)
        try:
            return workbook_grids(data, archive, kind)
        except SheetError:
            raise
        except Exception as exc:  # calamine raises its own errors on bad files
            raise excel_error(exc) from exc
    if lower.endswith(".xls"):
        raise SheetError(_("The file is named .xls but is not an Excel workbook."))
    if lower.endswith(TEXT_SUFFIXES):
        if data.startswith(ZIP_MAGIC):
            raise SheetError(
                _("The file is named .csv but is an Excel workbook. Rename it to .xlsx.")
            )
        rows = read_csv(data)
        name = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV"
        return [Grid(name, False, lambda: (rows, SheetFacts()))]
    raise SheetError(_("Upload a .csv, .xlsx, .ods or .xls file."))


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


# Workbooks (xlsx, xlsm, Strict xlsx, ods, xls) ----------------------------------------
# python-calamine reads them (docs/ARCHITECTURE.md, "Decisions and their reasons", has the
# measurement behind the choice). It builds a dense grid from a sheet's cells,
# so one value in cell XFD1048576 would ask for terabytes: `scan_xlsx` bounds a
# sheet by its own cells before calamine sees it, and reads what calamine does
# not give: hidden rows and columns, and formulas whose values were never saved.
_XML_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)(/?)>(.{0,4000}?)</(?:\w+:)?c>|<(?:\w+:)?c\b[^>]*/>", re.DOTALL
)
_XML_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_XML_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_XML_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)/?>")
_XML_VALUE = re.compile(rb"<(?:\w+:)?(?:v|t)\b[^>]*>[^<]")
_XML_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)<)")
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")


def _attribute(attributes, name):
    found = re.search(rb"(?:^|\s)(?:\w+:)?" + name + rb'="([^"]*)"', attributes)
    return found.group(1).decode("utf-8", "replace") if found else None


def column_number(letters):
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number - 1


@dataclass
class SheetFacts:
    """What a sheet's XML says beside its values (all indexes from 0)."""

    hidden_rows: set = field(default_factory=set)
    hidden_columns: set = field(default_factory=set)
    unsaved_formulas: list = field(default_factory=list)  # (row, column, "=formula")


def sheet_parts(archive):
    """{sheet name: path of its XML in the zip}, from the workbook's relationships."""
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for found in _RELATION.finditer(rels):
        target = _attribute(found.group(1), rb"Target") or ""
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[_attribute(found.group(1), rb"Id")] = target
    parts = {}
    for found in _SHEET_ENTRY.finditer(book):
        name = _attribute(found.group(1), rb"name")
        if name is not None:
            parts[html.unescape(name)] = targets.get(_attribute(found.group(1), rb"id"))
    return parts


def scan_xlsx(xml, name):
    """Check the extent of one sheet's cells and collect its SheetFacts."""
    facts = SheetFacts()
    for found in _XML_COL.finditer(xml):
        if _HIDDEN.search(found.group(1)):
            low = int(_attribute(found.group(1), rb"min") or 0)
            high = min(int(_attribute(found.group(1), rb"max") or 0), MAX_COLUMNS + 1)
            facts.hidden_columns.update(range(low - 1, high))
    for found in _XML_ROW.finditer(xml):
        if _HIDDEN.search(found.group(1)):
            number = _attribute(found.group(1), rb"r")
            if number and number.isdigit() and int(number) <= MAX_SHEET_ROWS:
                facts.hidden_rows.add(int(number) - 1)
    for found in _XML_CELL.finditer(xml):
        body = found.group(3)
        if not body:
            continue  # an empty, formatted cell: no value, and calamine skips it
        ref = _XML_REF.search(found.group(1))
        if ref is None:
            continue
        row, col = int(ref.group(2)) - 1, column_number(ref.group(1))
        has_value = _XML_VALUE.search(body)
        if has_value and (row >= MAX_SHEET_ROWS or col > MAX_COLUMNS):
            raise beyond_limits(name, column_letter(col) + str(row + 1))
        formula = _XML_FORMULA.search(body)
        if not has_value and formula and row < MAX_SHEET_ROWS and col <= MAX_COLUMNS:
            text = html.unescape(formula.group(1).decode("utf-8", "replace"))
            facts.unsaved_formulas.append((row, col, "=" + text))
    return facts


def beyond_limits(sheet, cell):
    return SheetError(
        _(
            "The sheet “%(sheet)s” has a value in cell %(cell)s, beyond the limits of "
            "%(rows)s rows and %(columns)s columns; delete what lies outside the matrix "
            "and try again."
        )
        % {"sheet": sheet, "cell": cell, "rows": MAX_SHEET_ROWS, "columns": MAX_COLUMNS}
    )


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
    if "xl/workbook.bin" in names:
        raise SheetError(_("Binary Excel workbooks (.xlsb) are not supported; save as .xlsx."))
    if "xl/workbook.xml" in names:
        return archive, "xlsx"
    if "content.xml" in names and b"opendocument.spreadsheet" in archive.read("mimetype")[:100]:
        return archive, "ods"
    raise SheetError(_("The file is a zip archive but not an Excel workbook."))


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


@dataclass
class Grid:
    """One sheet of a file: its name, whether it is hidden, and how to read its rows
    (on demand: a workbook's other sheets are never read once one is chosen)."""

    name: str
    hidden: bool
    load: object  # () -> (rows, SheetFacts)
    rows: list = field(default_factory=list)  # once loaded


def workbook_grids(data, archive, kind):
    import python_calamine  # noqa: PLC0415 - only when a workbook is read

    parts = sheet_parts(archive) if kind == "xlsx" else {}
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    grids = []
    for index, meta in enumerate(book.sheets_metadata):
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue  # chart and macro sheets hold no cells

        def load(index=index, name=meta.name):
            part = parts.get(name)
            facts = scan_xlsx(archive.read(part), name) if part else SheetFacts()
            if kind == "ods":
                check_ods_extent(archive, name)
                facts = scan_ods(archive.read("content.xml"), name)
            rows = []
            for values in book.get_sheet_by_index(index).to_python(skip_empty_area=False):
                rows.append([cell_text(v) for v in values[: MAX_COLUMNS + 1]])
                check_size(rows)
            return trim(rows), facts

        hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
        grids.append(Grid(meta.name, hidden, load))
    if not grids:
        raise SheetError(_("The workbook has no sheets."))
    return grids


_ODS_REPEAT = re.compile(rb'number-(rows|columns)-repeated="(\d+)"[^>]*?(/?)>')


def check_ods_extent(archive, name):
    """A repeated row or cell holding a value would be expanded in full: bound it."""
    for kind, count, closed in _ODS_REPEAT.findall(archive.read("content.xml")):
        limit = MAX_SHEET_ROWS if kind == b"rows" else MAX_COLUMNS
        if int(count) > limit and not closed and kind == b"columns":
            raise beyond_limits(name, _("a repeated cell"))


# OpenDocument: calamine gives neither hidden rows and columns nor formulas, so
# the table's XML is scanned for them as for xlsx. A row or column is hidden when
# its visibility is "collapse" or "filter"; a cell holds a formula without a saved
# value when it has `table:formula` but no value attribute and no text.
_ODS_TABLE = re.compile(rb"<table:table(?=[\s>])([^>]*)>")
_ODS_TOKEN = re.compile(
    rb"<table:(table-row|table-column|table-cell|covered-table-cell)(?=[\s/>])([^>]*?)(/?)>"
    rb"|</table:table-row>|</table:table>"
)
_ODS_HIDDEN = re.compile(rb'table:visibility="(?:collapse|filter)"')
_ODS_VALUE = re.compile(rb"office:(?:value|string-value|boolean-value|date-value|time-value)=")
_ODS_FORMULA = re.compile(rb'table:formula="([^"]*)"')
_ODS_TEXT = re.compile(rb"<text:p\b[^>]*>[^<]")


def _repeated(attributes, what):
    found = re.search(rb"table:number-" + what + rb'-repeated="(\d+)"', attributes)
    return int(found.group(1)) if found else 1


def scan_ods(xml, name):
    """The SheetFacts of the table `name` in an OpenDocument content.xml."""
    facts = SheetFacts()
    start = None
    for found in _ODS_TABLE.finditer(xml):
        if html.unescape(_attribute(found.group(1), rb"name") or "") == name:
            start = found.end()
            break
    if start is None:
        return facts
    last_row, row, column, next_column = -1, 0, 0, 0
    for token in _ODS_TOKEN.finditer(xml, start):
        kind, attributes, closed = token.group(1), token.group(2) or b"", token.group(3)
        if kind is None:
            if token.group(0) == b"</table:table>":
                break
        elif kind == b"table-column":
            count = _repeated(attributes, rb"columns")
            if _ODS_HIDDEN.search(attributes):
                last = min(next_column + count, MAX_COLUMNS + 1)
                facts.hidden_columns.update(range(next_column, last))
            next_column += count
        elif kind == b"table-row":
            # A repeated row is one element: its cells are read for its first copy.
            count = _repeated(attributes, rb"rows")
            row, column = last_row + 1, 0
            last_row += count
            if _ODS_HIDDEN.search(attributes):
                facts.hidden_rows.update(range(row, min(row + count, MAX_SHEET_ROWS)))
            if row >= MAX_SHEET_ROWS:
                break
        else:
            formula = _ODS_FORMULA.search(attributes)
            if formula and not _ODS_VALUE.search(attributes) and column <= MAX_COLUMNS:
                body = b""
                if not closed:
                    body = xml[token.end() : xml.find(b"</table:" + kind + b">", token.end())]
                if not _ODS_TEXT.search(body):
                    text = html.unescape(formula.group(1).decode("utf-8", "replace"))
                    facts.unsaved_formulas.append((row, column, re.sub(r"^(of:)?=?", "=", text)))
            column += _repeated(attributes, rb"columns")
    return facts


def excel_error(exc):
    return SheetError(
        _("The Excel file could not be read (%(error)s). Save it again as .xlsx or .csv.")
        % {"error": type(exc).__name__}
    )


# Sheet analysis -----------------------------------------------------------------------
def pick_sheet(grids, wanted=None):
    """The sheet asked for, else the first visible sheet that is a matrix, else the
    first hidden one. Only the sheets tried are read."""
    names = [grid.name for grid in grids]
    hidden = [grid.name for grid in grids if grid.hidden]
    if wanted:
        for grid in grids:
            if norm(grid.name) == norm(wanted):
                sheet = read_grid(grid)
                if sheet is not None and sheet.template:
                    raise empty_template(sheet.name)
                if sheet is None:
                    raise SheetError(
                        _("The sheet “%(name)s” does not look like a RACI matrix.")
                        % {"name": grid.name}
                    )
                return finish(sheet, names, hidden)
        raise SheetError(
            _("There is no sheet named “%(name)s”. The workbook has: %(names)s.")
            % {"name": wanted, "names": ", ".join(names)}
        )
    empty, template = True, None
    for grid in sorted(grids, key=lambda g: g.hidden):
        sheet = read_grid(grid)
        if sheet is not None and sheet.template:
            template = template or sheet.name
        elif sheet is not None:
            return finish(sheet, names, hidden)
        empty = empty and not grid.rows
    if template:
        raise empty_template(template)
    if empty:
        raise SheetError(_("The file has no data."))
    raise SheetError(
        _(
            "No sheet looks like a RACI matrix: expected a header row of hat names above "
            "rows of tasks with R, A, C and I, or the columns Task, Responsible, "
            "Accountable, Consulted, Informed."
        )
    )


def empty_template(name):
    return SheetError(
        _(
            "The sheet “%(name)s” looks like an empty template: its rows and columns hold "
            "placeholders such as “[Role]” instead of tasks and hats. Fill it in and try again."
        )
        % {"name": name}
    )


def read_grid(grid):
    """Analyse one Grid: a Sheet, or None when it is no matrix. Hidden rows and
    columns are left out and named. A formula whose value was never saved is
    read as its formula text, so that a column of them is no hat, and named."""
    rows, facts = grid.load()
    grid.rows = rows
    filled = sum(1 for row in rows for value in row if value)
    if filled > MAX_FILLED:
        raise SheetError(
            _(
                "The sheet “%(name)s” has %(count)s filled cells; the limit is %(limit)s. "
                "Split it into smaller files."
            )
            % {
                "name": grid.name,
                "count": number_format(filled, force_grouping=True),
                "limit": number_format(MAX_FILLED, force_grouping=True),
            }
        )
    shown = rows
    if facts.hidden_rows or facts.hidden_columns or facts.unsaved_formulas:
        shown = [
            [
                "" if n in facts.hidden_rows or c in facts.hidden_columns else value
                for c, value in enumerate(row)
            ]
            for n, row in enumerate(rows)
        ]
        for n, c, formula in facts.unsaved_formulas:
            while len(shown) <= n:
                shown.append([])
            shown[n].extend([""] * (c + 1 - len(shown[n])))
            shown[n][c] = formula
    sheet = analyse(grid.name, shown)
    if sheet is None:
        return None
    # What the preview shows of the sheet as read: the first rows and columns,
    # each row with how it was read, cells cut short.
    formulas = {(n, c): formula for n, c, formula in facts.unsaved_formulas}
    sheet.grid = [
        [
            "hidden" if n in facts.hidden_rows else sheet.row_kind(n + 1, row),
            [
                formulas.get((n, c), text)[:PREVIEW_TEXT]
                for c, text in enumerate(row[:PREVIEW_COLUMNS])
            ],
        ]
        for n, row in enumerate(rows[:PREVIEW_ROWS])
    ]
    sheet.grid_rows = len(rows)
    sheet.flagged = [[n + 1, c] for n, c, _formula in facts.unsaved_formulas]
    formulas = {(n + 1, column_letter(c)) for n, c, _formula in facts.unsaved_formulas}
    sheet.problems = [p for p in sheet.problems if (p.row, p.column) not in formulas]
    for n in sorted(facts.hidden_rows):
        if n < len(rows) and any(rows[n]):
            sheet.problem(n + 1, None, _("The row is hidden in the sheet; it was not read."))
    for c in sorted(facts.hidden_columns):
        if any(c < len(row) and row[c] for row in rows):
            sheet.problem(
                None, column_letter(c), _("The column is hidden in the sheet; it was not read.")
            )
    for n, c, _formula in facts.unsaved_formulas:
        sheet.problem(
            n + 1,
            column_letter(c),
            _(
                "The cell holds a formula whose value was never saved, so it reads as empty. "
                "Open the file in Excel or LibreOffice, save it, and import it again."
            ),
        )
    return sheet


def finish(sheet, names, hidden):
    sheet.sheet_names = names
    sheet.hidden_sheets = list(hidden)
    skipped = [name for name in hidden if name != sheet.name]
    if skipped:
        sheet.problem(
            None,
            None,
            _("Hidden sheets were not read: %(names)s. Choose one to read it instead.")
            % {"names": ", ".join(f"“{name}”" for name in skipped)},
        )
    return sheet


def analyse(name, rows):
    if not rows:
        return None
    start = first_used_column(rows)
    sheet = read_list(name, rows, start) or read_matrix(name, rows, start)
    if sheet is None and looks_like_template(rows):
        return Sheet(name=name, template=True)
    return sheet


def looks_like_template(rows):
    """Mostly placeholders ("[Role]", "<Task>", "...") and nothing to read."""
    written = [text for row in rows[: HEADER_SEARCH_ROWS * 2] for text in row if text]
    placeholders = sum(1 for text in written if _PLACEHOLDER.match(text))
    return placeholders >= 2 and placeholders * 2 >= len(written)


def first_used_column(rows):
    width = max(len(r) for r in rows)
    for col in range(width):
        if any(col < len(r) and r[col] for r in rows):
            return col
    return 0


def is_letters(text):
    if not text:
        return False
    cell = read_cell(text)
    return bool(cell.letters) and not cell.unknown


def is_empty_mark(text):
    cell = read_cell(text)
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


def is_legend_row(row):
    """A legend spread over a row: two or more cells such as "R = Responsible"."""
    return sum(1 for text in row if text and _LEGEND.match(text)) >= 2


def is_no_name(text):
    """A task cell that names nothing: empty, a placeholder, or a none mark ("N", "-")."""
    return not text or bool(_PLACEHOLDER.match(text)) or is_empty_mark(text)


def phase_column(rows, header_index, task_col):
    """True when the task column holds phases written on the first row of each
    group only, and the column after it the steps (the tasks)."""
    header = rows[header_index]
    step = task_col + 1
    if step >= len(header) or not header[step] or is_letters(header[step]):
        return False
    body = [r for r in rows[header_index + 1 :] if any(is_letters(v) for v in r[step + 1 :])]
    if len(body) < 2 or not all(step < len(r) and r[step] for r in body):
        return False
    if any(is_letters(r[step]) for r in body):
        return False
    phases = sum(1 for r in body if task_col < len(r) and r[task_col])
    return 0 < phases <= len(body) // 2


def read_matrix(name, rows, start):
    found = find_header(rows, start)
    if found is None:
        return None
    header_index, task_col = found
    area_col = None
    if phase_column(rows, header_index, task_col):
        area_col, task_col = task_col, task_col + 1
    header = rows[header_index]
    sheet = Sheet(name=name, layout="matrix", header_row=header_index + 1)
    body = rows[header_index + 1 :]
    placeholders = 0

    # Columns: a header, not a note column, and mostly letters below.
    candidates, description_col = [], None
    for col in range(task_col + 1, len(header)):
        title = header[col][: MAX_NAME["hat"]]
        if description_col is None and norm(title) in DESCRIPTION_HEADS:
            description_col = col
            continue
        if not title or norm(title) in NOT_HATS or _LEGEND.match(title):
            continue
        values = [r[col] for r in body if col < len(r) and r[col]]
        if not values and _PLACEHOLDER.match(title):
            placeholders += 1
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

    area, seen_tasks, seen_areas, last = None, {}, set(), None
    for offset, row in enumerate(body):
        number = header_index + 2 + offset

        def at(col, row=row):
            return row[col] if col is not None and col < len(row) else ""

        raw_name = at(task_col)
        values = [at(c) for c in columns]
        if area_col is not None and at(area_col):
            area = add_area(sheet, seen_areas, at(area_col), number)
        if not raw_name and not any(values):
            continue
        if (raw_name and _LEGEND.match(raw_name)) or is_legend_row(row):
            sheet.row_kinds[number] = "legend"
            last = None
            continue
        task_name = clean_name(raw_name, "task")
        if is_no_name(task_name):
            if task_name and _PLACEHOLDER.match(task_name):
                placeholders += 1
            if any(is_letters(v) for v in values):
                sheet.problem(
                    number,
                    column_letter(task_col),
                    _("Letters without a task name; the row was skipped."),
                )
            continue
        bare = not any(values) and not any(at(c) for c in skipped)
        if bare and last == number - 1 and task_name[:1].islower():
            # The rest of the task on the row above, written over two rows.
            last = number
            index = len(sheet.tasks) - 1
            previous = sheet.tasks[index]
            whole = f"{previous.name} {task_name}"[: MAX_NAME["task"]]
            sheet.tasks[index] = ReadTask(previous.area, whole, previous.row, previous.description)
            sheet.row_kinds[number] = "task"
            continue
        if bare:
            if area_col is None:
                area = add_area(sheet, seen_areas, raw_name, number)
            last = None
            continue
        key = (norm(area) if area else None, norm(task_name))
        if key in seen_tasks:
            duplicate_task(sheet, number, column_letter(task_col), task_name, seen_tasks[key])
            continue
        seen_tasks[key] = number
        last = number
        description = at(description_col)[:2000]
        index = add_task(sheet, ReadTask(area, task_name, number, description))
        cells = {}
        for hat_index, (col, value) in enumerate(zip(columns, values, strict=True)):
            if not value:
                continue
            cell = read_cell(value)
            if cell.unknown:
                sheet.problem(
                    number,
                    column_letter(col),
                    _("Unknown text “%(text)s” in the cell was ignored.") % {"text": cell.unknown},
                )
            if cell.letters:
                sheet.cells[(index, hat_index)] = cells[hat_index] = cell.letters
        check_task(sheet, cells, number)
    sheet.template = placeholders > 0 and not sheet.tasks
    return sheet


def add_area(sheet, seen_areas, text, number):
    """The area named `text` on row `number`, listed once however often it is written."""
    sheet.row_kinds[number] = "area"
    area = clean_name(text, "area")
    if norm(area) not in seen_areas:
        seen_areas.add(norm(area))
        sheet.areas.append(area)
        return area
    return next(a for a in sheet.areas if norm(a) == norm(area))


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
def list_columns(row, below):
    """{"task": col, "area": col, "description": col, "R": col, ...} if `row` is a
    list layout header: a task column and at least two of the letters' columns.
    Columns headed by the bare letters count only when the cells `below` them
    name roles rather than hold letters: "Task | R | A" may be a matrix's first task."""
    found, bare = {}, False
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
        if "description" not in found and norm(text) in DESCRIPTION_HEADS:
            found["description"] = col
            continue
        for letter, names in LIST_LETTERS.items():
            named = words[0] in names or (
                len(words) > 1 and words[0] == letter.casefold() and words[1] in names
            )
            if letter not in found and (named or words == [letter.casefold()]):
                found[letter] = col
                bare = bare or not named
                break
    letters = [found[letter] for letter in "RACI" if letter in found]
    if "task" not in found or len(letters) < 2:
        return None
    if bare:
        written = [r[c] for r in below for c in letters if c < len(r) and r[c]]
        names = sum(1 for text in written if not is_letters(text) and not is_empty_mark(text))
        if not written or names * 2 < len(written):
            return None
    return found


def read_list(name, rows, start):
    header_index, found = next(
        (
            (i, cols)
            for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])
            if (cols := list_columns(row, rows[i + 1 : i + 51]))
        ),
        (None, None),
    )
    if found is None:
        return None
    sheet = Sheet(name=name, layout="list", header_row=header_index + 1)
    hat_index, area, seen_tasks, seen_areas = {}, None, {}, set()
    letter_cols = [(letter, found[letter]) for letter in "RACI" if letter in found]
    for offset, row in enumerate(rows[header_index + 1 :]):
        number = header_index + 2 + offset

        def at(col, row=row):
            return row[col] if col is not None and col < len(row) else ""

        raw_name = at(found["task"])
        names = {letter: at(col) for letter, col in letter_cols}
        if raw_name and _LEGEND.match(raw_name):
            sheet.row_kinds[number] = "legend"
            continue
        task_name = clean_name(raw_name, "task")
        if "area" in found and at(found["area"]):
            area = add_area(sheet, seen_areas, at(found["area"]), number)
        if is_no_name(task_name):
            continue
        if not any(names.values()):
            if "area" not in found:
                area = add_area(sheet, seen_areas, raw_name, number)
            continue
        key = (norm(area) if area else None, norm(task_name))
        if key in seen_tasks:
            duplicate_task(sheet, number, column_letter(found["task"]), task_name, seen_tasks[key])
            continue
        seen_tasks[key] = number
        description = at(found.get("description"))[:2000]
        index = add_task(sheet, ReadTask(area, task_name, number, description))
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
