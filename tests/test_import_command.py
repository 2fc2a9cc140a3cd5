"""manage.py import_matrix speaks the organisation's language (or --language),
names the sheet, row and column of each problem, and leaves stderr to its own
messages: no library warning leaks through."""

import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from bench.import_cost import migrated_database
from roles import models as m

from .import_fixtures import BY_NAME


@pytest.fixture
def swedish_org(world):
    world.org.language = "sv"
    world.org.save(update_fields=["language"])
    return world.org


def test_messages_follow_the_organisation_or_the_option(swedish_org, tmp_path, capsys):
    path = tmp_path / "big.csv"
    path.write_bytes(b"Task,Seller\n" + b"x" * (6 * 1024 * 1024))
    with pytest.raises(CommandError, match="Filen är för stor"):
        call_command("import_matrix", swedish_org.slug, str(path))
    with pytest.raises(CommandError, match="The file is too large"):
        call_command("import_matrix", swedish_org.slug, str(path), "--language", "en")

    call_command("import_matrix", swedish_org.slug, str(BY_NAME["two-as.csv"].path))
    out = capsys.readouterr().out
    assert "Förhandsvisning av bladet ”two-as”" in out
    assert "two-as, rad 2, kolumn –: 2 A" in out
    assert "Inget skrevs" in out


def test_json_keys_and_problem_places(swedish_org, tmp_path, capsys):
    fixture = BY_NAME["unsaved-formulas.xlsx"]
    call_command("import_matrix", swedish_org.slug, str(fixture.path), "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {
        "hats_new",
        "areas_new",
        "tasks_new",
        "cells_changed",
        "cells_unchanged",
        "problems",
    }
    places = [(p["sheet"], p["row"], p["column"]) for p in out["problems"]]
    assert places == [("RACI", 2, "D"), ("RACI", 3, "B"), ("RACI", 3, "D")]
    assert all("formel" in p["message"] for p in out["problems"])


def test_options_for_the_choices_and_again_nothing_changes(world, tmp_path, capsys):
    path = tmp_path / "raci.csv"
    path.write_bytes(
        "Task,Säljare Nord,Ekonomi,Kundtjänst\nBoka möten,A/R,I,C\nOffert,R,A,\n".encode()
    )
    options = [
        *("--column", "Säljare Nord=Innesäljare"),
        *("--column", "Ekonomi=Alfa AB Ekonomi/Ekonomichef"),
        *("--new-hat", "Kundtjänst=Alfa AB Försäljning"),
        *("--keep-apart", "Boka möten", "--area", "Prospektering"),
        *("--format", "json", "--apply"),
    ]
    call_command("import_matrix", world.org.slug, str(path), *options)
    first = json.loads(capsys.readouterr().out)
    assert (first["hats_new"], first["tasks_new"], first["cells_changed"]) == (1, 2, 5)
    assert m.Hat.objects.for_org(world.org).get(title="Kundtjänst").function == world.sales
    assert m.Task.objects.for_org(world.org).filter(name="Boka möten", area=world.area).count() == 2
    call_command("import_matrix", world.org.slug, str(path), *options)
    again = json.loads(capsys.readouterr().out)
    assert (again["hats_new"], again["tasks_new"], again["cells_changed"]) == (0, 0, 0)
    with pytest.raises(CommandError, match="no column “Sälj”"):
        call_command(
            "import_matrix",
            world.org.slug,
            str(path),
            "--column",
            "Sälj=Innesäljare",
            "--language",
            "en",
        )


def test_ignore_leaves_a_column_out_and_is_remembered(world, tmp_path, capsys):
    path = tmp_path / "raci.csv"
    path.write_bytes("Task,Innesäljare,Gammal roll\nNy uppgift,A/R,R\n".encode())
    call_command(
        "import_matrix", world.org.slug, str(path), "--ignore", "Gammal roll", "--format", "json"
    )
    preview = json.loads(capsys.readouterr().out)
    assert (preview["hats_new"], preview["cells_changed"]) == (0, 1)
    call_command("import_matrix", world.org.slug, str(path), "--ignore", "gammal  ROLL", "--apply")
    assert not m.Hat.objects.for_org(world.org).filter(title="Gammal roll").exists()
    capsys.readouterr()
    # The next import of these headers leaves the column out without being told.
    call_command("import_matrix", world.org.slug, str(path), "--format", "json")
    again = json.loads(capsys.readouterr().out)
    assert (again["hats_new"], again["tasks_new"], again["cells_changed"]) == (0, 0, 0)


@pytest.fixture(scope="module")
def operator_env(tmp_path_factory):
    """A migrated SQLite database of its own with one organisation, for the
    command run in a process of its own, as an operator runs it."""
    env = migrated_database(tmp_path_factory.mktemp("command"))
    create = "from roles.models import Organisation as O; O.objects.create(name='Tom', slug='tom')"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", create], env=env, check=True)
    return env


@pytest.mark.parametrize(
    "name",
    [
        "strict-open-xml.xlsx",
        "legacy.xls",
        "opendocument.ods",
        "hidden-rows-columns.xlsx",
        "hidden-and-formulas.ods",
    ],
)
def test_nothing_but_the_command_writes_to_stderr(operator_env, name):
    run = subprocess.run(
        [sys.executable, "manage.py", "import_matrix", "tom", str(BY_NAME[name].path)],
        env=operator_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert f"Förhandsvisning av bladet ”{BY_NAME[name].sheet or 'RACI'}”" in run.stdout
