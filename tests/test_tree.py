"""One tree: the walkers of roles.tree, and loops refused on every way in
(the function form, a crafted POST, the services, a restored backup) for the
function tree and for the reporting lines between hats; loops saved before
that rule are named by the map's health check."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from roles import health as hc
from roles import models as m
from roles import tree
from roles.interchange.backup import BackupError, export_org, import_org
from roles.services import functions as function_services
from roles.services import hats as hat_services

from . import factories as f
from .conftest import client_for
from .test_hats import edit_data
from .test_health_rules import comes_back

# The walkers ------------------------------------------------------------------

parents = st.dictionaries(st.integers(1, 8), st.none() | st.integers(0, 9), max_size=8)


@given(parents)
def test_depth_first_lists_every_node_once_parents_first(parent_of):
    order = tree.depth_first(parent_of.items())
    assert sorted(node for node, _depth in order) == sorted(parent_of)
    place = {node: i for i, (node, _depth) in enumerate(order)}
    depth = dict(order)
    for node, d in order:
        if d:
            parent = parent_of[node]
            assert place[parent] < place[node] and depth[parent] == d - 1


@given(parents)
def test_cycles_are_exactly_the_nodes_that_come_back(parent_of):
    on_loops = [n for loop in tree.cycles(parent_of) for n in loop]
    assert sorted(on_loops) == sorted(n for n in parent_of if comes_back(n, parent_of))


@given(parents, st.integers(1, 8))
def test_ancestors_and_descendants_agree(parent_of, node):
    for above in tree.ancestors(parent_of, node):
        if above in parent_of:  # not a parent id that names no node
            assert node in tree.descendants(parent_of, [above])
    assert len(set(tree.ancestors(parent_of, node))) == len(tree.ancestors(parent_of, node))


def test_a_cycle_is_placed_once_from_its_first_node():
    # 1 and 2 point at each other, 3 hangs below 2; 4 is a plain root.
    order = tree.depth_first([(4, None), (1, 2), (2, 1), (3, 2)])
    assert order == [(4, 0), (1, 0), (2, 1), (3, 2)]


# Function tree ----------------------------------------------------------------


def url(name, **kwargs):
    return reverse(f"roles:{name}", kwargs={"org": "alfa", **kwargs})


def test_a_crafted_post_cannot_put_a_function_below_its_own_child(world, as_admin):
    child = f.FunctionFactory(org=world.org, name="Under", parent=world.team)
    response = as_admin.post(
        url("function-edit", function_id=world.sales.id),
        {"name": world.sales.name, "parent": child.id, "head": world.manager.id},
    )
    assert response.status_code == 200
    assert "cannot be placed below itself" in response.text
    world.sales.refresh_from_db()
    assert world.sales.parent_id == world.root.id


def test_the_service_refuses_a_loop_the_form_did_not_see(world):
    # Another move saved after this form was validated: sales is below team.
    world.sales.parent = world.team
    with pytest.raises(ValidationError):
        function_services.save_function(world.sales)
    world.sales.refresh_from_db()
    assert world.sales.parent_id == world.root.id


def test_the_edit_page_shows_a_loop_found_by_the_service(world, as_admin, monkeypatch):
    # The form passes (as if validated before the other move); the save refuses.
    monkeypatch.setattr("roles.forms.functions.check_parent", lambda *args: None)
    response = as_admin.post(
        url("function-edit", function_id=world.sales.id),
        {"name": world.sales.name, "parent": world.team.id, "head": world.manager.id},
    )
    assert response.status_code == 200
    assert "cannot be placed below itself" in response.text
    world.sales.refresh_from_db()
    assert world.sales.parent_id == world.root.id


# Reports-to ------------------------------------------------------------------


@pytest.fixture
def sales_hats(world):
    """The head of sales' hat, and the seller's hat that reports to it."""
    head = f.HatFactory(org=world.org, function=world.sales, title="Försäljningschef")
    seller = f.HatFactory(org=world.org, function=world.team, title="Säljare", reports_to=head)
    return head, seller


def test_reports_to_refuses_a_loop(world, sales_hats, as_manager):
    head, seller = sales_hats
    response = as_manager.post(
        url("hat-edit", hat_id=head.pk), edit_data(head, reports_to=seller.pk)
    )
    assert response.status_code == 200
    assert (
        "“Säljare” reports to “Försäljningschef”, directly or through other hats" in response.text
    )
    head.refresh_from_db()
    assert head.reports_to_id is None and head.version == 1


def test_reports_to_refuses_a_longer_loop(world, sales_hats, as_manager):
    head, seller = sales_hats
    junior = f.HatFactory(org=world.org, function=world.team, title="Junior", reports_to=seller)
    response = as_manager.post(
        url("hat-edit", hat_id=head.pk), edit_data(head, reports_to=junior.pk)
    )
    assert "directly or through other hats" in response.text
    head.refresh_from_db()
    assert head.reports_to_id is None


@pytest.mark.swedish
def test_reports_to_loop_message_in_swedish(world, sales_hats):
    head, seller = sales_hats
    response = client_for(world.manager).post(
        url("hat-edit", hat_id=head.pk), edit_data(head, reports_to=seller.pk)
    )
    assert "”Säljare” rapporterar till ”Försäljningschef”" in response.text


def test_the_hat_service_refuses_a_loop(world, sales_hats):
    head, seller = sales_hats
    with pytest.raises(ValidationError):
        hat_services.save_hat(head, {"reports_to": seller}, head.version, world.manager)
    head.refresh_from_db()
    assert head.reports_to_id is None and head.version == 1


def test_a_line_without_a_loop_is_saved(world, sales_hats, as_manager):
    head, _seller = sales_hats
    as_manager.post(url("hat-edit", hat_id=head.pk), edit_data(head, reports_to=world.hat.pk))
    head.refresh_from_db()
    assert head.reports_to_id == world.hat.pk


# A restored backup --------------------------------------------------------------


def test_a_backup_with_a_function_loop_is_refused(world):
    document = export_org(world.org)
    looped = copy.deepcopy(document)
    refs = {row["name"]: row["ref"] for row in looped["tables"]["function"]}
    for row in looped["tables"]["function"]:
        if row["ref"] == refs[world.root.name]:
            row["parent"] = refs[world.team.name]
    with pytest.raises(BackupError, match="function: parent"):
        import_org(looped, slug="loop")
    assert not m.Organisation.objects.filter(slug="loop").exists()
    import_org(document, slug="no-loop")  # the same document without the loop


def test_a_backup_with_a_reporting_loop_is_refused(world):
    world.hat.reports_to = world.other_hat
    world.hat.save()
    document = export_org(world.org)
    refs = {row["title"]: row["ref"] for row in document["tables"]["hat"]}
    for row in document["tables"]["hat"]:
        if row["ref"] == refs[world.other_hat.title]:
            row["reports_to"] = refs[world.hat.title]
    with pytest.raises(BackupError, match="hat: reports_to"):
        import_org(document, slug="loop")
    assert not m.Organisation.objects.filter(slug="loop").exists()


# Loops saved before: the map's health check ------------------------------------


def loops_stored_before(world):
    """A loop in each tree, written past the forms and services."""
    m.Function.objects.filter(pk=world.root.pk).update(parent=world.team)
    m.Hat.objects.filter(pk=world.hat.pk).update(reports_to=world.other_hat)
    m.Hat.objects.filter(pk=world.other_hat.pk).update(reports_to=world.hat)


def test_health_names_every_row_on_a_loop(world):
    loops_stored_before(world)
    check = next(c for c in hc.health_of(world.org).checks if c.key == "no_loops")
    assert not check.ok
    assert {(o.kind, o.id) for o in check.offenders} == {
        ("function", world.root.id),
        ("function", world.sales.id),
        ("function", world.team.id),
        ("hat", world.hat.id),
        ("hat", world.other_hat.id),
    }
    assert (check.passing, check.total) == (1 + 0, 4 + 2)  # Ekonomi only
    names = {o.id: o.label for o in check.offenders}
    assert (
        names[world.hat.id]
        == "Innesäljare: reports to itself (Innesäljare → Ekonomichef → Innesäljare)"
    )


def test_the_map_links_the_loops(world, as_admin):
    loops_stored_before(world)
    page = as_admin.get(url("org-map")).text
    assert "No function is below itself and no hat reports to itself" in page
    assert f'href="{url("function-detail", function_id=world.sales.id)}"' in page
    assert f'href="{url("hat-detail", hat_id=world.hat.id)}"' in page
    assert "Innesäljare: reports to itself" in page


@pytest.mark.swedish
def test_the_map_names_the_loops_in_swedish(world):
    loops_stored_before(world)
    page = client_for(world.admin).get(url("org-map")).text
    assert "Innesäljare: rapporterar till sig själv" in page
