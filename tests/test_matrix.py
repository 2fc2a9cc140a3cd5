"""The RACI matrix page: what it shows, its filters, and its size limits."""

import pytest

from roles import models as m
from roles.access import Access
from roles.matrix.filters import MAX_COLUMNS, PER_PAGE, Filters
from roles.matrix.page import build_matrix

from . import factories as f

URL = "/o/alfa/matrix/"


def html(response):
    return response.content.decode()


def matrix_of(person, **filters):
    return build_matrix(Access(person), Filters(**filters))


# Access ---------------------------------------------------------------------------
def test_anonymous_is_sent_to_login(world, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def test_outsider_gets_404(world, as_outsider):
    assert as_outsider.get(URL).status_code == 404


def test_member_sees_the_matrix_read_only(world, as_member):
    response = as_member.get(URL)
    assert response.status_code == 200
    page = html(response)
    assert "Boka möten" in page
    assert 'id="cell-menu"' not in page
    assert '<a class="cell-btn"' not in page
    assert "Add task" not in page


def test_nav_links_to_the_matrix(world, as_member):
    assert 'href="/o/alfa/matrix/"' in html(as_member.get("/o/alfa/"))


# What the page shows ------------------------------------------------------------------
def test_rows_grouped_by_area_in_order_and_tasks_without_area_last(world, as_admin):
    later = f.AreaFactory(org=world.org, name="Eftermarknad", position=5)
    first = f.AreaFactory(org=world.org, name="Analys", position=-0)
    world.area.position = 3
    world.area.save()
    f.TaskFactory(org=world.org, area=later, name="Följa upp")
    f.TaskFactory(org=world.org, area=first, name="Analysera")
    m.Task.objects.create(org=world.org, area=None, name="Lös uppgift")
    page = html(as_admin.get(URL))
    order = [page.index(s) for s in ("Analysera", "Boka möten", "Följa upp", "Lös uppgift")]
    assert order == sorted(order)
    assert "No area" in page


def test_columns_grouped_by_function_in_tree_order_with_wearers_or_vacant(world, as_admin):
    data = matrix_of(world.admin)
    names = [g.function.name for g in data.column_groups]
    # Depth-first below Ledning, siblings by position then name: Ekonomi before
    # Försäljning → Innesälj.
    assert names == ["Alfa AB Ekonomi", "Alfa AB Innesälj"]
    order = [fn.name for fn, _depth in data.functions]
    assert order.index("Alfa AB Försäljning") < order.index("Alfa AB Innesälj")
    page = html(as_admin.get(URL))
    assert "Alfa AB Member" in page  # the wearer of Innesäljare
    assert "vacant" in page  # Ekonomichef has nobody


def test_cells_show_letters_and_unusual_combinations_as_written(world, as_admin):
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.hat, letter="C")
    page = html(as_admin.get(URL))
    assert f'id="cell-{world.task.id}-{world.hat.id}" class="cell cell-unusual"' in page
    assert ">R/C</button>" in page
    assert "unusual combination" in page


@pytest.mark.parametrize(
    ("letters", "label"),
    [
        ({"hat": "R", "other": "A"}, "complete"),
        ({"hat": "R"}, "no A"),
        ({"hat": "AR", "other": "A"}, "two or more A&#x27;s"),
        ({"other": "A", "hat": "C"}, "no R"),
    ],
)
def test_each_row_shows_its_status_with_a_word(world, as_admin, letters, label):
    m.Responsibility.objects.filter(task=world.task).delete()
    hats = {"hat": world.hat, "other": world.other_hat}
    for key, text in letters.items():
        for letter in text:
            f.ResponsibilityFactory(org=world.org, task=world.task, hat=hats[key], letter=letter)
    page = html(as_admin.get(URL))
    status = page[page.index(f'id="status-{world.task.id}"') :][:300]
    assert label in status


def test_each_column_shows_its_counts(world, as_admin):
    second = f.TaskFactory(org=world.org, area=world.area, name="Ringa kunder")
    f.ResponsibilityFactory(org=world.org, task=second, hat=world.hat, letter="R")
    f.ResponsibilityFactory(org=world.org, task=second, hat=world.hat, letter="A")
    data = matrix_of(world.admin)
    column = next(c for c in data.columns if c.hat.id == world.hat.id)
    assert column.counts == {"R": 2, "A": 1, "C": 0, "I": 0}


def test_sticky_classes_and_script_without_inline_js(world, as_admin):
    page = html(as_admin.get(URL))
    assert 'class="task-col"' in page
    assert "/static/matrix.js" in page
    assert "onclick" not in page and "style=" not in page


# Filters ------------------------------------------------------------------------------
def test_function_filter_includes_sub_functions(world, as_admin):
    response = as_admin.get(URL, {"function": world.sales.id})
    data = response.context["m"]
    assert [c.hat.id for c in data.columns] == [world.hat.id]
    assert data.columns_hidden_by_filters == 1
    assert "1 column hidden by the filters" in html(response)


def test_filter_options_follow_renames_and_the_choice(world, as_admin):
    # The options are kept in the cache: a rename or another choice is never stale.
    option = f'<option value="{world.sales.id}">'
    chosen = f'<option value="{world.sales.id}" selected>'
    page = html(as_admin.get(URL))
    assert option in page and chosen not in page and f"{world.sales.name}</option>" in page
    m.Function.objects.filter(pk=world.sales.pk).update(name="Försäljning <&>")
    m.Organisation.touch(world.org.id)  # as the request that renames it does: the page is kept
    page = html(as_admin.get(URL, {"function": world.sales.id}))
    assert chosen in page and "Försäljning &lt;&amp;&gt;</option>" in page
    assert world.sales.name not in page
    page = html(as_admin.get(URL))
    assert option in page and chosen not in page and "Försäljning &lt;&amp;&gt;</option>" in page


def test_area_filter(world, as_admin):
    other_area = f.AreaFactory(org=world.org, name="Order")
    f.TaskFactory(org=world.org, area=other_area, name="Skriva order")
    m.Task.objects.create(org=world.org, name="Utan område")
    data = as_admin.get(URL, {"area": other_area.id}).context["m"]
    assert [r.task.name for g in data.groups for r in g.rows] == ["Skriva order"]
    assert data.rows_hidden_by_filters == 2
    data = as_admin.get(URL, {"area": "none"}).context["m"]
    assert [r.task.name for g in data.groups for r in g.rows] == ["Utan område"]


def test_person_filter_answers_what_am_i_responsible_for(world, as_admin):
    lonely = f.TaskFactory(org=world.org, area=world.area, name="Inget för säljaren")
    f.ResponsibilityFactory(org=world.org, task=lonely, hat=world.other_hat, letter="A")
    data = as_admin.get(URL, {"person": world.member.id}).context["m"]
    assert [c.hat.id for c in data.columns] == [world.hat.id]
    assert [r.task.name for g in data.groups for r in g.rows] == ["Boka möten"]


def test_problems_filter_and_combined_filters_kept_in_links(world, as_admin):
    broken = f.TaskFactory(org=world.org, area=world.area, name="Trasig")
    f.ResponsibilityFactory(org=world.org, task=broken, hat=world.hat, letter="R")
    response = as_admin.get(URL, {"problems": "1", "function": world.sales.id})
    data = response.context["m"]
    assert [r.task.name for g in data.groups for r in g.rows] == ["Trasig"]
    page = html(response)
    # The cells' one form carries the filters to the cell page and back.
    assert f'name="q" value="function={world.sales.id}&amp;problems=1"' in page
    assert 'name="problems" value="1" id="f-problems" checked' in page


@pytest.mark.parametrize(
    "query",
    [
        {"function": "abc"},
        {"function": "999999"},
        {"area": "-1"},
        {"area": "x"},
        {"person": "0"},
        {"page": "9999"},
        {"page": "-3"},
        {"cpage": "zz"},
        {"problems": "maybe"},
    ],
)
def test_bad_filter_values_are_ignored(world, as_admin, query):
    response = as_admin.get(URL, query)
    assert response.status_code == 200
    assert "Boka möten" in html(response)


def test_filters_of_another_organisation_are_ignored(world, other_world, as_admin):
    data = as_admin.get(
        URL, {"function": other_world.sales.id, "person": other_world.member.id}
    ).context["m"]
    assert data.filters.function is None and data.filters.person is None
    assert data.matching_hats == 2


# Large organisations --------------------------------------------------------------------
def test_tasks_are_paginated(world, as_admin):
    m.Task.objects.bulk_create(
        [
            m.Task(org=world.org, area=world.area, name=f"T{i:03}", position=i + 1)
            for i in range(120)
        ]
    )
    response = as_admin.get(URL)
    data = response.context["m"]
    assert data.rows_shown == PER_PAGE and data.pages == 3
    assert "Next tasks" in html(response)
    data = as_admin.get(URL, {"page": 3}).context["m"]
    assert data.rows_shown == 121 - 2 * PER_PAGE
    assert data.first_row == 2 * PER_PAGE + 1


def test_columns_are_limited_and_the_page_says_how_many_are_hidden(world, as_admin):
    m.Hat.objects.bulk_create(
        [m.Hat(org=world.org, function=world.other, title=f"H{i:03}") for i in range(60)]
    )
    response = as_admin.get(URL)
    data = response.context["m"]
    assert len(data.columns) == MAX_COLUMNS
    assert data.columns_hidden_by_limit == 62 - MAX_COLUMNS
    assert "more columns not shown" in html(response)
    data = as_admin.get(URL, {"cpage": 2}).context["m"]
    assert len(data.columns) == 62 - MAX_COLUMNS
    # A function filter narrows below the limit.
    data = as_admin.get(URL, {"function": world.sales.id}).context["m"]
    assert data.columns_hidden_by_limit == 0


# Export links appear only when those pages exist ---------------------------------------------
def test_export_links_are_guarded(world, as_member):
    response = as_member.get(URL)
    assert response.status_code == 200
    assert response.context["import_url"] is None  # members may not import


def test_names_are_escaped_in_cells_and_headers(world, as_admin):
    world.task.name = '<script>alert("t")</script>'
    world.task.save()
    world.hat.title = 'Säljare "<b>"'
    world.hat.save()
    page = html(as_admin.get(URL))
    assert "<script>alert" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;" in page
