"""Importing sheets into an organisation: preview, apply, idempotence, the page
and the command."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from roles import models as m
from roles.interchange import importer
from roles.interchange.reader import read_sheet

from . import factories as f
from .import_jobs_helpers import (
    apply,
    job_of,
    page_url,
    previewed,
    upload,
)
from .jobs_helpers import drain
from .test_import_reader import BAD


@pytest.fixture(autouse=True)
def english(settings):
    """Pages and messages in English (the texts tested are English source strings)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def counts(org):
    return {
        "functions": m.Function.objects.for_org(org).count(),
        "hats": m.Hat.objects.for_org(org).count(),
        "areas": m.Area.objects.for_org(org).count(),
        "tasks": m.Task.objects.for_org(org).count(),
        "letters": m.Responsibility.objects.for_org(org).count(),
        "history": m.CellChange.objects.for_org(org).count(),
    }


def do_import(org, data, name, function=None):
    return importer.apply(importer.plan(org, read_sheet(data, name), function))


def matrix_of(org):
    cells = {}
    for task, hat, letter in m.Responsibility.objects.for_org(org).values_list(
        "task_id", "hat_id", "letter"
    ):
        cells.setdefault(task, {}).setdefault(hat, set()).add(letter)
    return cells


@pytest.fixture
def empty_org(db):
    return f.OrganisationFactory(slug="tom", name="Tom AB")


# Matching and changes ------------------------------------------------------------------
def test_matches_hats_and_tasks_and_reports_changes(world):
    data = "Task,  innesäljare ,EKONOMICHEF\nProspektering,,\nBoka möten,A/R,C\nNy uppgift,R,A\n"
    plan = importer.plan(world.org, read_sheet(data.encode(), "x.csv"))
    assert plan.hats_new == [] and plan.areas_new == []
    assert [t.name for t in plan.tasks_new] == ["Ny uppgift"]
    changed = {(c.task_name, c.hat_name): (c.old_text, c.new_text) for c in plan.changes}
    assert changed[("Boka möten", "innesäljare")] == ("R", "A/R")
    assert changed[("Boka möten", "EKONOMICHEF")] == ("A", "C")
    before = counts(world.org)
    importer.apply(plan, author=world.admin)
    after = counts(world.org)
    assert after["tasks"] == before["tasks"] + 1
    assert after["hats"] == before["hats"]
    history = m.CellChange.objects.for_org(world.org).filter(task=world.task, hat=world.hat).get()
    assert (history.old, history.new, history.note, history.author) == (
        "R",
        "A/R",
        "import",
        world.admin,
    )


def test_new_hats_go_to_the_chosen_function(world):
    data = b"Task,Brand new hat\nSomething,A/R\n"
    importer.apply(importer.plan(world.org, read_sheet(data, "x.csv"), world.sales))
    hat = m.Hat.objects.for_org(world.org).get(title="Brand new hat")
    assert hat.function == world.sales


def test_without_a_function_new_hats_go_to_the_top_function(world):
    """Not a new headless "Imported" function: the organisation's first top-level
    function, which the map shows with its head. Only an organisation without any
    function gets an "Imported" one."""
    importer.apply(importer.plan(world.org, read_sheet(b"Task,Nyhatt\nX,A/R\n", "x.csv")))
    hat = m.Hat.objects.for_org(world.org).get(title="Nyhatt")
    top = m.Function.objects.for_org(world.org).filter(parent=None).order_by("position").first()
    assert hat.function == top
    assert not m.Function.objects.for_org(world.org).filter(name="Imported").exists()


def test_import_killed_halfway_writes_nothing(world, monkeypatch):
    data = b"Task,Innesaljare 2,Ekonomichef\nArea X,,\nNew task,R,A\nBoka mo,C,I\n"
    plan = importer.plan(world.org, read_sheet(data, "x.csv"))
    before = counts(world.org)

    def boom(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(m.CellChange.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        importer.apply(plan)
    assert counts(world.org) == before


# The page --------------------------------------------------------------------------------
def test_import_page_preview_then_apply(world, as_admin, inline_jobs):
    slug = world.org.slug
    assert as_admin.get(reverse("roles:matrix-import", kwargs={"org": slug})).status_code == 200
    data = b"Task,Innes\xc3\xa4ljare,Ny hatt\nNytt omr\xc3\xa5de,,\nNy uppgift,R,A\n"
    job, response = previewed(as_admin, world.org, data, "sheet.csv", function=world.sales.id)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ny hatt" in page and "Ny uppgift" in page and "Nytt område" in page
    assert not m.Task.objects.for_org(world.org).filter(name="Ny uppgift").exists()
    applied, response = apply(as_admin, job)
    assert response.context["data"]["kind"] == "applied"
    task = m.Task.objects.for_org(world.org).get(name="Ny uppgift")
    assert task.area.name == "Nytt område"
    assert m.Hat.objects.for_org(world.org).get(title="Ny hatt").function == world.sales
    # Applying the same preview again changes nothing: the plan is the same, the
    # matrix already matches it.
    before = counts(world.org)
    again, response = apply(as_admin, job)
    assert response.context["data"]["stale"]
    assert not response.context["data"]["has_changes"]
    assert counts(world.org) == before


def test_apply_works_on_another_app_server(world, as_admin, inline_jobs):
    """The preview lives with its job in the database, not in the process or session."""
    job, _response = previewed(as_admin, world.org, b"Task,Innesaljare X\nT1,A/R\n", "s.csv")
    from django.test import Client

    second = Client(raise_request_exception=True)
    second.force_login(world.admin.user)  # another session of the same person
    apply(second, job)
    assert m.Task.objects.for_org(world.org).filter(name="T1").exists()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_on_the_page_give_a_message(world, as_admin, inline_jobs, case):
    """Refused in the request (size, kind, zip parts) or by the reading job, with
    the reader's message either way; nothing is written."""
    data, name, expected = BAD[case]
    before = counts(world.org)
    response = upload(as_admin, world.org, data, name)
    if response.status_code == 200:
        assert response.context["form"].errors
    else:
        job = job_of(response)
        drain()
        job.refresh_from_db()
        assert job.state == m.Job.FAILED and job.error
        assert job.error in as_admin.get(page_url(job)).content.decode()
    assert counts(world.org) == before


def test_function_of_another_org_is_refused(world, other_world, as_admin, inline_jobs):
    response = upload(as_admin, world.org, b"Task,X\nT,A\n", "s.csv", function=other_world.sales.id)
    assert response.context["form"].errors["function"]


def test_import_access(world, as_manager, as_member, as_outsider, client, inline_jobs):
    url = reverse("roles:matrix-import", kwargs={"org": world.org.slug})
    assert as_manager.get(url).status_code == 403
    assert as_member.get(url).status_code == 403
    assert as_outsider.get(url).status_code == 404
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


# The command -------------------------------------------------------------------------
def test_command_preview_json_writes_nothing(world, tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_bytes(b"Task,Innesaljare Y\nT1,A/R\nT2,R\n")
    before = counts(world.org)
    call_command("import_matrix", world.org.slug, str(path), "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert out["hats_new"] == 1 and out["tasks_new"] == 2 and out["cells_changed"] == 2
    assert out["problems"] == [
        {"sheet": "s", "row": 3, "column": None, "message": out["problems"][0]["message"]}
    ]
    assert counts(world.org) == before


def test_command_apply_and_function(world, tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_bytes(b"Task,Innesaljare Y\nT1,A/R\n")
    call_command(
        "import_matrix",
        world.org.slug,
        str(path),
        "--apply",
        "--function",
        world.sales.name,
        "--language",
        "en",
    )
    assert "Imported" in capsys.readouterr().out
    assert m.Hat.objects.for_org(world.org).get(title="Innesaljare Y").function == world.sales


@pytest.mark.parametrize("case", list(BAD))
def test_command_fails_on_bad_files(world, tmp_path, case):
    data, name, expected = BAD[case]
    path = tmp_path / name
    path.write_bytes(data)
    before = counts(world.org)
    with pytest.raises(CommandError):
        call_command("import_matrix", world.org.slug, str(path), "--apply")
    assert counts(world.org) == before


def test_command_exit_status_is_non_zero(world, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "x.xlsx"
    path.write_bytes(b"garbage")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_matrix", "nosuchorg", str(path)],
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0


def test_preview_queries_do_not_grow(world, as_admin, inline_jobs, django_assert_max_num_queries):
    data = b"Task,Innesaljare,Ekonomichef\nBoka moten,R,A\n"
    job, _page = previewed(as_admin, world.org, data, "s.csv")
    with django_assert_max_num_queries(12):
        as_admin.get(page_url(job))
    for i in range(20):
        hat = f.HatFactory(org=world.org, function=world.team, title=f"Hat {i}")
        task = f.TaskFactory(org=world.org, area=world.area, name=f"Task {i}")
        f.ResponsibilityFactory(org=world.org, task=task, hat=hat, letter="A")
        f.FunctionFactory(org=world.org, name=f"Function {i}")
        f.AreaFactory(org=world.org, name=f"Area {i}")
    with django_assert_max_num_queries(12):
        as_admin.get(page_url(job))
    with django_assert_max_num_queries(12):
        upload(as_admin, world.org, data, "s.csv")
