"""Reading RACI sheets as people write them, and refusing bad files clearly. The
shapes of real sheets are the fixtures of test_import_fixtures.py."""

import contextlib
import io
import os
import zipfile

import openpyxl
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from roles.interchange.reader import MAX_BYTES, SheetError, read_sheet


@pytest.fixture(autouse=True, scope="module")
def english():
    """Messages in English (the texts tested are English source strings)."""
    with translation.override("en"):
        yield


def xlsx(rows, title="Sheet1", extra=None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for name, more in (extra or {}).items():
        other = book.create_sheet(name)
        for row in more:
            other.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_csv_text(text, encoding="utf-8", name="sheet.csv"):
    return read_sheet(text.encode(encoding), name)


# Real-world shapes ----------------------------------------------------------------------
def test_title_rows_empty_first_column_and_legend_beside():
    rows = [
        [None, "Sales RACI 2026"],
        [None, None],
        [None, "Task", "Seller", "Sales manager", None, "Legend"],
        [None, "1) Book meetings", "R", "A", None, "R: Responsible"],
        [None, "2) Send offers", "a/r", " c ", None, "A: Accountable"],
        [None, "Follow up", "R, A", "I", None, None],
    ]
    sheet = read_sheet(xlsx(rows), "s.xlsx")
    assert sheet.hats == ["Seller", "Sales manager"]
    assert [t.name for t in sheet.tasks] == ["Book meetings", "Send offers", "Follow up"]
    assert sheet.cells[(1, 0)] == frozenset("AR")
    assert sheet.cells[(1, 1)] == frozenset("C")
    assert sheet.cells[(2, 0)] == frozenset("AR")


def test_numbering_is_stripped_but_a_year_is_kept():
    text = "Task,Seller\n12 - Offers,A/R\n2026 - Budget,A\n-5% discount,A\n"
    sheet = read_csv_text(text)
    assert [t.name for t in sheet.tasks] == ["Offers", "2026 - Budget", "-5% discount"]


def test_none_marks_placeholders_and_unknown_text():
    text = "Task;Seller;Manager\nPrices;N;A\nOffers;-;x\n...;;\nTBD;R;\nDiscounts;maybe;A/R\n"
    sheet = read_csv_text(text)
    assert [t.name for t in sheet.tasks] == ["Prices", "Offers", "Discounts"]
    assert sheet.areas == []  # "Offers" has marks, so it is a task, not a section
    assert (1, 0) not in sheet.cells and (1, 1) not in sheet.cells
    unknown = [p for p in sheet.problems if "maybe" in p.message]
    assert unknown and unknown[0].row == 6 and unknown[0].column == "B"
    no_a = [p for p in sheet.problems if p.row == 3]
    assert no_a and "No A" in no_a[0].message


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16", b""),
        ("cp1252", b""),
        ("latin-1", b""),
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_encodings_and_delimiters(encoding, bom, delimiter):
    text = delimiter.join(["Uppgift", "Säljare", "Försäljningschef"]) + "\r\n"
    text += delimiter.join(["Offerter", "R", "A"]) + "\r\n"
    text += delimiter.join(["Årsplan", "C", "A/R"]) + "\r\n"
    sheet = read_sheet(bom + text.encode(encoding), "x.csv")
    assert sheet.hats == ["Säljare", "Försäljningschef"]
    assert [t.name for t in sheet.tasks] == ["Offerter", "Årsplan"]
    assert sheet.cells[(1, 1)] == frozenset("AR")


def test_duplicate_columns_and_tasks_are_reported_and_first_wins():
    text = "Task,Seller,seller ,Boss\nA1,R,C,A\nA1,C,,A\nOther,R,,A\n"
    sheet = read_csv_text(text)
    assert sheet.hats == ["Seller", "Boss"]
    assert [t.name for t in sheet.tasks] == ["A1", "Other"]
    assert sheet.cells[(0, 0)] == frozenset("R")
    messages = " ".join(p.message for p in sheet.problems)
    assert "appears twice" in messages
    assert {p.row for p in sheet.problems if "appears twice" in p.message} == {1, 3}


def test_same_task_name_in_two_areas_is_two_tasks():
    text = "Task,Seller,Boss\nNorth,,\nReport,R,A\nSouth,,\nReport,R,A\n"
    sheet = read_csv_text(text)
    assert sheet.areas == ["North", "South"]
    assert [(t.area, t.name) for t in sheet.tasks] == [("North", "Report"), ("South", "Report")]


def test_list_layout():
    text = (
        "Task,Responsible,Accountable,Consulted,Informed\n"
        "Prospecting,,,,\n"
        "Book meetings,Seller,Sales manager,,CEO\n"
        'Offers,"Seller, Sales support",Sales manager,CEO,\n'
    )
    sheet = read_csv_text(text)
    assert sheet.layout == "list"
    assert sheet.hats == ["Seller", "Sales manager", "CEO", "Sales support"]
    assert sheet.areas == ["Prospecting"]
    assert [t.name for t in sheet.tasks] == ["Book meetings", "Offers"]
    assert sheet.cells[(0, 0)] == frozenset("R")
    assert sheet.cells[(0, 2)] == frozenset("I")
    assert sheet.cells[(1, 3)] == frozenset("R")
    assert sheet.cells[(1, 2)] == frozenset("C")


def test_sheet_choice_default_and_by_name():
    data = xlsx(
        [["Notes about this workbook"], ["Nothing here"]],
        title="Intro",
        extra={
            "Matrix": [["Task", "Seller"], ["Offers", "A/R"]],
            "Old": [["Task", "Boss"], ["X", "A"]],
        },
    )
    assert read_sheet(data, "w.xlsx").name == "Matrix"
    assert read_sheet(data, "w.xlsx", "old").hats == ["Boss"]
    with pytest.raises(SheetError, match="no sheet named"):
        read_sheet(data, "w.xlsx", "Missing")


def test_formula_guard_is_removed_on_read():
    sheet = read_csv_text("Task,'=Seller\n'=SUM(1),A\n")
    assert sheet.hats == ["=Seller"]
    assert sheet.tasks[0].name == "=SUM(1)"


# Bad files: one clear SheetError each, nothing else ----------------------------------
def zip_bytes(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def bad_files():
    good = xlsx([["Task", "Seller"], ["Offers", "A/R"]])
    return {
        "wrong type": (b"%PDF-1.4 not a sheet", "matrix.pdf", ".xlsx, .ods or .xls"),
        "empty csv": (b"", "matrix.csv", "empty"),
        "empty xlsx": (b"", "matrix.xlsx", "empty"),
        "corrupt xlsx": (good[: len(good) // 2], "matrix.xlsx", "damaged"),
        "zip not a workbook": (zip_bytes({"word/document.xml": "<x/>"}), "m.xlsx", "not an Excel"),
        "password-protected": (
            bytes.fromhex("d0cf11e0a1b11ae1") + os.urandom(2048),
            "matrix.xlsx",
            "password",
        ),
        "zip bomb (total)": (
            zip_bytes({"xl/workbook.xml": b"0" * (51 * 1024 * 1024)}),
            "bomb.xlsx",
            "unpacks",
        ),
        "zip bomb (ratio)": (
            zip_bytes(
                {"xl/workbook.xml": "<a/>", "xl/worksheets/sheet1.xml": b" " * (3 * 1024 * 1024)}
            ),
            "bomb.xlsx",
            "unpacks",
        ),
        "garbage csv": (bytes(range(256)) * 40, "matrix.csv", "binary"),
        "garbage xlsx": (os.urandom(4096).replace(b"PK", b"pk"), "matrix.xlsx", "not an Excel"),
        "csv named xlsx": (b"Task,Seller\nOffers,A\n", "matrix.xlsx", "Rename it to .csv"),
        "unreadable xlsx": (
            zip_bytes({"[Content_Types].xml": "garbage", "xl/workbook.xml": "<<not xml"}),
            "matrix.xlsx",
            "could not be read",
        ),
        "oversize": (b"Task,Seller\n" + b"x" * MAX_BYTES, "big.csv", "too large"),
        "too many rows": (
            ("Task,Seller\n" + "".join(f"T{i},A\n" for i in range(5001))).encode(),
            "rows.csv",
            "5000 rows",
        ),
        "too many columns": (
            (",".join(["Task"] + [f"H{i}" for i in range(301)]) + "\n").encode(),
            "cols.csv",
            "300 columns",
        ),
        "no matrix": (b"Just,some\ntext,here\n", "m.csv", "No sheet looks like"),
        "xls that is none": (b"whatever", "m.xls", "named .xls but is not"),
    }


BAD = bad_files()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_raises_sheet_error(case):
    data, name, expected = BAD[case]
    with pytest.raises(SheetError) as caught:
        read_sheet(data, name)
    assert expected.lower() in str(caught.value).lower()


def test_number_column_and_merged_function_row():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([None, None, "Sales", None, "Finance"])
    sheet.merge_cells("C1:D1")
    sheet.append(["#", "Task", "Seller", "Sales manager", "CFO"])
    sheet.append([1, "Offers", "R", "A", None])
    sheet.append([2, "Invoices", None, "I", "A/R"])
    out = io.BytesIO()
    book.save(out)
    read = read_sheet(out.getvalue(), "f.xlsx")
    assert read.hats == ["Seller", "Sales manager", "CFO"]
    assert read.hat_groups == ["Sales", "Sales", "Finance"]
    assert [t.name for t in read.tasks] == ["Offers", "Invoices"]
    assert read.cells[(1, 2)] == frozenset("AR")


def test_xlsx_too_many_rows_and_columns_and_empty_formatted_rows():
    wide = xlsx([["Task", *[f"H{i}" for i in range(301)]], ["T", *["A"] * 301]])
    with pytest.raises(SheetError, match="300 columns"):
        read_sheet(wide, "w.xlsx")
    tall = xlsx([["Task", "Seller"], *[[f"T{i}", "A"] for i in range(5001)]])
    with pytest.raises(SheetError, match="5000 rows"):
        read_sheet(tall, "t.xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Task", "Seller"])
    sheet.append(["Offers", "A/R"])
    for row in range(3, 6002):
        sheet.cell(row=row, column=1).number_format = "0.00"  # formatted, no value
    out = io.BytesIO()
    book.save(out)
    assert len(read_sheet(out.getvalue(), "f.xlsx").tasks) == 1


# Whatever comes in, the reader answers with a Sheet or a SheetError ---------------------

cell_values = st.one_of(
    st.none(),
    st.sampled_from(["R", "A", "A/R", "r, a", "C / I", "N", "-", "x", "", "R: Responsible", "1."]),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12),
    st.integers(-5, 5000),
)


@examples(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a"]))
def test_any_bytes_give_a_sheet_or_a_sheet_error(data, name):
    with contextlib.suppress(SheetError):  # anything else fails the test
        read_sheet(data, name)


@examples(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell_values, max_size=6), max_size=12))
def test_any_grid_gives_a_sheet_or_a_sheet_error(rows):
    try:
        sheet = read_sheet(xlsx(rows), "g.xlsx")
    except SheetError:
        return
    assert len(set(sheet.hats)) == len(sheet.hats)
    for (task, hat), letters in sheet.cells.items():
        assert 0 <= task < len(sheet.tasks) and 0 <= hat < len(sheet.hats)
        assert letters <= frozenset("RACI")
