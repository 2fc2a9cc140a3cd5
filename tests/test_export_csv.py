"""The CSV export for Excel: semicolons for Swedish users (Excel in Swedish splits
on them), commas for English ones, either on request; the formula guard on every
cell either way; and the import reads both."""

import csv
import io

import pytest
from django.urls import reverse

from roles.interchange import importer
from roles.interchange.reader import read_sheet

from . import factories as f

pytestmark = pytest.mark.django_db
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_url(org, sep=None):
    base = reverse("roles:matrix-csv", kwargs={"org": org.slug})
    return f"{base}?sep={sep}" if sep else base


def rows(content, delimiter):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def separator(content):
    """The separator the header row is split on."""
    header = content.decode("utf-8-sig").splitlines()[0]
    return ";" if header.count(";") > header.count(",") else ","


@pytest.mark.swedish
def test_swedish_users_get_semicolons_by_default(world, as_member):
    content = as_member.get(csv_url(world.org)).content
    assert separator(content) == ";"
    task_row = [cell for cell in rows(content, ";")[-1] if cell]
    assert task_row[0] == "Boka möten" and sorted(task_row[1:3]) == ["A", "R"]
    assert separator(as_member.get(csv_url(world.org, "comma")).content) == ","


def test_english_users_get_commas_and_semicolons_on_request(world, as_member):
    assert separator(as_member.get(csv_url(world.org)).content) == ","
    assert separator(as_member.get(csv_url(world.org, "semicolon")).content) == ";"
    # Anything else is the default.
    assert separator(as_member.get(csv_url(world.org, ";;")).content) == ","


@pytest.mark.swedish
def test_the_matrix_page_offers_both(world, as_member):
    html = as_member.get(reverse("roles:matrix", kwargs={"org": world.org.slug})).text
    assert f'href="{csv_url(world.org)}"' in html
    assert f'href="{csv_url(world.org, "comma")}"' in html


@pytest.mark.parametrize("sep", ["semicolon", "comma"])
def test_formula_guard_on_every_cell_and_the_import_reads_it_back(world, as_member, sep):
    org = world.org
    evil_hat = f.HatFactory(org=org, function=world.team, title="@SUM(A1;B1)")
    evil_area = f.AreaFactory(org=org, name="+cmd|' /C calc'!A0")
    task = f.TaskFactory(org=org, area=evil_area, name='=HYPERLINK("http://x";"y")')
    f.TaskFactory(org=org, area=evil_area, name="-2+3; =1")
    f.ResponsibilityFactory(org=org, task=task, hat=evil_hat, letter="A")

    content = as_member.get(csv_url(org, sep)).content
    cells = [cell for row in rows(content, ";" if sep == "semicolon" else ",") for cell in row]
    guarded = [cell for cell in cells if cell.startswith(DANGEROUS)]
    assert guarded == ["-"] * len(guarded)  # only the "no letters" mark
    for name in ["'@SUM(A1;B1)", "'+cmd|' /C calc'!A0", '\'=HYPERLINK("http://x";"y")']:
        assert name in cells
    assert "'-2+3; =1" in cells
    # Read back, with either separator, nothing changes.
    assert not importer.plan(org, read_sheet(content, "matrix.csv")).has_changes
