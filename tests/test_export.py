"""Matrix export (XLSX, CSV), its round trip through the importer, and the handbook PDF."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from roles import models as m
from roles.interchange import exporter, importer
from roles.interchange.reader import read_sheet

from . import factories as f
from .test_import import counts


@pytest.fixture(autouse=True)
def english(settings):
    """Pages and messages in English (the texts tested are English source strings)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def url(name, org, **params):
    base = reverse(f"roles:{name}", kwargs={"org": org.slug})
    if params:
        base += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return base


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(response.content))


def structure(org):
    """What the matrix looks like, without ids: hats, areas, tasks and cells in order."""
    hats = [
        (h.function.name, h.title)
        for h in m.Hat.objects.for_org(org).select_related("function").order_by("position", "id")
    ]
    areas = [a.name for a in m.Area.objects.for_org(org)]
    tasks = [
        (t.area.name if t.area else None, t.name)
        for t in m.Task.objects.for_org(org).select_related("area")
    ]
    cells = {}
    for task, area, hat, letter in m.Responsibility.objects.for_org(org).values_list(
        "task__name", "task__area__name", "hat__title", "letter"
    ):
        cells.setdefault((area, task, hat), set()).add(letter)
    return sorted(hats), areas, sorted(tasks, key=str), cells


@pytest.fixture
def rich(world):
    """The world plus a task without an area, a task without letters and an empty hat."""
    org = world.org
    f.TaskFactory(org=org, area=None, name="Loose task")
    f.ResponsibilityFactory(
        org=org, task=m.Task.objects.for_org(org).get(name="Loose task"), hat=world.hat, letter="A"
    )
    f.TaskFactory(org=org, area=world.area, name="Nothing yet")
    two = f.TaskFactory(org=org, area=f.AreaFactory(org=org, name="Offert"), name="Priser")
    f.ResponsibilityFactory(org=org, task=two, hat=world.hat, letter="A")
    f.ResponsibilityFactory(org=org, task=two, hat=world.hat, letter="R")
    f.ResponsibilityFactory(org=org, task=two, hat=world.other_hat, letter="A")
    f.HatFactory(org=org, function=world.sales, title="Empty hat")
    return world


def test_xlsx_layout(rich, as_member):
    response = as_member.get(url("matrix-xlsx", rich.org))
    assert response.status_code == 200
    assert '.xlsx"; filename*=' in response["Content-Disposition"]
    book = workbook(response)
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "B3"
    titles = [c.value for c in sheet[2]]
    assert titles[0] == "Task" and titles[-1] == "Status"
    assert {"Innesäljare", "Ekonomichef", "Empty hat"} <= set(titles)
    functions = [c.value for c in sheet[1] if c.value]
    assert rich.team.name in functions and rich.other.name in functions
    validations = sheet.data_validations.dataValidation
    assert validations and '"R,A,A/R,C,I' in validations[0].formula1
    first_col = [r[0].value for r in sheet.iter_rows(min_row=3)]
    assert first_col.index("Loose task") < first_col.index("Prospektering")
    assert "Offert" in first_col
    assert len(book.sheetnames) == 3  # matrix, legend, problems
    legend = [r[0].value for r in book.worksheets[1].iter_rows(min_row=2)]
    assert legend == ["R", "A", "A/R", "C", "I", "-"]  # no stray quote before "-"
    problems = [r[1].value for r in book.worksheets[2].iter_rows(min_row=2)]
    assert "Priser" in problems


def test_csv_has_bom_and_sections(rich, as_member):
    response = as_member.get(url("matrix-csv", rich.org))
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "\r\nProspektering," in text
    assert "Boka möten" in text


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_round_trip_into_the_same_org_changes_nothing(rich, as_member, kind):
    data = as_member.get(url(f"matrix-{kind}", rich.org)).content
    before = counts(rich.org)
    plan = importer.plan(rich.org, read_sheet(data, f"export.{kind}"))
    assert not plan.has_changes, (plan.hats_new, plan.areas_new, plan.tasks_new, plan.changes)
    importer.apply(plan)
    assert counts(rich.org) == before


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_round_trip_into_an_empty_org_recreates_the_matrix(rich, as_member, kind):
    data = as_member.get(url(f"matrix-{kind}", rich.org)).content
    empty = f.OrganisationFactory(slug=f"copy-{kind}")
    importer.apply(importer.plan(empty, read_sheet(data, f"export.{kind}")))
    assert structure(empty) == structure(rich.org)
    # and the copy exports to the same file
    again = exporter.to_csv(exporter.build(empty))
    assert again == exporter.to_csv(exporter.build(rich.org))


def test_formula_injection_is_neutralised(world, as_member):
    org = world.org
    evil_hat = f.HatFactory(org=org, function=world.team, title="@SUM(A1)")
    evil_area = f.AreaFactory(org=org, name="+cmd|' /C calc'!A0")
    task = f.TaskFactory(org=org, area=evil_area, name='=HYPERLINK("http://x","y")')
    f.TaskFactory(org=org, area=evil_area, name="-2+3")
    f.TaskFactory(org=org, area=evil_area, name="\tTab")
    f.ResponsibilityFactory(org=org, task=task, hat=evil_hat, letter="A")

    text = as_member.get(url("matrix-csv", org)).content.decode("utf-8-sig")
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == "-"
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'+cmd" in text and "'-2+3" in text

    sheet = workbook(as_member.get(url("matrix-xlsx", org))).worksheets[0]
    values = {}
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                values[cell.value] = cell.data_type
                assert not cell.value.startswith(("=", "+", "@", "\t", "\r"))
    assert values['\'=HYPERLINK("http://x","y")'] == "s"
    assert values["'@SUM(A1)"] == "s"
    assert values["'-2+3"] == "s"
    # and a round trip keeps the names as they were
    data = as_member.get(url("matrix-xlsx", org)).content
    assert not importer.plan(org, read_sheet(data, "x.xlsx")).has_changes


def test_filters(rich, as_member):
    def hats(**params):
        sheet = workbook(as_member.get(url("matrix-xlsx", rich.org, **params))).worksheets[0]
        return [c.value for c in sheet[2]][1:-1], [r[0].value for r in sheet.iter_rows(min_row=3)]

    titles, _rows = hats(function=rich.sales.id)
    assert "Innesäljare" in titles and "Ekonomichef" not in titles
    _titles, rows = hats(area=rich.area.id)
    assert rows == ["Prospektering", "Boka möten", "Nothing yet"]
    _titles, rows = hats(area="none")
    assert rows == ["Loose task"]
    _titles, rows = hats(problems=1)
    assert "Priser" in rows and "Boka möten" not in rows
    titles, _rows = hats(person=rich.member.id)
    assert titles == ["Innesäljare"]
    titles, _rows = hats(function="junk", area="", person="x")
    assert "Ekonomichef" in titles


def test_export_access(world, as_member, as_outsider, client):
    for name in ("matrix-xlsx", "matrix-csv", "handbook-pdf"):
        assert as_member.get(url(name, world.org)).status_code == 200
        assert as_outsider.get(url(name, world.org)).status_code == 404
        response = client.get(url(name, world.org))
        assert response.status_code == 302 and "login" in response["Location"]


def test_export_queries_do_not_grow(world, as_member, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        as_member.get(url("matrix-xlsx", world.org))
    for i in range(15):
        hat = f.HatFactory(org=world.org, function=world.team, title=f"Hat {i}")
        task = f.TaskFactory(org=world.org, area=world.area, name=f"Task {i}")
        f.ResponsibilityFactory(org=world.org, task=task, hat=hat, letter="A")
    with django_assert_max_num_queries(12):
        as_member.get(url("matrix-xlsx", world.org))
    with django_assert_max_num_queries(12):
        as_member.get(url("matrix-csv", world.org))


def test_handbook_pdf(rich):
    from roles.interchange.handbook import render_pdf_in_parts

    m.KPI.objects.create(hat=rich.hat, name="Möten per vecka", target="10")
    assert render_pdf_in_parts(rich.org).startswith(b"%PDF")


def test_handbook_html_lists_every_hat_with_contents(rich):
    from roles.interchange.handbook import render_html

    html = render_html(rich.org)
    assert html.count('href="#hat-') == m.Hat.objects.for_org(rich.org).count()
    for hat in m.Hat.objects.for_org(rich.org):
        assert f'id="hat-{hat.id}"' in html


def test_control_characters_do_not_break_the_export(world, as_member):
    f.TaskFactory(org=world.org, area=world.area, name="Bell\x07 and\x1f unit")
    f.HatFactory(org=world.org, function=world.team, title="Hat\x0b")
    sheet = workbook(as_member.get(url("matrix-xlsx", world.org))).worksheets[0]
    names = [r[0].value for r in sheet.iter_rows(min_row=3)]
    assert "Bell and unit" in names
    assert as_member.get(url("matrix-csv", world.org)).status_code == 200
    from roles.interchange.handbook import render_pdf_in_parts

    assert render_pdf_in_parts(world.org).startswith(b"%PDF")
