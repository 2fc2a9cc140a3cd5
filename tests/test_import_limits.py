"""Large sheets: the 5,000-task limit counts tasks only, applying writes in
batches (a bounded number of queries), and the XLSX export of a large matrix keeps
its layout and reads back unchanged."""

import io
import random
import time
import zipfile

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from bench.generate import generate_org
from roles import models as m
from roles.interchange import exporter, importer
from roles.interchange.reader import MAX_ROWS, SheetError, read_sheet

from .import_jobs_helpers import previewed
from .test_import import counts


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def matrix_xlsx(tasks, areas_every=0):
    """A title row, a row of functions and a header above `tasks` task rows, with
    an area row before every `areas_every` tasks (none when 0)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("RACI")
    sheet.append(["Sales RACI, spring"])
    sheet.append([None, "Sales", None, "Finance"])
    sheet.append(["Task", "Seller", "Sales manager", "CFO"])
    for t in range(tasks):
        if areas_every and t % areas_every == 0:
            sheet.append([f"Area {t // areas_every}"])
        sheet.append([f"Offer {t}", "R", "A", "I" if t % 2 else None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def matrix_csv(tasks):
    return ("Task,Seller,Sales manager\n" + "".join(f"T{i},R,A\n" for i in range(tasks))).encode()


def test_limit_is_counted_in_tasks_not_rows():
    assert MAX_ROWS == 5000
    sheet = read_sheet(matrix_xlsx(5000, areas_every=50), "big.xlsx")
    assert len(sheet.tasks) == 5000
    assert len(sheet.areas) == 100
    assert sheet.hat_groups == ["Sales", "Sales", "Finance"]
    with pytest.raises(SheetError, match="more than 5000 rows of tasks"):
        read_sheet(matrix_xlsx(5001), "big.xlsx")


def test_limit_in_csv_and_list_layout():
    assert len(read_sheet(matrix_csv(5000), "big.csv").tasks) == 5000
    with pytest.raises(SheetError, match="more than 5000 rows of tasks"):
        read_sheet(matrix_csv(5001), "big.csv")
    listed = "Task,Responsible,Accountable\n" + "".join(f"T{i},Seller,Boss\n" for i in range(5001))
    with pytest.raises(SheetError, match="more than 5000 rows of tasks"):
        read_sheet(listed.encode(), "list.csv")


def test_page_accepts_5000_tasks_and_refuses_5001(world, as_admin, inline_jobs):
    _job, response = previewed(as_admin, world.org, matrix_csv(5000), "big.csv")
    assert response.context["data"]["summary"]["tasks_new"] == 5000
    job, response = previewed(as_admin, world.org, matrix_csv(5001), "big.csv")
    assert job.state == m.Job.FAILED
    assert "more than 5000 rows of tasks" in response.content.decode()


@pytest.mark.parametrize("tasks", [20, 2500])
def test_apply_writes_in_batches(empty_import_org, django_assert_max_num_queries, tasks):
    """The same ceiling for 20 tasks and for 2,500 (7,500 letters, 7,500 history rows):
    the writes are bulk INSERTs of up to importer.BATCH rows, never one per row,
    and their organisation check reads the linked rows in batches too."""
    sheet = read_sheet(matrix_xlsx(tasks, areas_every=100), "s.xlsx")
    plan = importer.plan(empty_import_org, sheet)
    with django_assert_max_num_queries(37):
        summary = importer.apply(plan)
    assert summary["tasks_new"] == tasks
    after = counts(empty_import_org)
    assert after["tasks"] == tasks
    assert after["letters"] == after["history"] == sum(len(v) for v in sheet.cells.values())
    # Idempotent: the same sheet again plans nothing.
    assert not importer.plan(empty_import_org, sheet).has_changes


@pytest.fixture
def empty_import_org(db):
    from . import factories as f

    return f.OrganisationFactory(slug="stort", name="Stort AB")


def test_apply_replaces_letters_in_batches(empty_import_org):
    """A second sheet that moves every letter deletes the old rows in batches."""
    org = empty_import_org
    importer.apply(importer.plan(org, read_sheet(matrix_csv(1500), "a.csv")))
    swapped = ("Task,Seller,Sales manager\n" + "".join(f"T{i},A,R\n" for i in range(1500))).encode()
    summary = importer.apply(importer.plan(org, read_sheet(swapped, "b.csv")))
    assert summary["cells_changed"] == 3000
    seller = m.Hat.objects.for_org(org).get(title="Seller")
    letters = set(m.Responsibility.objects.for_org(org).filter(hat=seller).values_list("letter"))
    assert letters == {("A",)}
    assert m.Responsibility.objects.for_org(org).count() == 3000


@pytest.fixture
def large(db):
    return generate_org("export-big", 60, 12, 40, 400, seed=5)


@pytest.fixture
def small(db):
    return generate_org("export-small", 6, 3, 4, 12, seed=5)


def test_export_queries_do_not_grow(small, large, django_assert_max_num_queries):
    """Plain values from a fixed number of queries (5), whatever the size; a person
    filter adds the person and assignment look-ups."""
    for org in (small, large):
        with django_assert_max_num_queries(5):
            exporter.to_xlsx(exporter.build(org))
    person = m.Person.objects.for_org(large).filter(active=True).first()
    with django_assert_max_num_queries(7):
        exporter.build(large, {"person": person.id, "function": -1, "area": 10**12})


def test_large_export_keeps_its_layout_and_round_trips(large):
    data = exporter.to_xlsx(exporter.build(large))
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "B3"
    hats = m.Hat.objects.for_org(large).count()
    assert sheet.cell(2, hats + 2).value == "Status"
    # Function names above their hats, merged over each function's columns.
    assert sheet.merged_cells.ranges
    assert all(r.min_row == r.max_row == 1 for r in sheet.merged_cells.ranges)
    # One list validation over the whole letter range, not one per cell.
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    assert str(validations[0].sqref).startswith("B3:")
    # Area rows are coloured as rows; tasks with a problem have a red status cell.
    first = [sheet.cell(r, 1).value for r in range(3, sheet.max_row + 1)]
    area = m.Area.objects.for_org(large).order_by("position", "id").first()
    area_line = first.index(area.name) + 3
    assert sheet.row_dimensions[area_line].fill.fgColor.rgb.endswith("DDE6F0")
    statuses = [sheet.cell(r, hats + 2) for r in range(3, sheet.max_row + 1)]
    bad = [c for c in statuses if c.value and c.fill.fgColor.rgb.endswith("F8D7DA")]
    assert bad and all(c.value != "complete" for c in bad)
    letters = [c for row in sheet.iter_rows(min_row=3, min_col=2) for c in row if c.value]
    assert letters and all(c.data_type == "s" for c in letters)
    assert len(book.sheetnames) == 3
    # and the workbook reads back as the same matrix as the CSV export does
    matrix = exporter.build(large)
    from_xlsx = read_sheet(data, "x.xlsx")
    from_csv = read_sheet(exporter.to_csv(matrix), "x.csv")
    assert from_xlsx.hats == from_csv.hats and from_xlsx.hat_groups == from_csv.hat_groups
    assert from_xlsx.tasks == from_csv.tasks and from_xlsx.areas == from_csv.areas
    assert from_xlsx.cells == from_csv.cells and from_xlsx.cells


def test_export_page_of_a_large_org(large, client):
    admin = m.Person.objects.for_org(large).filter(access="admin").select_related("user").first()
    client.force_login(admin.user)
    response = client.get(reverse("roles:matrix-xlsx", kwargs={"org": large.slug}))
    assert response.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0].max_row > 400


def crafted_xlsx(members):
    """A zip with a workbook part and the given {name: bytes} parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_too_many_shared_strings_are_refused_before_any_parser(monkeypatch):
    def no_parser(*args, **kwargs):
        raise AssertionError("openpyxl opened the file")

    monkeypatch.setattr("openpyxl.load_workbook", no_parser)
    rng = random.Random(1)
    entries = b"".join(
        b"<si><t>%s</t></si>" % rng.randbytes(6).hex().encode() for _ in range(200_001)
    )
    data = crafted_xlsx({"xl/sharedStrings.xml": b"<sst>" + entries + b"</sst>"})
    assert len(data) <= 5 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(SheetError, match="more than 200,000 different texts"):
        read_sheet(data, "bomb.xlsx")
    assert time.monotonic() - started < 2


def test_a_part_over_its_own_cap_is_refused(monkeypatch):
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: pytest.fail("parsed"))
    # Two letters at random: packs about 7:1, so the upload stays under 5 MB.
    big = (
        random.Random(2)
        .randbytes(31 * 1024 * 1024)
        .translate(bytes(b"ab"[i & 1] for i in range(256)))
    )
    data = crafted_xlsx({"xl/worksheets/sheet1.xml": big})
    assert len(data) <= 5 * 1024 * 1024
    with pytest.raises(SheetError, match=r"xl/worksheets/sheet1.xml\) unpacks to more than 30 MB"):
        read_sheet(data, "big.xlsx")
