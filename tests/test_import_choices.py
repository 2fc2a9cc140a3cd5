"""Where imported things go: the choices for columns, rows without an area and
tasks matching an existing one by name, given before anything is written, and
remembered for the next import of a sheet with the same headers."""

import pytest
from django.utils import translation

from roles import models as m
from roles.interchange import importer
from roles.interchange.reader import read_sheet

from .test_import import counts

SHEET = (
    "Task,Säljare Nord,Ekonomi,Kundtjänst\nProspektering,,,\nBoka möten,A/R,I,C\nOffert,R,A,\n"
).encode()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def letters(org, task, hat):
    stored = m.Responsibility.objects.for_org(org).filter(task=task, hat=hat)
    return "".join(sorted(stored.values_list("letter", flat=True)))


def test_columns_to_chosen_hats_a_new_hat_in_a_chosen_function_and_a_task_kept_apart(world):
    sheet = read_sheet(SHEET, "raci.csv")
    choices = {
        "hats": {
            "0": {"hat": world.hat.id},
            "1": {"hat": world.other_hat.id},
            "2": {"function": world.sales.id},
        },
        "tasks": {"prospektering|boka möten": "apart"},
    }
    plan = importer.plan(world.org, sheet, choices=choices)
    assert plan.hat_ids == [world.hat.id, world.other_hat.id, None]
    assert plan.hat_function[2] == world.sales
    assert plan.task_ids == [None, None]  # "Boka möten" kept apart from the existing one
    importer.apply(plan)

    new_hat = m.Hat.objects.for_org(world.org).get(title="Kundtjänst")
    assert new_hat.function == world.sales
    both = m.Task.objects.for_org(world.org).filter(name="Boka möten").order_by("id")
    old, made = list(both)
    assert old == world.task
    assert (letters(world.org, old, world.hat), letters(world.org, old, world.other_hat)) == (
        "R",
        "A",
    )  # the existing task keeps its letters
    assert letters(world.org, made, world.hat) == "AR"
    assert letters(world.org, made, world.other_hat) == "I"
    assert letters(world.org, made, new_hat) == "C"

    # The same headers again, no choices given: the remembered ones change nothing.
    before = counts(world.org)
    again = importer.plan(world.org, read_sheet(SHEET, "raci.csv"))
    assert not again.has_changes
    assert again.task_ids[0] == made.id
    importer.apply(again)
    assert counts(world.org) == before


def test_by_default_a_matching_name_is_merged_and_a_column_matches_by_title(world):
    data = "Task,Innesäljare\nProspektering,\nBoka möten,A/R\n".encode()
    plan = importer.plan(world.org, read_sheet(data, "x.csv"))
    assert plan.hat_ids == [world.hat.id]
    assert plan.task_ids == [world.task.id]


def test_rows_without_an_area_go_to_the_chosen_area(world):
    data = "Task,Innesäljare\nRing kunder,A/R\nSkicka offert,R\n".encode()
    importer.apply(
        importer.plan(world.org, read_sheet(data, "x.csv"), choices={"area": "Prospektering"})
    )
    tasks = m.Task.objects.for_org(world.org).filter(name__in=["Ring kunder", "Skicka offert"])
    assert {t.area for t in tasks} == {world.area}
    importer.apply(importer.plan(world.org, read_sheet(data, "x.csv"), choices={"area": "Nytt"}))
    assert m.Area.objects.for_org(world.org).filter(name="Nytt").exists()


def test_ids_of_another_organisation_are_ignored(world, other_world):
    sheet = read_sheet(SHEET, "raci.csv")
    choices = {
        "hats": {"0": {"hat": other_world.hat.id}, "1": {"function": other_world.sales.id}},
        "tasks": {"prospektering|boka möten": other_world.task.id},
    }
    plan = importer.plan(world.org, sheet, choices=choices)
    assert other_world.hat.id not in plan.hat_ids
    assert all(
        f is None or isinstance(f, str) or f.org_id == world.org.id for f in plan.hat_function
    )
    assert plan.task_ids[0] == world.task.id
    before = counts(other_world.org)
    importer.apply(plan)
    assert counts(other_world.org) == before
    assert not m.Task.objects.for_org(other_world.org).filter(name="Offert").exists()
