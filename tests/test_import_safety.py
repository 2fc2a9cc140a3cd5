"""What an import may not do silently: give a task a second A, or apply
anything other than the preview the user saw."""

import io

import pytest
from django.core.management import call_command
from django.utils.functional import Promise

from roles import interchange
from roles import models as m
from roles.interchange import importer
from roles.interchange.reader import read_sheet

from . import factories as f
from .import_jobs_helpers import apply, previewed

pytestmark = pytest.mark.usefixtures("inline_jobs")


def preview(client, org, data, name="s.csv"):
    """The preview page of `data`, read by its job."""
    return previewed(client, org, data.encode(), name)


def letters(task):
    out = {}
    for title, letter in task.responsibilities.values_list("hat__title", "letter"):
        out.setdefault(title, set()).add(letter)
    return out


@pytest.fixture
def outside(world):
    """A hat outside the sheets below holds the A of "Boka möten"; "Ny hatt" is
    the sheet's only column."""
    f.HatFactory(org=world.org, function=world.sales, title="Ny hatt")
    return world


# A second A -----------------------------------------------------------------------------
def test_an_a_outside_the_sheet_moves_and_the_preview_says_so(outside, as_admin):
    org = outside.org
    job, response = preview(as_admin, org, "Task,Ny hatt\nProspektering,\nBoka möten,A\n")
    summary = response.context["data"]["summary"]
    assert summary["cells_changed"] == 2  # Ny hatt gets A; Ekonomichef loses it
    assert summary["a_moved"] == 1
    [problem] = summary["problems"]
    assert "already has A on Ekonomichef" in problem["message"]
    assert "A moves from Ekonomichef to Ny hatt" in problem["message"]
    assert (problem["sheet"], problem["row"], problem["column"]) == ("s", 3, "B")
    assert "A moves from Ekonomichef to Ny hatt" in response.content.decode()

    apply(as_admin, job)
    task = m.Task.objects.for_org(org).get(name="Boka möten")
    assert letters(task) == {"Innesäljare": {"R"}, "Ny hatt": {"A"}}
    moved = m.CellChange.objects.for_org(org).get(task=task, hat=outside.other_hat)
    assert (moved.old, moved.new, moved.note) == ("A", "", "A → Ny hatt")
    given = m.CellChange.objects.for_org(org).get(task=task, hat__title="Ny hatt")
    assert (given.old, given.new, given.note) == ("", "A", importer.NOTE)


def test_demo_repro_gives_no_second_a(db):
    call_command("demo", password="demo12345", stdout=io.StringIO())
    org = m.Organisation.objects.get(slug="nordisk")
    data = "Task,Marknadschef\nProspektering,\nBoka kundmöten,A\n".encode()
    plan = importer.plan(org, read_sheet(data, "x.csv"))
    assert len(plan.changes) == 2
    assert any("a second A" in p.message for p in plan.problems)
    importer.apply(plan)
    task = m.Task.objects.for_org(org).get(name="Boka kundmöten")
    assert [t for t, cell in letters(task).items() if "A" in cell] == ["Marknadschef"]
    # Importing it again changes nothing and reports no A.
    again = importer.plan(org, read_sheet(data, "x.csv"))
    assert not again.changes and not any("A" in p.message for p in again.problems)


def test_a_sheet_with_two_as_is_imported_as_written_and_still_moves_the_outside_a(outside):
    org = outside.org
    f.HatFactory(org=org, function=outside.sales, title="Tredje")
    data = "Task,Ny hatt,Tredje\nProspektering,,\nBoka möten,A,A\n".encode()
    plan = importer.plan(org, read_sheet(data, "s.csv"))
    messages = [p.message for p in plan.problems]
    assert any("2 A's" in msg for msg in messages)  # the sheet's own, from the reader
    assert any("A moves from Ekonomichef to Ny hatt" in msg for msg in messages)
    importer.apply(plan)
    task = m.Task.objects.for_org(org).get(name="Boka möten")
    assert letters(task) == {"Innesäljare": {"R"}, "Ny hatt": {"A"}, "Tredje": {"A"}}


def test_an_a_the_sheet_does_not_give_stays_and_is_reported(outside):
    """The import writes no A here, so nothing moves; the task's two A's (one
    already in the data) are reported."""
    org = outside.org
    task = m.Task.objects.for_org(org).get(name="Boka möten")
    hat = m.Hat.objects.for_org(org).get(title="Ny hatt")
    f.ResponsibilityFactory(org=org, task=task, hat=hat, letter="A")
    plan = importer.plan(
        org, read_sheet("Task,Ny hatt\nProspektering,\nBoka möten,A\n".encode(), "s.csv")
    )
    assert not plan.changes
    assert any("will have A on Ny hatt, Ekonomichef" in p.message for p in plan.problems)


def test_new_tasks_and_c_letters_move_nothing(outside):
    org = outside.org
    data = "Task,Ny hatt\nProspektering,\nBoka möten,C\nHelt ny,A\n".encode()
    plan = importer.plan(org, read_sheet(data, "s.csv"))
    assert not plan.moves
    importer.apply(plan)
    task = m.Task.objects.for_org(org).get(name="Boka möten")
    assert letters(task)["Ekonomichef"] == {"A"}


# Apply what was shown ------------------------------------------------------------------
def test_apply_refuses_when_the_matrix_changed_since_the_preview(world, as_admin):
    org = world.org
    job, response = preview(as_admin, org, "Task,Innesäljare\nProspektering,\nBoka möten,A/R\n")
    assert (
        response.context["data"]["summary"]["cells_changed"] == 2
    )  # A/R here, A leaves Ekonomichef
    # Someone changes the matrix in between: the A leaves Ekonomichef by hand.
    task = m.Task.objects.for_org(org).get(name="Boka möten")
    m.Responsibility.objects.for_org(org).filter(task=task, hat=world.other_hat).delete()
    before = set(m.Responsibility.objects.for_org(org).values_list("task_id", "hat_id", "letter"))

    stale, response = apply(as_admin, job)
    assert response.status_code == 409
    page = response.content.decode()
    assert "The matrix changed since the preview; review the new preview." in page
    assert response.context["data"]["summary"]["cells_changed"] == 1  # the new preview
    after = set(m.Responsibility.objects.for_org(org).values_list("task_id", "hat_id", "letter"))
    assert after == before

    # Applying the new preview works.
    _applied, response = apply(as_admin, stale)
    assert response.context["data"]["kind"] == "applied"
    assert letters(task) == {"Innesäljare": {"A", "R"}}


def test_apply_without_changes_in_between_applies(world, as_admin):
    org = world.org
    job, _response = preview(as_admin, org, "Task,Innesäljare\nProspektering,\nBoka möten,A/R\n")
    _applied, response = apply(as_admin, job)
    assert response.context["data"]["kind"] == "applied"
    task = m.Task.objects.for_org(org).get(name="Boka möten")
    assert letters(task) == {"Innesäljare": {"A", "R"}}


def test_fingerprint_follows_the_planned_writes(world):
    data = "Task,Innesäljare\nProspektering,\nBoka möten,A/R\n".encode()
    first = importer.plan(world.org, read_sheet(data, "s.csv")).fingerprint()
    assert importer.plan(world.org, read_sheet(data, "s.csv")).fingerprint() == first
    task = m.Task.objects.for_org(world.org).get(name="Boka möten")
    f.ResponsibilityFactory(org=world.org, task=task, hat=world.hat, letter="C")
    assert importer.plan(world.org, read_sheet(data, "s.csv")).fingerprint() != first


# History notes -------------------------------------------------------------------------
def test_the_import_note_is_a_stable_code_with_a_translatable_label():
    assert importer.NOTE == "import"
    assert set(interchange.NOTE_LABELS) >= {"import", "undo"}
    assert interchange.note_label("import") == interchange.NOTE_LABELS["import"]
    assert isinstance(interchange.NOTE_LABELS["import"], Promise)  # gettext_lazy
    assert interchange.note_label("A → Säljare") == "A → Säljare"
