"""No lost work under real concurrency (PostgreSQL only: SQLite serialises
writers by itself, so it cannot show a race).

Each test runs the app's own write path from several threads at once, and a
naive control next to it (the same work without the app's guards) that must
lose something: proof that the test would notice if the guards went away.
"""

import threading
import time

import pytest
from django.db import connection

from roles import models as m
from roles.services import hats as hat_services
from roles.services.cells import set_cell

from . import factories as f
from .conftest import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
EDITS = 25
THINK = 0.0005  # seconds between reading and writing: an editor's think time, shortened
ATTEMPTS = 3  # tries of a naive control before concluding it cannot be made to lose


def run_threads(target, n=THREADS):
    """Run target(i) in n threads started together; each closes its connection.
    Returns the exceptions raised."""
    barrier = threading.Barrier(n)
    errors = []

    def body(i):
        try:
            barrier.wait()
            target(i)
        except Exception as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def token(thread, edit):
    return f"[t{thread}e{edit}]"


def missing_tokens(notes):
    return [token(i, j) for i in range(THREADS) for j in range(EDITS) if token(i, j) not in notes]


def test_concurrent_hat_edits_lose_nothing(record_property):
    world = build_world()
    hat = world.hat
    start = m.Hat.objects.for_org(world.org).get(pk=hat.pk).version
    retries = []

    def edit(i):
        for j in range(EDITS):
            while True:
                current = (
                    m.Hat.objects.for_org(world.org)
                    .select_related("function", "reports_to")
                    .get(pk=hat.pk)
                )
                base = hat_services.hat_state(current)
                time.sleep(THINK)
                try:
                    hat_services.save_hat(
                        current,
                        {"notes": current.notes + token(i, j)},
                        current.version,
                        world.admin,
                        base=base,
                    )
                    break
                except hat_services.StaleHat:
                    retries.append(i)  # someone saved first: read again, redo the edit

    errors = run_threads(edit)
    assert not errors, errors
    saved = m.Hat.objects.for_org(world.org).get(pk=hat.pk)
    lost = missing_tokens(saved.notes)
    assert not lost, f"{len(lost)} lost updates, e.g. {lost[:5]}"
    assert saved.version == start + THREADS * EDITS
    history = m.HatChange.objects.filter(hat=saved, field="notes").count()
    assert history == THREADS * EDITS

    naive_lost = 0
    for _ in range(ATTEMPTS):
        naive_lost = naive_hat_edits(world)
        if naive_lost:
            break
    if not naive_lost:
        pytest.skip(f"the naive control lost nothing in {ATTEMPTS} runs: the race did not bite")
    record_property(
        "figure",
        f"hat_edits={THREADS * EDITS} lost={len(lost)} naive_lost={naive_lost} "
        f"retries={len(retries)}",
    )


def naive_hat_edits(world):
    """Read-modify-write of the same hat without a version check. Returns the
    number of edits lost."""
    hats = m.Hat.objects.for_org(world.org).filter(pk=world.other_hat.pk)
    hats.update(notes="")

    def edit(i):
        for j in range(EDITS):
            notes = hats.values_list("notes", flat=True).get()
            time.sleep(THINK)
            hats.update(notes=notes + token(i, j))

    errors = run_threads(edit)
    assert not errors, errors
    return len(missing_tokens(hats.values_list("notes", flat=True).get()))


def test_racing_to_give_a_leaves_one_a(record_property):
    world = build_world()
    hats = [f.HatFactory(org=world.org, function=world.team) for _ in range(THREADS)]
    task = f.TaskFactory(org=world.org, area=world.area)

    errors = run_threads(lambda i: set_cell(task, hats[i], "A", author=world.admin))
    assert not errors, errors
    a_after = m.Responsibility.objects.filter(task=task, letter="A").count()
    assert a_after == 1

    naive_a_after = 0
    for _ in range(ATTEMPTS):
        naive_a_after = naive_give_a(world, hats)
        if naive_a_after > 1:
            break
    if naive_a_after <= 1:
        pytest.skip(f"the naive control never doubled A in {ATTEMPTS} runs: the race did not bite")
    record_property(
        "figure", f"a_race threads={THREADS} a_after={a_after} naive_a_after={naive_a_after}"
    )


def naive_give_a(world, hats):
    """Check-then-insert A without the task lock, on a fresh task. Returns the
    number of A's left on it."""
    task = f.TaskFactory(org=world.org, area=world.area)
    cells = m.Responsibility.objects.filter(task=task)

    def give_a(i):
        if not cells.filter(letter="A").exists():
            time.sleep(THINK)
            m.Responsibility.objects.create(org=world.org, task=task, hat=hats[i], letter="A")

    errors = run_threads(give_a)
    assert not errors, errors
    return cells.filter(letter="A").count()
