"""Editing matrix cells: permissions, htmx and plain posts, moving A with undo,
stale pages, bad input and concurrent edits."""

import json
import re
import threading

import pytest
from django.db import connection, connections

from roles import models as m
from roles.services import matrix as services
from roles.services.cells import set_cell

from . import factories as f
from .conftest import build_world, client_for

CELL = "/o/alfa/matrix/cell/"
UNDO = "/o/alfa/matrix/undo/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def letters(task, hat):
    return "".join(
        sorted(m.Responsibility.objects.filter(task=task, hat=hat).values_list("letter", flat=True))
    )


def a_holders(task):
    return set(
        m.Responsibility.objects.filter(task=task, letter="A").values_list("hat_id", flat=True)
    )


def undo_token(page):
    """The signed undo offered on a page (or an htmx answer)."""
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, "no undo offered"
    return found.group(1)


def post(client, world, hat, new, expected=None, htmx=True, **extra):
    data = {"task": world.task.id, "hat": hat.id, "letters": new, **extra}
    if expected is not None:
        data["expected"] = expected
    return client.post(CELL, data, **(HTMX if htmx else {}))


# Permissions ------------------------------------------------------------------------
def test_anonymous_is_sent_to_login(world, client):
    response = client.post(CELL, {"task": world.task.id, "hat": world.hat.id, "letters": "A"})
    assert response.status_code == 302
    assert letters(world.task, world.hat) == "R"


def test_member_may_not_change_a_cell(world, as_member):
    assert post(as_member, world, world.hat, "A", "R").status_code == 403
    assert as_member.get(CELL, {"task": world.task.id, "hat": world.hat.id}).status_code == 403
    assert letters(world.task, world.hat) == "R"


def test_manager_changes_cells_of_hats_in_their_functions(world, as_manager):
    response = post(as_manager, world, world.hat, "R/C", "R")
    assert response.status_code == 200
    assert letters(world.task, world.hat) == "CR"


def test_manager_may_not_change_hats_outside_their_functions(world, as_manager):
    assert post(as_manager, world, world.other_hat, "R", "A").status_code == 403
    assert letters(world.task, world.other_hat) == "A"


def test_admin_changes_any_cell(world, as_admin):
    assert post(as_admin, world, world.other_hat, "A/R", "A").status_code == 200
    assert letters(world.task, world.other_hat) == "AR"


def test_outsider_gets_404(world, as_outsider):
    assert post(as_outsider, world, world.hat, "A", "R").status_code == 404
    assert letters(world.task, world.hat) == "R"


def test_hat_or_task_of_another_organisation_is_404(world, other_world, as_admin):
    response = as_admin.post(
        CELL, {"task": world.task.id, "hat": other_world.hat.id, "letters": "A"}, **HTMX
    )
    assert response.status_code == 404
    response = as_admin.post(
        CELL, {"task": other_world.task.id, "hat": world.hat.id, "letters": "A"}, **HTMX
    )
    assert response.status_code == 404
    assert letters(other_world.task, other_world.hat) == "R"
    assert letters(world.task, world.hat) == "R"


@pytest.mark.parametrize(
    "data", [{}, {"task": "x", "hat": "1"}, {"task": "1"}, {"task": "", "hat": ""}]
)
def test_missing_or_garbled_ids_are_404(world, as_admin, data):
    assert as_admin.post(CELL, {**data, "letters": "R"}).status_code == 404


def test_undo_follows_the_same_rules(world, as_member, as_outsider):
    data = {"token": "x"}
    assert as_member.post(UNDO, data).status_code == 403
    assert as_outsider.post(UNDO, data).status_code == 404


# Writing with htmx --------------------------------------------------------------------
def test_htmx_update_swaps_cell_row_status_and_counts_and_announces(world, as_admin):
    response = post(as_admin, world, world.hat, "A/R", "R")
    page = response.content.decode()
    assert (
        f'id="cell-{world.task.id}-{world.hat.id}" class="cell cell-ar" hx-swap-oob="true"' in page
    )
    assert f'id="status-{world.task.id}"' in page
    assert f'id="counts-{world.hat.id}"' in page
    assert f'id="counts-{world.other_hat.id}"' in page  # the hat that lost its A
    announce = json.loads(response["HX-Trigger"])["announce"]
    assert "R → A/R" in announce
    assert "A moved from Ekonomichef" in announce
    assert a_holders(world.task) == {world.hat.id}
    # Table cells travel inside <template> (the HTML parser drops bare <td>s and
    # would empty the undo form that follows them); the notice comes first.
    assert page.index('id="matrix-notice"') < page.index("<template>") < page.index("<td ")
    assert page.index("</form>") < page.index("<template>")


def test_each_change_is_recorded(world, as_admin):
    post(as_admin, world, world.hat, "A/R", "R")
    changes = {
        (c.hat_id, c.old, c.new, c.author_id) for c in m.CellChange.objects.filter(task=world.task)
    }
    assert (world.hat.id, "R", "A/R", world.admin.id) in changes
    assert (world.other_hat.id, "A", "", world.admin.id) in changes


def test_keeping_a_where_two_hats_had_it_says_the_other_lost_it(world, as_admin):
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.hat, letter="A")
    response = post(as_admin, world, world.hat, "A/R", "A/R")
    announce = json.loads(response["HX-Trigger"])["announce"]
    assert "stays “A/R”" in announce and "A moved from Ekonomichef" in announce
    assert a_holders(world.task) == {world.hat.id}


def test_same_letters_change_nothing(world, as_admin):
    response = post(as_admin, world, world.hat, "R", "R")
    assert "already" in json.loads(response["HX-Trigger"])["announce"]
    assert not m.CellChange.objects.filter(task=world.task).exists()


@pytest.mark.parametrize("text", ["", "  ", "r", "a/r", "R, A", "C / I", "AR", "i;c"])
def test_letters_as_people_write_them(world, as_admin, text):
    assert post(as_admin, world, world.hat, text, "R").status_code == 200
    from roles.raci import parse_cell

    assert letters(world.task, world.hat) == "".join(sorted(parse_cell(text).letters))


# Giving A: it moves, and can be undone ---------------------------------------------------
def test_manager_giving_a_moves_it_and_undo_puts_both_cells_back(world, as_manager):
    response = post(as_manager, world, world.hat, "A/R", "R")
    assert a_holders(world.task) == {world.hat.id}
    page = response.content.decode()
    assert "/o/alfa/matrix/undo/" in page and "Undo" in page
    response = as_manager.post(UNDO, {"token": undo_token(page)}, **HTMX)
    assert response.status_code == 200
    assert "Undone" in json.loads(response["HX-Trigger"])["announce"]
    assert letters(world.task, world.hat) == "R"
    assert letters(world.task, world.other_hat) == "A"
    # The undo is recorded too.
    assert m.CellChange.objects.filter(task=world.task, note="undo").count() == 2


def test_undo_may_only_give_back_the_a_outside_the_managers_functions(world, as_manager):
    post(as_manager, world, world.hat, "A/R", "R")
    crafted = {
        "task": world.task.id,
        "hat": world.hat.id,
        "letters": "R",
        "expected": "A/R",
        "other": world.other_hat.id,
        "other_letters": "A/C/I",
        "other_expected": "",
    }
    response = as_manager.post(UNDO, crafted, follow=True)
    assert "can no longer be undone" in response.content.decode()
    assert letters(world.task, world.other_hat) == ""
    assert letters(world.task, world.hat) == "AR"


def test_undo_of_a_changed_cell_changes_nothing(world, as_admin):
    token = undo_token(post(as_admin, world, world.hat, "A/R", "R").content.decode())
    post(as_admin, world, world.hat, "A", "A/R")  # changed again since
    response = as_admin.post(UNDO, {"token": token}, **HTMX)
    assert "can no longer be undone" in json.loads(response["HX-Trigger"])["announce"]
    assert letters(world.task, world.hat) == "A"
    assert letters(world.task, world.other_hat) == ""


def test_undo_with_garbled_letters_changes_nothing(world, as_admin):
    undo = {"token": "garbled:token", "q": ""}
    response = as_admin.post(UNDO, undo)
    assert response.status_code == 302
    assert letters(world.task, world.hat) == "R"


# Without JavaScript ----------------------------------------------------------------------
def test_cell_page_offers_the_choices_without_javascript(world, as_manager):
    response = as_manager.get(CELL, {"task": world.task.id, "hat": world.hat.id, "q": "area=1"})
    page = response.content.decode()
    assert response.status_code == 200
    for value in ("", "R", "A", "A/R", "C", "I"):
        assert 'name="letters" id' in page and f'value="{value}"' in page
    assert 'name="expected" value="R"' in page


def test_plain_post_redirects_back_with_the_same_filters(world, as_manager):
    response = post(
        as_manager,
        world,
        world.hat,
        "A/R",
        "R",
        htmx=False,
        q=f"function={world.sales.id}&problems=1&page=2&evil=http://x",
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/o/alfa/matrix/?")
    assert f"function={world.sales.id}" in location and "problems=1" in location
    assert "evil" not in location
    assert letters(world.task, world.hat) == "AR"
    page = as_manager.get(location, follow=True).content.decode()
    assert "A moved from Ekonomichef" in page
    assert "/o/alfa/matrix/undo/" in page  # the undo is offered after the redirect too
    # ...and only once.
    assert "/o/alfa/matrix/undo/" not in as_manager.get(location).content.decode()


def test_plain_undo_redirects_back(world, as_admin):
    response = post(as_admin, world, world.hat, "A/R", "R", htmx=False)
    page = as_admin.get(response["Location"]).content.decode()
    response = as_admin.post(UNDO, {"token": undo_token(page), "q": "area=1"})
    assert response.status_code == 302 and "area=1" in response["Location"]
    assert letters(world.task, world.other_hat) == "A"


# Bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["X", "N", "-", "Q/R", "ansvarig", "<b>R</b>", "ı"])
def test_letters_that_are_not_raci_change_nothing(world, as_admin, text):
    response = post(as_admin, world, world.hat, text, "R")
    assert response.status_code == 200
    assert "not a RACI letter" in json.loads(response["HX-Trigger"])["announce"]
    assert letters(world.task, world.hat) == "R"
    response = post(as_admin, world, world.hat, text, "R", htmx=False)
    assert response.status_code == 400
    assert "not a RACI letter" in response.content.decode()
    assert letters(world.task, world.hat) == "R"
    assert not m.CellChange.objects.exists()


def test_overlong_letters_change_nothing(world, as_admin):
    response = post(as_admin, world, world.hat, "R/" * 40, "R")
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["announce"]
    assert letters(world.task, world.hat) == "R"


def test_stale_page_changes_nothing_and_shows_the_current_value(world, as_admin):
    m.Responsibility.objects.filter(task=world.task, hat=world.hat).update(letter="C")
    response = post(as_admin, world, world.hat, "A/R", "R")  # the page still showed R
    assert response.status_code == 200
    message = json.loads(response["HX-Trigger"])["announce"]
    assert "changed" in message and "“C”" in message and "Nothing was changed" in message
    page = response.content.decode()
    assert f'id="cell-{world.task.id}-{world.hat.id}" class="cell cell-c"' in page
    assert letters(world.task, world.hat) == "C"
    assert a_holders(world.task) == {world.other_hat.id}
    response = post(as_admin, world, world.hat, "A/R", "R", htmx=False)
    assert response.status_code == 302
    assert letters(world.task, world.hat) == "C"


# Two managers at once ---------------------------------------------------------------------
def test_two_sessions_editing_one_row_keep_both_changes(world):
    second = f.HatFactory(org=world.org, function=world.team, title="Säljassistent")
    one, two = client_for(world.manager), client_for(world.admin)
    # Both pages were loaded before either wrote.
    post(one, world, world.hat, "A/R", "R")
    post(two, world, second, "C", "")
    assert letters(world.task, world.hat) == "AR"
    assert letters(world.task, second) == "C"
    # The second session now gives A from its stale page: it moves, never duplicates.
    post(two, world, second, "A", "C")
    assert a_holders(world.task) == {second.id}


def test_two_sessions_giving_a_from_stale_pages(world):
    one, two = client_for(world.manager), client_for(world.admin)
    post(one, world, world.hat, "A/R", "R")
    # The admin's page still shows Ekonomichef with A: their edit of it is refused.
    response = post(two, world, world.other_hat, "A/R", "A")
    assert "Nothing was changed" in json.loads(response["HX-Trigger"])["announce"]
    assert a_holders(world.task) == {world.hat.id}


def run_in_threads(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def wrap(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_a_on_two_connections_never_leaves_two(db):
    world = build_world(slug="gamma", name="Gamma AB", prefix="g")
    hats = [f.HatFactory(org=world.org, function=world.team, title=f"Hatt {i}") for i in range(4)]
    for round_ in range(5):
        jobs = [
            (lambda h=h: set_cell(m.Task.objects.get(pk=world.task.pk), h, "A", world.admin))
            for h in hats
        ]
        run_in_threads(*jobs)
        assert len(a_holders(world.task)) == 1, round_


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_edits_of_one_row_keep_both_changes(db):
    world = build_world(slug="delta", name="Delta AB", prefix="d")
    extra = f.HatFactory(org=world.org, function=world.team, title="Säljassistent")

    def first():
        services.change_cell(
            world.org, world.task.id, world.hat, "A/R", world.manager, expected=frozenset("R")
        )

    def second():
        services.change_cell(
            world.org, world.task.id, extra, "C", world.admin, expected=frozenset()
        )

    run_in_threads(first, second)
    assert letters(world.task, world.hat) == "AR"
    assert letters(world.task, extra) == "C"
    assert a_holders(world.task) == {world.hat.id}
    assert m.CellChange.objects.filter(task=world.task).count() == 3  # + the A that moved


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_edits_of_one_cell_one_wins_one_is_told(db):
    world = build_world(slug="epsilon", name="Epsilon AB", prefix="e")
    outcomes = []

    def edit(new, who):
        outcomes.append(
            services.change_cell(
                world.org, world.task.id, world.hat, new, who, expected=frozenset("R")
            )
        )

    run_in_threads(lambda: edit("C", world.manager), lambda: edit("I", world.admin))
    assert sorted(o.stale for o in outcomes) == [False, True]
    winner = next(o for o in outcomes if not o.stale)
    assert letters(world.task, world.hat) == "".join(winner.result.new)


def test_giving_a_where_two_other_hats_had_it_names_both_and_offers_no_undo(world, as_admin):
    third = f.HatFactory(org=world.org, function=world.other, title="Controller")
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=third, letter="A")
    response = post(as_admin, world, world.hat, "A/R", "R")
    announce = json.loads(response["HX-Trigger"])["announce"]
    assert "Ekonomichef" in announce and "Controller" in announce
    assert "/matrix/undo/" not in response.content.decode()
    assert a_holders(world.task) == {world.hat.id}


# The row and the totals line after a write --------------------------------------------
def test_a_row_with_two_as_names_their_hats_and_a_write_updates_the_totals(world, as_admin):
    m.Responsibility.objects.create(org=world.org, task=world.task, hat=world.hat, letter="A")
    m.Task.objects.for_org(world.org).refresh_status()
    response = as_admin.get("/o/alfa/matrix/")
    (row,) = [r for g in response.context["m"].groups for r in g.rows if r.task.id == world.task.id]
    assert row.a_holders == ["Ekonomichef", "Innesäljare"]
    page = response.content.decode()
    assert "A held by Ekonomichef, Innesäljare" in page
    totals = re.search(r'<p id="status-totals".*?</p>', page, re.S).group(0)
    assert "two or more A&#x27;s: 1" in totals

    # Taking one A away: the status, its holders and the totals line come back swapped.
    response = as_admin.post(
        CELL,
        {"task": world.task.id, "hat": world.hat.id, "letters": "R", "expected": "A/R"},
        **HTMX,
    )
    page = response.content.decode()
    status = re.search(rf'<span id="status-{world.task.id}"[^>]*>.*?</span>', page).group(0)
    assert 'hx-swap-oob="true"' in status and "A held by" not in page
    totals = re.search(r'<p id="status-totals" class="[^"]*" hx-swap-oob="true">.*?</p>', page)
    assert totals, page
    assert "two or more A" not in totals.group(0) and "complete: 1" in totals.group(0)

    # A second A written elsewhere meanwhile (an import keeps such rows): the
    # stale write changes nothing and shows the row as it is, holders named.
    m.Responsibility.objects.create(org=world.org, task=world.task, hat=world.hat, letter="A")
    m.Task.objects.for_org(world.org).refresh_status()
    response = as_admin.post(
        CELL,
        {"task": world.task.id, "hat": world.hat.id, "letters": "C", "expected": "R"},
        **HTMX,
    )
    assert "meanwhile" in json.loads(response["HX-Trigger"])["announce"]
    assert "A held by Ekonomichef, Innesäljare" in response.content.decode()
