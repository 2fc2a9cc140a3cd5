"""set_cell: one cell of the matrix, and the rule that A is never doubled."""

import pytest

from roles.models import CellChange, HatChange, Responsibility
from roles.services.cells import set_cell

from . import factories as f


def letters(task, hat):
    return set(Responsibility.objects.filter(task=task, hat=hat).values_list("letter", flat=True))


def test_set_letters_records_history(world):
    result = set_cell(world.task, world.hat, "A/R", author=world.manager)
    assert letters(world.task, world.hat) == {"A", "R"}
    assert result.old == {"R"} and result.new == {"A", "R"}
    assert result.text == "A/R"
    change = CellChange.objects.get(task=world.task, hat=world.hat)
    assert (change.old, change.new, change.author) == ("R", "A/R", world.manager)
    assert HatChange.objects.filter(hat=world.hat, kind=HatChange.DUTY).exists()


def test_giving_a_moves_it_from_the_hat_that_had_it(world):
    result = set_cell(world.task, world.hat, {"A"}, author=world.manager)
    assert result.moved_from == world.other_hat
    assert letters(world.task, world.other_hat) == set()
    assert letters(world.task, world.hat) == {"A"}
    assert Responsibility.objects.filter(task=world.task, letter="A").count() == 1
    lost = CellChange.objects.get(task=world.task, hat=world.other_hat)
    assert (lost.old, lost.new) == ("A", "")
    assert world.hat.title in lost.note


def test_two_existing_as_are_both_moved(world):
    third = f.HatFactory(org=world.org, function=world.team)
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=third, letter="A")
    result = set_cell(world.task, world.hat, "A", author=world.admin)
    assert {h.pk for h in result.lost_a} == {world.other_hat.pk, third.pk}
    assert Responsibility.objects.filter(task=world.task, letter="A").count() == 1


def test_other_letters_of_the_losing_hat_stay(world):
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.other_hat, letter="R")
    set_cell(world.task, world.hat, "A", author=world.admin)
    assert letters(world.task, world.other_hat) == {"R"}


def test_clearing_a_cell_and_no_op(world):
    set_cell(world.task, world.hat, "", author=world.admin)
    assert letters(world.task, world.hat) == set()
    before = CellChange.objects.count()
    result = set_cell(world.task, world.hat, [], author=world.admin)
    assert not result.changed
    assert CellChange.objects.count() == before


def test_unusual_combination_is_kept(world):
    set_cell(world.task, world.hat, "R/C", author=world.admin)
    assert letters(world.task, world.hat) == {"R", "C"}


def test_bad_letters_and_cross_org_are_refused(world, other_world):
    with pytest.raises(ValueError):
        set_cell(world.task, world.hat, "Z", author=world.admin)
    with pytest.raises(ValueError):
        set_cell(world.task, world.hat, {"X"}, author=world.admin)
    with pytest.raises(ValueError):
        set_cell(other_world.task, world.hat, "R", author=world.admin)
    assert letters(world.task, world.hat) == {"R"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_a_never_doubles():
    """Two writers giving A to different hats at once: the task row lock
    serialises them, so exactly one A remains (PostgreSQL only: SQLite
    serialises writers by itself)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from .conftest import build_world

    world = build_world()
    hats = [world.hat, world.other_hat, f.HatFactory(org=world.org, function=world.team)]
    barrier = threading.Barrier(len(hats))
    errors = []

    def give_a(hat):
        try:
            barrier.wait()
            set_cell(world.task, hat, "A", author=world.admin)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=give_a, args=(h,)) for h in hats]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Responsibility.objects.filter(task=world.task, letter="A").count() == 1
