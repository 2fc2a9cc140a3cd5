"""The matrix in a real browser: the page stays within its content at desktop
and phone width for every role, a cell edit updates the totals and counts in
place and says what it did beside the cell, a link to a task lands on its row,
and on a phone the matrix is a list by task that edits like the grid."""

import re

import pytest
from playwright.sync_api import expect

from roles import models as m

from .harness import CEO, MANAGER, STAFF, org_url, sign_in

SIZES = [(1366, 900), (390, 844)]

PAGE_SIZE = """() => {
    const main = document.querySelector("main");
    return {
        width: document.documentElement.scrollWidth,
        viewport: document.documentElement.clientWidth,
        height: document.documentElement.scrollHeight,
        content: Math.ceil(main.getBoundingClientRect().bottom + window.scrollY),
    };
}"""


@pytest.mark.parametrize("email", [CEO, MANAGER, STAFF])
def test_matrix_page_never_scrolls_past_its_content(page, demo, email):
    sign_in(page, email)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(org_url("roles:matrix"))
        page.wait_for_load_state("networkidle")
        size = page.evaluate(PAGE_SIZE)
        assert size["width"] <= size["viewport"], (email, width, size)
        assert size["height"] <= max(size["content"], height), (email, width, size)


def cell(page, task, hat):
    return page.locator(f"#cell-{task.pk}-{hat.pk} .cell-btn")


def test_a_cell_edit_updates_totals_and_counts_and_shows_a_toast_by_the_cell(page, demo):
    org = demo.nordisk
    pricing = m.Task.objects.for_org(org).get(name="Prissättning och rabatter")  # two A's
    chief = m.Hat.objects.for_org(org).get(title="Försäljningschef")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, MANAGER)
    page.goto(org_url("roles:matrix"))

    # The row names the hats holding its A's, whichever columns are on screen.
    status = page.locator(f"#status-{pricing.pk}")
    expect(status).to_contain_text("Försäljningschef")
    expect(status).to_contain_text("Ekonomichef")
    totals = page.locator("#status-totals")
    expect(totals).to_contain_text("två eller fler A: 1")
    counts = page.locator(f"#counts-{chief.pk}")
    a_before = int(re.search(r"A(\d+)", counts.inner_text().replace(" ", "")).group(1))
    # A complete row shows no pill: only problems take room.
    complete = m.Task.objects.for_org(org).get(name="Boka kundmöten")
    assert page.locator(f"#status-{complete.pk}").bounding_box()["height"] <= 1

    target = cell(page, pricing, chief)
    target.scroll_into_view_if_needed()
    target.click()
    page.locator("#cell-menu [data-letters='']").click()
    expect(target).to_have_text("")

    # Without a reload: the totals line, the column's count and the row status.
    expect(totals).not_to_contain_text("två eller fler A")
    expect(counts).to_contain_text(f"A{a_before - 1}")
    expect(status).to_have_class(re.compile(r"\bstatus-complete\b"))

    # The notice is a toast beside the cell, and read out by the live region.
    toast = page.locator("#matrix-toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Prissättning och rabatter")
    expect(page.locator("#live")).to_contain_text("Prissättning och rabatter")
    near, box = target.bounding_box(), toast.bounding_box()
    assert (
        abs(box["y"] - (near["y"] + near["height"])) < 60
        or abs(near["y"] - (box["y"] + box["height"])) < 60
    ), (near, box)
    assert abs(box["x"] - near["x"]) < 400, (near, box)
    assert box["x"] + box["width"] <= 1366
    page.locator("#matrix-toast .notice-close").click()
    expect(toast).to_be_hidden()

    # An A that moves offers its undo in the toast, by the cell.
    booking = m.Task.objects.for_org(org).get(name="Boka kundmöten")  # A: Teamledare innesälj
    seller = m.Hat.objects.for_org(org).get(title="Innesäljare")
    lead = m.Hat.objects.for_org(org).get(title="Teamledare innesälj")
    target = cell(page, booking, seller)
    target.scroll_into_view_if_needed()
    target.click()
    page.locator("#cell-menu [data-letters='A/R']").click()
    expect(toast).to_be_visible()
    expect(cell(page, booking, lead)).to_have_text("")
    toast.get_by_role("button", name="Ångra").click()
    expect(cell(page, booking, lead)).to_have_text("A")
    expect(target).to_have_text("R")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Ångrat")


def test_a_link_from_the_map_lands_on_the_task_row(page, demo):
    task = m.Task.objects.for_org(demo.nordisk).get(name="Reklamationer")  # planted: no A
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, CEO)
    page.goto(org_url("roles:org-map"))
    with page.expect_navigation():
        page.locator(f"a[href*='#task-{task.pk}']").first.click()
    row = page.locator(f"#task-{task.pk}")
    expect(row).to_have_class(re.compile(r"\brow-target\b"))
    expect(row).to_be_in_viewport()
    page.wait_for_load_state("load")
    page.wait_for_timeout(100)
    # Below the matrix's sticky header, not hidden under it, and inside the window.
    head = page.locator("#matrix thead").bounding_box()
    box = row.bounding_box()
    assert box["y"] >= head["y"] + head["height"] - 1, (box, head)
    assert box["y"] + box["height"] <= 900, box
    heading = row.locator("th")
    colour = heading.evaluate("(th) => getComputedStyle(th).backgroundColor")
    assert colour == "rgb(255, 243, 205)", colour  # highlighted
    # Unfiltered, a row far down the matrix: the same.
    far = m.Task.objects.for_org(demo.nordisk).get(name="Prissättning och rabatter")
    page.goto(org_url("roles:matrix") + f"?task={far.pk}#task-{far.pk}")
    page.wait_for_load_state("load")
    page.wait_for_timeout(100)
    head = page.locator("#matrix thead").bounding_box()
    box = page.locator(f"#task-{far.pk}").bounding_box()
    assert box["y"] >= head["y"] + head["height"] - 1, (box, head)
    assert box["y"] + box["height"] <= 900, box
    page.goto(org_url("roles:org-map"))
    with page.expect_navigation():
        page.locator(f"a[href*='#task-{task.pk}']").first.click()
    # Tab enters the grid on that row.
    for _ in range(80):
        if page.evaluate("() => document.activeElement.classList.contains('cell-btn')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('tr').id") == f"task-{task.pk}"


def test_on_a_phone_the_matrix_is_a_list_that_edits_a_letter(browser, live_server, demo):
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    page = context.new_page()
    try:
        org = demo.nordisk
        task = m.Task.objects.for_org(org).get(name="Arkivera avtal")  # planted: no R
        support = m.Hat.objects.for_org(org).get(title="Säljsupport")
        sign_in(page, MANAGER)
        page.goto(org_url("roles:matrix"))
        expect(page.locator("#matrix")).to_have_class(re.compile(r"\bhat-labels\b"))
        expect(page.locator("#matrix-help")).to_be_hidden()  # no keyboard hint on touch
        expect(page.locator("#matrix thead")).to_be_hidden()
        size = page.evaluate(PAGE_SIZE)
        assert size["width"] <= 390, size

        td = page.locator(f"#cell-{task.pk}-{support.pk}")
        assert td.get_attribute("data-hat") == "Säljsupport"  # shown beside the letters
        button = td.locator(".cell-btn")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
        # The task heading stands above its hats.
        heading = page.locator(f"#task-{task.pk} th").bounding_box()
        assert heading["y"] < box["y"]
        button.tap()
        item = page.locator("#cell-menu [data-letters='R']")
        assert item.bounding_box()["height"] >= 44
        menu = page.locator("#cell-menu").bounding_box()
        assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 390, menu  # inside the window
        assert page.evaluate(PAGE_SIZE)["width"] <= 390
        item.tap()
        expect(button).to_have_text("R")
        assert set(task.responsibilities.filter(hat=support).values_list("letter", flat=True)) == {
            "R"
        }
        expect(page.locator(f"#status-{task.pk}")).to_have_class(re.compile(r"status-complete"))
        assert page.evaluate(PAGE_SIZE)["width"] <= 390
    finally:
        context.close()
