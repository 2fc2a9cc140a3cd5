"""Sheets with function names above the hats: a column is a (function, hat)
pair, so the same title under two functions is two hats, in the reader and in
the importer. Sheets without that row keep the title rule."""

import pytest
from django.utils import translation

from roles import models as m
from roles.interchange import exporter, importer
from roles.interchange.reader import read_sheet

from . import factories as f
from .test_import_reader import xlsx


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def read_csv(text):
    return read_sheet(text.encode(), "s.csv")


GROUPED = (
    ",North,,South,\nTask,Seller,Boss,Seller,Boss\nOffers,R,A,,\nVisits,,,A/R,C\nOnly south,,,,A\n"
)


# Reader -------------------------------------------------------------------------------
def test_same_title_under_two_functions_is_two_columns():
    sheet = read_csv(GROUPED)
    assert sheet.hats == ["Seller", "Boss", "Seller", "Boss"]
    assert sheet.hat_groups == ["North", "North", "South", "South"]
    assert sheet.hat_columns == ["B", "C", "D", "E"]
    assert [t.name for t in sheet.tasks] == ["Offers", "Visits", "Only south"]
    assert sheet.areas == []
    assert sheet.cells[(1, 2)] == frozenset("AR")
    assert sheet.cells[(2, 3)] == frozenset("A")
    assert not [p for p in sheet.problems if "twice" in p.message]


def test_same_title_twice_under_one_function_keeps_the_first():
    sheet = read_csv(",North,,\nTask,Seller,seller,Boss\nOffers,R,C,A\n")
    assert sheet.hats == ["Seller", "Boss"]
    assert sheet.hat_groups == ["North", "North"]
    assert sheet.cells[(0, 0)] == frozenset("R")
    [problem] = [p for p in sheet.problems if "twice" in p.message]
    assert problem.column == "C" and "North" in problem.message


def test_xlsx_with_merged_function_cells_reads_like_the_csv():
    data = xlsx(
        [
            [None, "North", None, "South", None],
            ["Task", "Seller", "Boss", "Seller", "Boss"],
            ["Offers", "R", "A", None, None],
            ["Visits", None, None, "A/R", "C"],
            ["Only south", None, None, None, "A"],
        ]
    )
    from_xlsx, from_csv = read_sheet(data, "s.xlsx"), read_csv(GROUPED)
    assert (from_xlsx.hats, from_xlsx.hat_groups) == (from_csv.hats, from_csv.hat_groups)
    assert from_xlsx.tasks == from_csv.tasks and from_xlsx.cells == from_csv.cells


def test_a_function_named_like_letters_is_still_a_function():
    sheet = read_csv(",CI,Sales\nTask,Engineer,Engineer\nBuild,A/R,I\n")
    assert sheet.hats == ["Engineer", "Engineer"]
    assert sheet.hat_groups == ["CI", "Sales"]
    assert read_csv(",R,A\nTask,Seller,Boss\nOffers,R,A\n").hat_groups == [None, None]


def test_without_a_function_row_a_duplicate_name_keeps_the_first():
    sheet = read_csv("Task,Seller,Boss,Seller\nOffers,R,A,C\n")
    assert sheet.hats == ["Seller", "Boss"]
    assert sheet.hat_groups == [None, None]
    assert sheet.cells == {(0, 0): frozenset("R"), (0, 1): frozenset("A")}
    assert any("appears twice" in p.message for p in sheet.problems)
    assert read_csv("Task,Seller,Boss,Seller\nOffers,R,A,C\n").to_data() == sheet.to_data()


def test_letters_only_in_a_skipped_column_leave_the_row_a_task():
    sheet = read_csv("Task,Seller,Boss,Seller\nOffers,,,A\nVisits,R,A,\n")
    assert sheet.areas == []
    assert [(t.area, t.name) for t in sheet.tasks] == [(None, "Offers"), (None, "Visits")]


@pytest.mark.parametrize(
    "text",
    [
        "Task,Seller,Boss\nTask 0,R,A\nTask 1,A,C\n",
        "Task,Seller,Boss\nTask 0,R,A\n",
        "Uppgift,Säljare,Chef\nUppgift 1,R,A\nUppgift 2,I,A/R\n",
    ],
)
def test_a_task_row_with_letters_is_not_a_list_header(text):
    sheet = read_csv(text)
    assert sheet.layout == "matrix"
    assert len(sheet.hats) == 2
    assert sheet.tasks[0].name in {"Task 0", "Uppgift 1"}
    assert sheet.cells[(0, 0)] == frozenset("R") and sheet.cells[(0, 1)] == frozenset("A")


@pytest.mark.parametrize(
    "header",
    [
        "Task,Responsible,Accountable",
        "Uppgift,Utförare,Ansvarig",
        "Task,R - Responsible,A (Accountable)",
        "Activity,Responsible (R),Accountable (A)",
    ],
)
def test_list_headers_are_named_columns(header):
    sheet = read_csv(f"{header}\nOffers,Seller,Boss\n")
    assert sheet.layout == "list"
    assert sheet.hats == ["Seller", "Boss"]
    assert sheet.cells == {(0, 0): frozenset("R"), (0, 1): frozenset("A")}


# Importer -----------------------------------------------------------------------------
@pytest.fixture
def twins(db):
    """North and South, each with a Seller and a Boss; South's Seller comes first."""
    org = f.OrganisationFactory(slug="twins")
    south = f.FunctionFactory(org=org, name="South", position=1)
    north = f.FunctionFactory(org=org, name="North", position=2)
    hats = {
        (fn.name, title): f.HatFactory(org=org, function=fn, title=title)
        for fn in (south, north)
        for title in ("Seller", "Boss")
    }
    return org, hats


def letters(org):
    return set(
        m.Responsibility.objects.for_org(org).values_list(
            "hat__function__name", "hat__title", "task__name", "letter"
        )
    )


def test_hats_are_matched_by_function_and_title(twins):
    org, hats = twins
    plan = importer.plan(org, read_csv(GROUPED))
    assert plan.hat_ids == [
        hats["North", "Seller"].id,
        hats["North", "Boss"].id,
        hats["South", "Seller"].id,
        hats["South", "Boss"].id,
    ]
    assert plan.hats_new == [] and plan.functions_new == []
    assert not [p for p in plan.problems if "Several hats" in p.message]
    importer.apply(plan)
    assert letters(org) == {
        ("North", "Seller", "Offers", "R"),
        ("North", "Boss", "Offers", "A"),
        ("South", "Seller", "Visits", "A"),
        ("South", "Seller", "Visits", "R"),
        ("South", "Boss", "Visits", "C"),
        ("South", "Boss", "Only south", "A"),
    }
    assert not importer.plan(org, read_csv(GROUPED)).has_changes


def test_a_hat_missing_from_its_function_falls_back_to_an_unclaimed_title(twins):
    org, hats = twins
    m.Function.objects.for_org(org).filter(name="North").update(name="Norr")  # renamed since
    plan = importer.plan(org, read_csv(GROUPED))
    assert plan.hat_ids == [
        hats["North", "Seller"].id,
        hats["North", "Boss"].id,
        hats["South", "Seller"].id,
        hats["South", "Boss"].id,
    ]
    messages = [p.message for p in plan.problems]
    assert "There is no hat “Seller” in North; the one in Norr is used." in messages


def test_a_new_function_gets_its_own_hat_of_a_known_title(twins):
    org, hats = twins
    sheet = read_csv(",North,South,East\nTask,Seller,Seller,Seller\nOffers,R,C,A\n")
    plan = importer.plan(org, sheet)
    assert plan.hat_ids[:2] == [hats["North", "Seller"].id, hats["South", "Seller"].id]
    assert plan.hat_ids[2] is None and plan.functions_new == ["East"]
    importer.apply(plan)
    assert ("East", "Seller", "Offers", "A") in letters(org)


def test_without_a_function_row_the_title_decides_as_before(twins):
    org, hats = twins
    plan = importer.plan(org, read_csv("Task,Seller,Boss\nOffers,R,A\n"))
    assert plan.hat_ids == [hats["South", "Seller"].id, hats["South", "Boss"].id]
    assert any("Several hats are called “Seller”" in p.message for p in plan.problems)


def test_a_chosen_function_never_gets_two_hats_of_one_title(db):
    org = f.OrganisationFactory(slug="chosen")
    target = f.FunctionFactory(org=org, name="Target")
    sheet = read_csv(",North,South\nTask,Seller,Seller\nOffers,R,A\n")
    plan = importer.plan(org, sheet, function=target)
    assert plan.hats_new == ["Seller", "Seller (South)"]
    importer.apply(plan)
    titles = set(m.Hat.objects.for_org(org).values_list("function__name", "title"))
    assert titles == {("Target", "Seller"), ("Target", "Seller (South)")}
    assert any("already has a hat “Seller”" in p.message for p in plan.problems)


def test_the_csv_export_carries_the_function_row(twins):
    org, _hats = twins
    text = exporter.to_csv(exporter.build(org)).decode("utf-8-sig")
    first, second = text.splitlines()[:2]
    assert first.split(",")[1:4] == ["South", "", "North"]
    assert second.startswith("Task,")


def test_a_renamed_title_fits_the_column_even_when_long(db):
    org = f.OrganisationFactory(slug="long")
    target = f.FunctionFactory(org=org, name="Target")
    long = "S" * 200
    f.HatFactory(org=org, function=target, title=long)
    f.HatFactory(org=org, function=target, title="Seller")
    sheet = read_csv(f",North,South\nTask,{long},{long}\nOffers,R,A\n")
    plan = importer.plan(org, sheet, function=target)
    assert plan.hat_ids[0] is not None and plan.hat_ids[1] is None
    [title] = plan.hats_new
    assert len(title) == 200 and title.endswith(" (South)")
    importer.apply(plan)
    assert m.Hat.objects.for_org(org).filter(function=target).count() == 3
