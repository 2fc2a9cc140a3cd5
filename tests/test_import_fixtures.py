"""The import fixtures (tests/import_fixtures.py): each committed file is what the
generator writes, and the reader and the importer give each file's expected
result, cell by cell."""

import pytest
from django.utils import translation

from roles import models as m
from roles.interchange import importer
from roles.interchange.reader import Sheet, SheetError, read_sheet
from roles.raci import format_cell

from . import factories as f
from .import_fixtures import BY_NAME, FIXTURES, KINDS, content
from .import_jobs_helpers import apply, previewed

READABLE = [fixture.name for fixture in FIXTURES if not fixture.refused]
REFUSED = [fixture.name for fixture in FIXTURES if fixture.refused]


@pytest.fixture(autouse=True)
def english(settings):
    """Messages in English (the expected problems are English source strings)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def read(fixture):
    return read_sheet(fixture.path.read_bytes(), fixture.name)


@pytest.mark.parametrize("name", [fixture.name for fixture in FIXTURES])
def test_committed_file_is_what_the_generator_writes(name):
    fixture = BY_NAME[name]
    assert fixture.path.is_file(), f"{fixture.path} is missing: run python -m tests.import_fixtures"
    committed = content(fixture.path.read_bytes(), name)
    assert committed == content(fixture.data, name), (
        f"{name} differs from what tests/import_fixtures.py writes: "
        "run python -m tests.import_fixtures and commit the result"
    )


def test_every_file_in_the_folder_is_a_fixture():
    folder = FIXTURES[0].path.parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(BY_NAME)


@pytest.mark.parametrize("name", READABLE)
def test_reader_gives_the_expected_sheet(name):
    fixture = BY_NAME[name]
    sheet = read(fixture)
    assert sheet.layout == fixture.layout
    assert sheet.hats == fixture.hats
    if fixture.hat_groups is not None:
        assert sheet.hat_groups == fixture.hat_groups
    assert sheet.areas == fixture.areas
    assert [(t.area, t.name) for t in sheet.tasks] == fixture.task_keys()
    if fixture.sheet:
        assert sheet.name == fixture.sheet
    # Cell by cell: every hat of every task, the empty ones included.
    for t, (task, expected) in enumerate(zip(fixture.task_keys(), fixture.cells, strict=True)):
        got = [format_cell(sheet.cells.get((t, h), ())) for h in range(len(sheet.hats))]
        assert got == expected, f"row of {task[1]!r}"
    if fixture.descriptions is not None:
        assert [t.description for t in sheet.tasks] == fixture.descriptions
    if fixture.kinds is not None:
        assert [kind for kind, _cells in sheet.grid] == [KINDS[k] for k in fixture.kinds]
    assert Sheet.from_data(sheet.to_data()) == sheet
    assert len(sheet.problems) == len(fixture.problems), [p.message for p in sheet.problems]
    for problem, (row, column, words) in zip(sheet.problems, fixture.problems, strict=True):
        assert (problem.row, problem.column) == (row, column)
        assert words in problem.message


@pytest.mark.parametrize("name", REFUSED)
def test_reader_refuses_with_a_clear_message(name):
    fixture = BY_NAME[name]
    with pytest.raises(SheetError, match=fixture.refused):
        read(fixture)


def letters_in(org, plan):
    """The letters stored for each (sheet task, sheet hat) of an applied plan."""
    stored = {}
    for tid, hid, letter in m.Responsibility.objects.for_org(org).values_list(
        "task_id", "hat_id", "letter"
    ):
        stored.setdefault((tid, hid), set()).add(letter)
    return [
        [format_cell(stored.get((tid, hid), ())) for hid in plan.hat_ids] for tid in plan.task_ids
    ]


@pytest.mark.parametrize("name", READABLE)
def test_importer_stores_the_expected_matrix_and_twice_changes_nothing(db, name):
    fixture = BY_NAME[name]
    org = f.OrganisationFactory(slug="tom", name="Tom AB")
    summary = importer.apply(importer.plan(org, read(fixture)))
    assert summary["hats_new"] == len(fixture.hats)
    assert summary["areas_new"] == len(fixture.areas)
    assert summary["tasks_new"] == len(fixture.tasks)
    assert summary["cells_changed"] == sum(bool(c) for row in fixture.cells for c in row)

    again = importer.plan(org, read(fixture))
    assert not again.has_changes
    assert None not in again.hat_ids and None not in again.task_ids
    assert letters_in(org, again) == fixture.cells
    tasks = m.Task.objects.for_org(org).select_related("area").order_by("position")
    assert [(t.area.name if t.area else None, t.name) for t in tasks] == fixture.task_keys()
    if fixture.descriptions is not None:
        assert [t.description for t in tasks] == fixture.descriptions
    if fixture.hat_groups:
        hats = m.Hat.objects.for_org(org).select_related("function")
        pairs = {(h.function.name, h.title) for h in hats}
        assert pairs == set(zip(fixture.hat_groups, fixture.hats, strict=True))


@pytest.mark.parametrize("name", ["plain-matrix.csv", "sections.csv", "numbered-legend-below.xlsx"])
def test_through_the_import_page(world, as_admin, inline_jobs, name):
    fixture = BY_NAME[name]
    tasks_before = m.Task.objects.for_org(world.org).count()
    job, response = previewed(as_admin, world.org, fixture.path.read_bytes(), name)
    summary = response.context["data"]["summary"]
    filled = sum(bool(c) for row in fixture.cells for c in row)
    assert summary["hats_new"] == len(fixture.hats)
    assert summary["tasks_new"] == len(fixture.tasks)
    assert summary["areas_new"] == len(fixture.areas)
    assert summary["cells_changed"] == filled
    assert m.Task.objects.for_org(world.org).count() == tasks_before  # the preview writes nothing
    _applied, response = apply(as_admin, job)
    assert f"{len(fixture.tasks)} new tasks" in response.content.decode()
    assert m.Task.objects.for_org(world.org).count() == tasks_before + len(fixture.tasks)
    assert m.CellChange.objects.for_org(world.org).count() == filled
