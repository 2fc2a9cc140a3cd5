"""Export → import of a generated organisation whose hats share titles across
functions ("Säljare" in several functions): the same file changes nothing in
the same organisation and recreates the matrix in an empty one."""

import pytest
from django.utils import translation

from bench.generate import generate_org
from roles import models as m
from roles.interchange import exporter, importer
from roles.interchange.reader import read_sheet

from . import factories as f
from .test_import import counts


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def generated(db):
    return generate_org("dupes", 200, 30, 80, 400, seed=1)


def export(org, kind):
    matrix = exporter.build(org)
    return exporter.to_xlsx(matrix) if kind == "xlsx" else exporter.to_csv(matrix)


def hats_of(org):
    return sorted(
        m.Hat.objects.for_org(org).values_list("function__name", "title"), key=lambda h: h
    )


def cells_of(org):
    """{(function, hat, area, task): letters}: the matrix without ids."""
    cells = {}
    for function, hat, area, task, letter in m.Responsibility.objects.for_org(org).values_list(
        "hat__function__name", "hat__title", "task__area__name", "task__name", "letter"
    ):
        cells.setdefault((function, hat, area, task), set()).add(letter)
    return cells


def test_the_generated_org_has_duplicate_titles(generated):
    titles = [title for _function, title in hats_of(generated)]
    assert len(titles) > len(set(titles))


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_export_into_the_same_org_changes_nothing(generated, kind):
    sheet = read_sheet(export(generated, kind), f"export.{kind}")
    assert len(sheet.hats) == m.Hat.objects.for_org(generated).count()
    assert not [p for p in sheet.problems if "appears twice" in p.message]
    before = counts(generated)
    plan = importer.plan(generated, sheet)
    summary = plan.summary()
    assert summary["cells_changed"] == 0
    assert (summary["hats_new"], summary["areas_new"], summary["tasks_new"]) == (0, 0, 0)
    assert summary["a_moved"] == 0
    assert not plan.has_changes
    assert len(set(plan.hat_ids)) == len(plan.hat_ids)  # every column its own hat
    importer.apply(plan)
    assert counts(generated) == before


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_export_into_an_empty_org_recreates_the_matrix(generated, kind):
    copy = f.OrganisationFactory(slug=f"copy-{kind}")
    importer.apply(importer.plan(copy, read_sheet(export(generated, kind), f"export.{kind}")))
    assert hats_of(copy) == hats_of(generated)
    assert cells_of(copy) == cells_of(generated)
    assert sorted(m.Area.objects.for_org(copy).values_list("name", flat=True)) == sorted(
        m.Area.objects.for_org(generated).values_list("name", flat=True)
    )
    # and importing the copy's own export back changes nothing
    plan = importer.plan(copy, read_sheet(export(copy, kind), f"again.{kind}"))
    assert not plan.has_changes
