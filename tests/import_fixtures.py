"""The import fixtures in tests/fixtures/import/: one file per shape of RACI sheet
that people bring, each written by this module, with what reading it must give.

`python -m tests.import_fixtures` writes the files again after a change here;
tests/test_import_fixtures.py fails while a committed file's content differs
from what this module writes, and checks the reader and the importer against
each fixture's expected result, cell by cell.

Expected results: `hats` in column order; `tasks` as "name" or (area, name) in
row order; `cells` one row per task, one canonical cell text per hat ("A/R",
"C/I", "" for none); `problems` as (sheet row, column letter or None, a part of
the English message); `refused` a part of the message of a file that is refused.
"""

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import openpyxl

FOLDER = Path(__file__).resolve().parent / "fixtures" / "import"
STAMP = "2026-01-01T00:00:00Z"  # the workbook's created/modified, fixed
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# Writers ------------------------------------------------------------------------------
def csv_bytes(rows, delimiter=",", encoding="utf-8", bom=b""):
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return bom + out.getvalue().encode(encoding)


def xlsx_bytes(sheets, merged=None):
    """A workbook of `sheets` ({title: rows}); `merged` {title: ["A1:F1", ...]}.
    Written with fixed timestamps, so the same input gives the same members."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in (merged or {}).get(title, ()):
            sheet.merge_cells(cells)
    raw = io.BytesIO()
    book.save(raw)
    return rewrite_members(raw.getvalue(), stamp)


def rewrite_members(data, change):
    """The zip `data` with each member's bytes passed through change(name, bytes)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            target.writestr(
                zipfile.ZipInfo(name, ZIP_TIME),
                change(name, source.read(name)),
                zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


# Excel's "Strict Open XML" saves the same parts under other namespaces.
STRICT = [
    (
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    ),
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    ),
    (
        b"http://schemas.openxmlformats.org/drawingml/2006/main",
        b"http://purl.oclc.org/ooxml/drawingml/main",
    ),
]


def strict_xlsx(data):
    def change(_name, member):
        for transitional, strict in STRICT:
            member = member.replace(transitional, strict)
        return member.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)

    return rewrite_members(data, change)


def styled_xlsx(sheets, hidden_sheets=(), hidden_rows=None, hidden_columns=None, formulas=None):
    """A workbook with hidden sheets, rows ({title: [row numbers]}) and columns
    ({title: ["C"]}), and formulas ({title: {"D3": "=B3"}}) saved without values,
    as a program that does not calculate writes them."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden_sheets:
            sheet.sheet_state = "hidden"
        for number in (hidden_rows or {}).get(title, ()):
            sheet.row_dimensions[number].hidden = True
        for letter in (hidden_columns or {}).get(title, ()):
            sheet.column_dimensions[letter].hidden = True
        for ref, formula in (formulas or {}).get(title, {}).items():
            sheet[ref] = formula
    raw = io.BytesIO()
    book.save(raw)
    return rewrite_members(raw.getvalue(), stamp)


def stamp(name, data):
    if name == "docProps/core.xml":  # openpyxl stamps the time of saving
        return re.sub(
            rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + STAMP.encode(), data
        )
    return data


def ods_bytes(sheets, hidden_rows=None, hidden_columns=None, formulas=None):
    """An OpenDocument spreadsheet of `sheets` ({title: rows}), zipped by hand: the
    mimetype first and stored, a manifest, and the cells in content.xml. Hidden
    rows ({title: [row numbers]}) and columns ({title: [letters]}) are collapsed;
    `formulas` ({title: {"D2": "=…"}}) are written without a saved value, as a
    program that does not calculate writes them."""

    def cell(value, formula=None):
        if formula:
            return f'<table:table-cell table:formula="of:{escape(formula, quote=True)}"/>'
        if value is None:
            return "<table:table-cell/>"
        return (
            '<table:table-cell office:value-type="string"><text:p>'
            f"{escape(str(value))}</text:p></table:table-cell>"
        )

    def table(title, rows):
        hidden = set((hidden_rows or {}).get(title, ()))
        letters = {ord(c) - 65 for c in (hidden_columns or {}).get(title, ())}
        cells_with_formulas = {
            (int(ref[1:]), ord(ref[0]) - 65): text
            for ref, text in (formulas or {}).get(title, {}).items()
        }
        width = max([len(r) for r in rows] + [c + 1 for _r, c in cells_with_formulas])
        columns = "".join(
            '<table:table-column table:visibility="collapse"/>'
            if c in letters
            else "<table:table-column/>"
            for c in range(width)
        )
        body = ""
        for number, row in enumerate(rows, start=1):
            row = list(row) + [None] * (width - len(row))
            shown = ' table:visibility="collapse"' if number in hidden else ""
            body += (
                f"<table:table-row{shown}>"
                + "".join(cell(v, cells_with_formulas.get((number, c))) for c, v in enumerate(row))
                + "</table:table-row>"
            )
        name = escape(title, quote=True)
        return f'<table:table table:name="{name}">{columns}{body}</table:table>'

    tables = "".join(table(title, rows) for title, rows in sheets.items())
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype", ZIP_TIME), "application/vnd.oasis.opendocument.spreadsheet"
        )
        for name, text in (("META-INF/manifest.xml", manifest), ("content.xml", content)):
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), text.encode(), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def xls_bytes(sheets):
    """A legacy Excel 97-2003 workbook of `sheets` ({title: rows}), written by xlwt."""
    import xlwt  # noqa: PLC0415 - a development dependency, used here only

    book = xlwt.Workbook(encoding="utf-8")
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def content(data, name):
    """What is compared with the generator's output: an XLSX file's members
    unpacked (compression may differ between zlib builds), any other file's bytes."""
    if name.endswith((".xlsx", ".ods")) and data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {member: archive.read(member) for member in archive.namelist()}
    return data


# Fixtures -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Fixture:
    name: str
    shape: str
    data: bytes
    hats: list = field(default_factory=list)
    areas: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    sheet: str | None = None  # the sheet read, when the workbook has several
    hat_groups: list | None = None
    layout: str = "matrix"
    refused: str | None = None
    descriptions: list | None = None  # each task's description, when the sheet gives any
    kinds: str | None = None  # how each row was read, one letter a row (see KINDS)

    @property
    def path(self):
        return FOLDER / self.name

    def task_keys(self):
        return [(None, t) if isinstance(t, str) else tuple(t) for t in self.tasks]


# Row kinds in the preview's grid: Header, Title, Task, Area, Legend, Ignored,
# Hidden, and "." for an empty row.
KINDS = {"H": "header", "T": "title", "t": "task", "a": "area", "L": "legend"}
KINDS.update({"i": "ignored", "h": "hidden", ".": ""})

LEGEND = [["R: Responsible"], ["A: Accountable"], ["C: Consulted"], ["I: Informed"]]


def plain_matrix():
    hats = ["Sales Director", "Account Manager", "Sales Operations", "Legal", "Finance"]
    hats.append("Customer Success")
    rows = [
        ["Territory plan", "A/R", "C", "C", "I", "I", "I"],
        ["Pipeline review", "A", "R", "C", "I", "I", "I"],
        ["Price approval", "A", "C", "R", "C", "C", "I"],
        ["Contract review", "I", "C", "C", "A/R", "C", "I"],
        ["Credit check", "I", "I", "C", "C", "A/R", "I"],
        ["Order handover", "I", "R", "C", "I", "I", "A"],
        ["Renewal forecast", "A", "R", "C", "I", "C", "R"],
        ["Quarterly business review", "C", "A/R", "I", "I", "I", "C"],
    ]
    return Fixture(
        name="plain-matrix.csv",
        shape="a plain matrix, every cell filled, A/R cells",
        data=csv_bytes([["Activity", *hats], *rows]),
        hats=hats,
        tasks=[r[0] for r in rows],
        cells=[r[1:] for r in rows],
    )


def sections():
    areas = {
        "Lead generation": [
            ("Campaign planning", "I", "R/A"),
            ("Trade fair presence", "C", "R/A"),
            ("Lead scoring rules", "R/A", "C"),
        ],
        "Qualification": [
            ("First call", "R/A", "I"),
            ("Needs analysis", "R/A", "C"),
        ],
        "Closing": [
            ("Offer", "R/A", "I"),
            ("Negotiation", "R/A", "I"),
            ("Signed contract to delivery", "R/A", "C"),
        ],
        "After-sales": [
            ("Customer survey", "C", "R/A"),
            ("Reference cases", "I", "R/A"),
        ],
    }
    rows = [["Activity/Deliverable", "Sales Team", "Marketing Team"]]
    tasks, cells = [], []
    for area, area_tasks in areas.items():
        rows.append([area, "", ""])
        for name, *letters in area_tasks:
            rows.append([name, *letters])
            tasks.append((area, name))
            cells.append(["A/R" if x == "R/A" else x for x in letters])
    return Fixture(
        name="sections.csv",
        shape="section rows (a name, empty cells) become areas; R/A cells",
        data=csv_bytes(rows),
        hats=["Sales Team", "Marketing Team"],
        areas=list(areas),
        tasks=tasks,
        cells=cells,
    )


def numbered_legend_below():
    hats = ["Key Account Manager", "Sales Manager", "Bid Team", "Legal", "Delivery"]
    rows = [
        ["1. Account planning", "R", "A", "C", "I", "I"],
        ["2. Opportunity qualification", "R", "A", "C", "I", "C"],
        ["3. Tender response", "A", "A", "R", "C", "C"],
        ["4. Pricing and margin", "C", "A", "R", "I", "C"],
        ["5. Contract terms", "C", "C", "I", "A/R", "I"],
        ["6. Delivery planning", "I", "C", "I", "I", "A/R"],
        ["7. Kick-off with the customer", "R", "I", "I", "I", "A"],
        ["8. Account review", "A", "A", "I", "I", "R"],
    ]
    return Fixture(
        name="numbered-legend-below.xlsx",
        shape="numbered tasks, two A's on a row, a legend block below the matrix",
        data=xlsx_bytes({"Sheet1": [["Sales Activity", *hats], *rows, [None], [None], *LEGEND]}),
        hats=hats,
        tasks=[r[0].split(". ", 1)[1] for r in rows],
        cells=[r[1:] for r in rows],
        problems=[(4, None, "2 A's"), (9, None, "2 A's")],
    )


def title_merged():
    hats = ["Säljare", "Säljchef", "Innesälj", "Marknad", "VD"]
    rows = [
        ["Offertarbete", "R", "A", "C", None, None],
        ["Prisundantag", "C", "R", None, None, "A"],
        ["Kampanjplan", "I", "C", "C", "A/R", "I"],
        ["Mässor", None, "A", "R", "R", None],
    ]
    title = "Säljprocessen – ansvarsfördelning (RACI) 2026"
    return Fixture(
        name="title-merged.xlsx",
        kinds="TTHtttt",
        shape="a merged title and a merged version line above the header",
        data=xlsx_bytes(
            {
                "Försäljning": [
                    [title, None, None, None, None, None],
                    ["Version 0.3, utkast – fastställs av ledningsgruppen", None, None],
                    ["Uppgift", *hats],
                    *rows,
                ]
            },
            merged={"Försäljning": ["A1:F1", "A2:F2"]},
        ),
        hats=hats,
        tasks=[r[0] for r in rows],
        cells=[[c or "" for c in r[1:]] for r in rows],
    )


def legend_beside():
    header = ["Task", "Seller", "Sales support", "Sales manager", None, "Legend", None]
    rows = [
        ["Book meetings", "R", "C", "A", None, "R", "Responsible: does the work"],
        ["Send offers", "A/R", "R", "I", None, "A", "Accountable: answers for it"],
        ["Follow up offers", "A/R", None, "I", None, "C", "Consulted: asked before"],
        ["Update the CRM", "R", "R", "A", None, "I", "Informed: told after"],
        ["Forecast", "C", None, "A/R"],
    ]
    return Fixture(
        name="legend-beside.xlsx",
        shape="a legend block beside the matrix, a blank column between",
        data=xlsx_bytes({"RACI": [header, *rows]}),
        hats=["Seller", "Sales support", "Sales manager"],
        tasks=[r[0] for r in rows],
        cells=[[c or "" for c in r[1:4]] for r in rows],
    )


def numbered_tasks():
    rows = [
        ["1. Prospektering", "R", "A"],
        ["1.1 Ringlistor", "R", "A"],
        ["1.2 Första samtal", "A/R", "I"],
        ["2) Behovsanalys", "R", "A"],
        ["3- Offert", "R", "A"],
        ["4 - Förhandling", "R", "A"],
        ["– Avtal", "C", "A/R"],
        ["- Överlämning till leverans", "R", "A"],
        ["• Uppföljning efter 90 dagar", "A/R", "I"],
    ]
    names = [
        "Prospektering",
        "Ringlistor",
        "Första samtal",
        "Behovsanalys",
        "Offert",
        "Förhandling",
        "Avtal",
        "Överlämning till leverans",
        "Uppföljning efter 90 dagar",
    ]
    return Fixture(
        name="numbered-tasks.csv",
        shape="task numbering 1. 1.2 2) 3- and – - • bullets, stripped from the names",
        data=csv_bytes([["Aktivitet", "Säljare", "Säljchef"], *rows]),
        hats=["Säljare", "Säljchef"],
        tasks=names,
        cells=[r[1:] for r in rows],
    )


def combos():
    hats = ["Seller", "Sales manager", "Controller", "CEO"]
    rows = [
        ["Discount approval", "R,A", "C /I", "", "I"],
        ["Credit limit", "RA", "I/C", "(R)", ""],
        ["Annual budget", "c", "r", "(R)", "a/r"],
        ["Commission plan", "I", "R, C", "C", "A / R"],
    ]
    expected = [
        ["A/R", "C/I", "", "I"],
        ["A/R", "C/I", "R", ""],
        ["C", "R", "R", "A/R"],
        ["I", "R/C", "C", "A/R"],
    ]
    return Fixture(
        name="combos.csv",
        shape="combined letters: R,A  RA  A/R  I/C  C /I  (R)  r, a  A / R",
        data=csv_bytes([["Task", *hats], *rows]),
        hats=hats,
        tasks=[r[0] for r in rows],
        cells=expected,
    )


def none_marks():
    rows = [
        ["Prices", "N", "A/R", "-"],
        ["Offers", "R", "A", "x"],
        ["Travel rules", "N", "-", "n/a"],
        ["Discounts", "R", "A", "N"],
    ]
    return Fixture(
        name="none-marks.csv",
        shape="N, -, x and n/a meaning none; a row of them is a task, not an area",
        data=csv_bytes([["Task", "Seller", "Manager", "Finance"], *rows]),
        hats=["Seller", "Manager", "Finance"],
        tasks=[r[0] for r in rows],
        cells=[["", "A/R", ""], ["R", "A", ""], ["", "", ""], ["R", "A", ""]],
        problems=[(4, None, "No A")],
    )


def two_as():
    rows = [
        ["Offer approval", "A", "A", "R"],
        ["Price list", "R", "A", "C"],
        ["Key accounts", "A", "A", "A/R"],
    ]
    return Fixture(
        name="two-as.csv",
        shape="tasks with two and three A's: read as written and reported",
        data=csv_bytes([["Task", "Sales manager", "CEO", "Key account manager"], *rows]),
        hats=["Sales manager", "CEO", "Key account manager"],
        tasks=[r[0] for r in rows],
        cells=[r[1:] for r in rows],
        problems=[(2, None, "2 A's"), (4, None, "3 A's")],
    )


def placeholders():
    header = ["Activity", "Seller", "Sales manager", "[Role]", "<Role name>", "TBD"]
    rows = [
        ["Book meetings", "R", "A", None, None, None],
        ["Send offers", "A/R", "I", None, None, None],
        ["<Task>", None, None, None, None, None],
        ["[Activity]", None, None, None, None, None],
        ["TBD", "R", None, None, None, None],
        ["...", None, None, None, None, None],
        ["Add new task", None, None, None, None, None],
        ["Lägg till en ny uppgift", None, None, None, None, None],
    ]
    return Fixture(
        name="template-placeholders.xlsx",
        shape="an unfilled template: placeholder rows and role columns are not tasks or hats",
        data=xlsx_bytes({"RACI template": [header, *rows]}),
        hats=["Seller", "Sales manager"],
        tasks=["Book meetings", "Send offers"],
        cells=[["R", "A"], ["A/R", "I"]],
        problems=[(6, "A", "without a task name")],
    )


def several_sheets():
    return Fixture(
        name="several-sheets.xlsx",
        shape="a workbook of several sheets: the first that is a matrix is read",
        data=xlsx_bytes(
            {
                "Instructions": [
                    ["How to fill in this matrix"],
                    ["Write R, A, C or I in each cell. One A per row."],
                ],
                "RACI": [
                    ["Task", "Seller", "Sales manager"],
                    ["Offers", "R", "A"],
                    ["Forecast", "C", "A/R"],
                ],
                "Archive 2025": [["Task", "Old role"], ["Offers", "A/R"]],
            }
        ),
        sheet="RACI",
        hats=["Seller", "Sales manager"],
        tasks=["Offers", "Forecast"],
        cells=[["R", "A"], ["C", "A/R"]],
    )


SWEDISH_HEADER = ["Uppgift", "Säljare", "Säljchef", "Ekonomi"]
SWEDISH_ROWS = [
    ["Offert – standardpris", "R", "A", ""],
    ["Årsbudget", "C", "A/R", "C"],
    ["Kreditprövning", "I", "C", "A/R"],
    ["Återköp och reklamation", "R", "A", "I"],
]


def swedish_text(name, shape, **writer):
    return Fixture(
        name=name,
        shape=shape,
        data=csv_bytes([SWEDISH_HEADER, *SWEDISH_ROWS], **writer),
        hats=SWEDISH_HEADER[1:],
        tasks=[r[0] for r in SWEDISH_ROWS],
        cells=[r[1:] for r in SWEDISH_ROWS],
    )


def function_groups():
    return Fixture(
        name="function-groups.xlsx",
        shape="merged function names above the hats: the same title under two is two hats",
        data=xlsx_bytes(
            {
                "Matris": [
                    [None, "Sälj Nord", None, "Sälj Syd", None, "Ekonomi"],
                    ["Uppgift", "Säljare", "Säljchef", "Säljare", "Säljchef", "Controller"],
                    ["Offert", "R", "A", "R", "A", None],
                    ["Budget", "C", "R", "C", "R", "A"],
                ]
            },
            merged={"Matris": ["B1:C1", "D1:E1"]},
        ),
        hats=["Säljare", "Säljchef", "Säljare", "Säljchef", "Controller"],
        hat_groups=["Sälj Nord", "Sälj Nord", "Sälj Syd", "Sälj Syd", "Ekonomi"],
        tasks=["Offert", "Budget"],
        cells=[["R", "A", "R", "A", ""], ["C", "R", "C", "R", "A"]],
        problems=[(3, None, "2 A's")],
    )


def list_layout():
    rows = [
        ["Task", "Responsible", "Accountable", "Consulted", "Informed"],
        ["Prospecting", "", "", "", ""],
        ["Book meetings", "Seller", "Sales manager", "", "CEO"],
        ["Offers", "Seller, Sales support", "Sales manager", "CEO", ""],
        ["Reporting", "", "", "", ""],
        ["Monthly forecast", "Sales manager", "CEO", "Seller", ""],
    ]
    return Fixture(
        name="list-layout.csv",
        shape="one row per task, hat names under Responsible, Accountable, ...",
        data=csv_bytes(rows),
        layout="list",
        hats=["Seller", "Sales manager", "CEO", "Sales support"],
        areas=["Prospecting", "Reporting"],
        tasks=[
            ("Prospecting", "Book meetings"),
            ("Prospecting", "Offers"),
            ("Reporting", "Monthly forecast"),
        ],
        cells=[["R", "A", "I", ""], ["R", "A", "C", "R"], ["C", "R", "A", ""]],
    )


# Formats ------------------------------------------------------------------------------
FORMAT_HATS = ["Säljare", "Säljchef", "Ekonomi"]
FORMAT_ROWS = [
    ["Offert", "R", "A", None],
    ["Rabatt över 10 %", "C", "A/R", "I"],
    ["Kreditprövning", None, "C", "A/R"],
]


def format_fixture(name, shape, data, **expected):
    return Fixture(
        name=name,
        shape=shape,
        data=data,
        hats=FORMAT_HATS,
        tasks=[r[0] for r in FORMAT_ROWS],
        cells=[[c or "" for c in r[1:]] for r in FORMAT_ROWS],
        **expected,
    )


def opendocument():
    return format_fixture(
        "opendocument.ods",
        "LibreOffice's OpenDocument spreadsheet, with a notes sheet first",
        ods_bytes(
            {
                "Anteckningar": [["Senast ändrad av ledningsgruppen"]],
                "Ansvar": [["Uppgift", *FORMAT_HATS], *FORMAT_ROWS],
            }
        ),
        sheet="Ansvar",
    )


def legacy_xls():
    return format_fixture(
        "legacy.xls",
        "the old Excel 97-2003 format (.xls)",
        xls_bytes({"RACI": [["Uppgift", *FORMAT_HATS], *FORMAT_ROWS]}),
    )


def strict_open_xml():
    return format_fixture(
        "strict-open-xml.xlsx",
        "Excel's Strict Open XML: the same parts under other namespaces",
        strict_xlsx(xlsx_bytes({"RACI": [["Uppgift", *FORMAT_HATS], *FORMAT_ROWS]})),
    )


def wrong_dimension():
    rows = [[f"Uppgift {n}", "R", "A", None] for n in range(1, 12)]

    def change(name, member):
        if name == "xl/worksheets/sheet1.xml":
            return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:E3"', member)
        return member

    return Fixture(
        name="wrong-dimension.xlsx",
        shape="a stored dimension of A1:E3 over 11 task rows: every row is read",
        data=rewrite_members(xlsx_bytes({"RACI": [["Uppgift", *FORMAT_HATS], *rows]}), change),
        hats=FORMAT_HATS,
        tasks=[r[0] for r in rows],
        cells=[["R", "A", ""]] * 11,
    )


def unsaved_formulas():
    return Fixture(
        name="unsaved-formulas.xlsx",
        shape="formulas saved without values: named, and their column is no hat",
        data=styled_xlsx(
            {
                "RACI": [
                    ["Uppgift", "Säljare", "Säljchef", "Antal R"],
                    ["Offert", "R", "A"],
                    ["Avtal", None, "A/R"],
                ]
            },
            formulas={
                "RACI": {
                    "D2": '=COUNTIF(B2:C2,"*R*")',
                    "D3": '=COUNTIF(B3:C3,"*R*")',
                    "B3": '=IF(C3="A/R","","R")',
                }
            },
        ),
        hats=["Säljare", "Säljchef"],
        tasks=["Offert", "Avtal"],
        cells=[["R", "A"], ["", "A/R"]],
        problems=[(2, "D", "never saved"), (3, "B", "never saved"), (3, "D", "never saved")],
    )


# Layouts ------------------------------------------------------------------------------
def hidden_sheet_first():
    return Fixture(
        name="hidden-sheet-first.xlsx",
        shape="an obsolete hidden copy before the visible matrix: the visible one is read",
        data=styled_xlsx(
            {
                "RACI (gammal)": [["Uppgift", "Säljare"], ["Offert", "A/R"]],
                "RACI": [["Uppgift", *FORMAT_HATS], *FORMAT_ROWS],
            },
            hidden_sheets=["RACI (gammal)"],
        ),
        sheet="RACI",
        hats=FORMAT_HATS,
        tasks=[r[0] for r in FORMAT_ROWS],
        cells=[[c or "" for c in r[1:]] for r in FORMAT_ROWS],
        problems=[(None, None, "Hidden sheets were not read: “RACI (gammal)”")],
    )


def ods_hidden_and_formulas():
    rows = [
        ["Uppgift", "Säljare", "Gammal roll", "Säljchef", "Antal R"],
        ["Offert", "R", "A", "A"],
        ["Struken uppgift", "R", None, "A"],
        ["Avtal", "C", "R", "A/R"],
    ]
    return Fixture(
        name="hidden-and-formulas.ods",
        kinds="Htht",
        shape="OpenDocument: a hidden row, a hidden column and formulas without values",
        data=ods_bytes(
            {"RACI": rows},
            hidden_rows={"RACI": [3]},
            hidden_columns={"RACI": ["C"]},
            formulas={"RACI": {"E2": 'COUNTIF(B2:D2;"*R*")', "E4": 'COUNTIF(B4:D4;"*R*")'}},
        ),
        hats=["Säljare", "Säljchef"],
        tasks=["Offert", "Avtal"],
        cells=[["R", "A"], ["C", "A/R"]],
        problems=[
            (3, None, "row is hidden"),
            (None, "C", "column is hidden"),
            (2, "E", "never saved"),
            (4, "E", "never saved"),
        ],
    )


def hidden_rows_columns():
    rows = [
        ["Uppgift", "Säljare", "Gammal roll", "Säljchef"],
        ["Offert", "R", "A", "A"],
        ["Struken uppgift", "R", None, "A"],
        ["Avtal", "C", "R", "A/R"],
    ]
    return Fixture(
        name="hidden-rows-columns.xlsx",
        kinds="Htht",
        shape="a hidden row and a hidden column: left out, and named",
        data=styled_xlsx({"RACI": rows}, hidden_rows={"RACI": [3]}, hidden_columns={"RACI": ["C"]}),
        hats=["Säljare", "Säljchef"],
        tasks=["Offert", "Avtal"],
        cells=[["R", "A"], ["C", "A/R"]],
        problems=[(3, None, "row is hidden"), (None, "C", "column is hidden")],
    )


def legend_in_one_cell():
    return Fixture(
        name="legend-one-cell.xlsx",
        kinds="LHtt.L",
        shape="a legend written in one cell above the header and another below the tasks",
        data=xlsx_bytes(
            {
                "RACI": [
                    ["Legend: R = Responsible, A = Accountable, C = Consulted, I = Informed"],
                    ["Task", "Seller", "Sales manager"],
                    ["Offers", "R", "A"],
                    ["Forecast", "C", "A/R"],
                    [None],
                    ["Key: one A per row; R may be shared"],
                ]
            }
        ),
        hats=["Seller", "Sales manager"],
        tasks=["Offers", "Forecast"],
        cells=[["R", "A"], ["C", "A/R"]],
    )


def legend_across_a_row():
    return Fixture(
        name="legend-row.csv",
        kinds="Htt.L",
        shape="a legend spread across a row below the matrix, one letter per cell",
        data=csv_bytes(
            [
                ["Task", "Seller", "Sales manager", "Finance"],
                ["Offers", "R", "A", "I"],
                ["Invoicing", "I", "C", "A/R"],
                ["", "", "", ""],
                ["Roles:", "R = Responsible", "A = Accountable", "C = Consulted", "I = Informed"],
            ]
        ),
        hats=["Seller", "Sales manager", "Finance"],
        tasks=["Offers", "Invoicing"],
        cells=[["R", "A", "I"], ["I", "C", "A/R"]],
    )


def empty_template():
    return Fixture(
        name="empty-template.xlsx",
        shape="an unfilled template of placeholders: refused as an empty template",
        data=xlsx_bytes(
            {
                "RACI": [
                    ["Task / Deliverable", "[Name of person or department]", "[Role]", "<Role>"],
                    ["[Task 1]", None, None, None],
                    ["[Task 2]", None, None, None],
                    ["...", None, None, None],
                ]
            }
        ),
        refused="looks like an empty template",
    )


def two_row_tasks():
    return Fixture(
        name="two-row-tasks.csv",
        kinds="Hatttat",
        shape="a task written over two rows: the second row finishes its name",
        data=csv_bytes(
            [
                ["Aktivitet", "Säljare", "Säljchef"],
                ["Försäljning", "", ""],
                ["Förbereda kvartalets", "R", "A"],
                ["prognos till styrelsen", "", ""],
                ["Offert", "R", "A"],
                ["Leverans", "", ""],
                ["Överlämning", "C", "A/R"],
            ]
        ),
        hats=["Säljare", "Säljchef"],
        areas=["Försäljning", "Leverans"],
        tasks=[
            ("Försäljning", "Förbereda kvartalets prognos till styrelsen"),
            ("Försäljning", "Offert"),
            ("Leverans", "Överlämning"),
        ],
        cells=[["R", "A"], ["R", "A"], ["C", "A/R"]],
    )


def phase_and_step():
    return Fixture(
        name="phase-step.csv",
        kinds="Htttttt",
        shape="a phase column written on each group's first row, the steps beside it",
        data=csv_bytes(
            [
                ["Phase", "Step", "Seller", "Sales manager", "CFO"],
                ["Plan", "Set targets", "C", "A/R", "C"],
                ["", "Territory split", "R", "A", ""],
                ["Sell", "Prospecting", "A/R", "I", ""],
                ["", "Offers", "R", "A", "C"],
                ["", "Discounts", "R", "C", "A"],
                ["Follow up", "Forecast", "R", "A", "I"],
            ]
        ),
        hats=["Seller", "Sales manager", "CFO"],
        areas=["Plan", "Sell", "Follow up"],
        tasks=[
            ("Plan", "Set targets"),
            ("Plan", "Territory split"),
            ("Sell", "Prospecting"),
            ("Sell", "Offers"),
            ("Sell", "Discounts"),
            ("Follow up", "Forecast"),
        ],
        cells=[
            ["C", "A/R", "C"],
            ["R", "A", ""],
            ["A/R", "I", ""],
            ["R", "A", "C"],
            ["R", "C", "A"],
            ["R", "A", "I"],
        ],
    )


def same_name_two_areas():
    return Fixture(
        name="same-name-two-areas.csv",
        shape="the same task name in two areas with other letters: two tasks",
        data=csv_bytes(
            [
                ["Task", "Seller", "Sales manager"],
                ["New customers", "", ""],
                ["Follow-up", "A/R", "I"],
                ["Existing customers", "", ""],
                ["Follow-up", "R", "A"],
                ["Follow-up", "R", "A"],
            ]
        ),
        hats=["Seller", "Sales manager"],
        areas=["New customers", "Existing customers"],
        tasks=[("New customers", "Follow-up"), ("Existing customers", "Follow-up")],
        cells=[["A/R", "I"], ["R", "A"]],
        problems=[(6, "A", "appears twice in one area")],
    )


def list_bare_letters():
    return Fixture(
        name="list-bare-letters.csv",
        shape="a list whose columns are headed R, A, C, I and name the roles",
        data=csv_bytes(
            [
                ["Task", "R", "A", "C", "I"],
                ["Offers", "Seller", "Sales manager", "CFO, Legal", ""],
                ["Contracts", "Legal", "Sales manager", "Seller", "CFO"],
                ["Forecast", "Sales manager", "CFO", "", "Seller; Legal"],
            ]
        ),
        layout="list",
        hats=["Seller", "Sales manager", "CFO", "Legal"],
        tasks=["Offers", "Contracts", "Forecast"],
        cells=[["R", "A", "C", "C"], ["C", "A", "I", "R"], ["I", "R", "A", "I"]],
    )


def none_in_task_column():
    return Fixture(
        name="none-in-task-column.csv",
        kinds="Htiit",
        shape="N and - in the task column are no task names",
        data=csv_bytes(
            [
                ["Task", "Seller", "Sales manager"],
                ["Offers", "R", "A"],
                ["N", "", ""],
                ["-", "R", "A"],
                ["Forecast", "C", "A/R"],
            ]
        ),
        hats=["Seller", "Sales manager"],
        tasks=["Offers", "Forecast"],
        cells=[["R", "A"], ["C", "A/R"]],
        problems=[(4, "A", "without a task name")],
    )


def notes_column():
    return Fixture(
        name="notes-column.xlsx",
        shape="a deliverable column beside the letters: each task's description",
        data=xlsx_bytes(
            {
                "RACI": [
                    ["Task", "Seller", "Sales manager", "Deliverable"],
                    ["Offers", "R", "A", "Signed offer in the CRM"],
                    ["Forecast", "C", "A/R", "Monthly forecast to the CFO"],
                    ["Lost deals", "R", "A", None],
                ]
            }
        ),
        hats=["Seller", "Sales manager"],
        tasks=["Offers", "Forecast", "Lost deals"],
        cells=[["R", "A"], ["C", "A/R"], ["R", "A"]],
        descriptions=["Signed offer in the CRM", "Monthly forecast to the CFO", ""],
    )


def list_with_notes():
    return Fixture(
        name="list-notes.csv",
        shape="a list layout with a phase column and a notes column",
        data=csv_bytes(
            [
                ["Phase", "Activity", "Responsible", "Accountable", "Notes"],
                ["Plan", "Targets", "Sales manager", "CEO", "Agreed in December"],
                ["", "Budget", "CFO", "CEO", ""],
                ["Sell", "Offers", "Seller", "Sales manager", "Standard prices only"],
            ]
        ),
        layout="list",
        hats=["Sales manager", "CEO", "CFO", "Seller"],
        areas=["Plan", "Sell"],
        tasks=[("Plan", "Targets"), ("Plan", "Budget"), ("Sell", "Offers")],
        cells=[["R", "A", "", ""], ["", "A", "R", ""], ["A", "", "", "R"]],
        descriptions=["Agreed in December", "", "Standard prices only"],
    )


FIXTURES = [
    plain_matrix(),
    sections(),
    numbered_legend_below(),
    title_merged(),
    legend_beside(),
    numbered_tasks(),
    combos(),
    none_marks(),
    two_as(),
    placeholders(),
    several_sheets(),
    swedish_text(
        "semicolon-cp1252.csv",
        "semicolons, Windows-1252 (Excel's Swedish CSV)",
        delimiter=";",
        encoding="cp1252",
    ),
    swedish_text(
        "utf8-bom.csv", "UTF-8 with a byte-order mark", encoding="utf-8", bom=codecs.BOM_UTF8
    ),
    swedish_text(
        "utf16.tsv",
        "UTF-16 with tabs (Excel's Unicode text)",
        delimiter="\t",
        encoding="utf-16-le",
        bom=codecs.BOM_UTF16_LE,
    ),
    function_groups(),
    list_layout(),
    Fixture(
        name="no-matrix.xlsx",
        shape="a workbook of notes only: refused",
        data=xlsx_bytes({"Notes": [["Meeting notes"], ["Nothing to import here"]]}),
        refused="No sheet looks like a RACI matrix",
    ),
    Fixture(
        name="csv-named-xlsx.xlsx",
        shape="a CSV file saved with the .xlsx ending: refused with the fix",
        data=csv_bytes([["Task", "Seller"], ["Offers", "A/R"]]),
        refused="Rename it to .csv",
    ),
    opendocument(),
    legacy_xls(),
    strict_open_xml(),
    wrong_dimension(),
    unsaved_formulas(),
    hidden_sheet_first(),
    hidden_rows_columns(),
    ods_hidden_and_formulas(),
    legend_in_one_cell(),
    legend_across_a_row(),
    empty_template(),
    two_row_tasks(),
    phase_and_step(),
    same_name_two_areas(),
    list_bare_letters(),
    none_in_task_column(),
    notes_column(),
    list_with_notes(),
]
BY_NAME = {fixture.name: fixture for fixture in FIXTURES}


def write():
    FOLDER.mkdir(parents=True, exist_ok=True)
    for fixture in FIXTURES:
        fixture.path.write_bytes(fixture.data)
    return FIXTURES


if __name__ == "__main__":
    for fixture in write():
        print(f"{fixture.path}: {fixture.shape}")
