"""The weekly numbers walked in a browser: the seller enters this week's
numbers by keyboard alone, the manager corrects one in the team grid and sees
the scorecard turn, and the CEO follows a red KPI from the map to its graph."""

from decimal import Decimal

from playwright.sync_api import expect

from roles import models as m
from roles.services import numbers as services

from .harness import CEO, MANAGER, STAFF, org_url, sign_in, text


def tab_to(page, selector, limit=80):
    """Press Tab until the focus is on an element matching `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_seller_enters_this_weeks_numbers_by_keyboard_alone(page, demo):
    sign_in(page, STAFF)
    page.goto(org_url("roles:me"))
    expect(page.locator("#numbers-heading")).to_have_text(text("sv", "This week's numbers"))
    fields = page.locator("#numbers .number-input")
    expect(fields).to_have_count(3)  # Orderingång, Nya kunder, Kundmöten
    tab_to(page, "#numbers .number-input")
    for typed in ("412 500,5", "2", "14"):
        page.keyboard.type(typed)
        page.keyboard.press("Tab")  # leaving the field saves it
    statuses = page.locator("#numbers .number-status")
    for i in range(3):
        expect(statuses.nth(i)).to_contain_text(text("sv", "saved"))
    sara = m.Person.objects.get(email=STAFF, org__slug="nordisk")
    stored = {
        v.kpi.name: v.value
        for v in m.KPIValue.objects.filter(person=sara, author=sara).select_related("kpi")
    }
    assert stored == {"Orderingång": Decimal("412500.5"), "Nya kunder": 2, "Kundmöten": 14}

    # A refused value says why and keeps what was typed.
    field = page.locator("#numbers .number-input").nth(2)
    field.fill("fjorton")
    page.keyboard.press("Tab")
    expect(page.locator("#numbers .number-status").nth(2)).to_contain_text("fjorton")
    expect(page.locator("#numbers .number-input").nth(2)).to_have_value("fjorton")


def test_the_manager_corrects_a_number_and_the_scorecard_cell_turns(page, demo):
    org = demo.nordisk
    sales = m.Function.objects.get(org=org, name="Försäljning")
    sign_in(page, MANAGER)
    scorecard = org_url("roles:scorecard") + f"?function={sales.id}"
    page.goto(scorecard)
    row = page.locator("table.scorecard tbody tr", has_text="Bokade möten")
    expect(row.locator("td").nth(12)).to_have_class("text-end score-off")

    page.get_by_role("link", name=text("sv", "Enter or correct numbers")).click()
    maria = m.Person.objects.get(org=org, name="Maria Svensson")
    kpi = m.KPI.objects.get(hat__org=org, name="Bokade möten")
    this = services.current(org)
    field = page.locator(f"#n-{kpi.id}-{maria.id}-{this:%Y%m%d}")
    field.fill("14")
    page.keyboard.press("Tab")
    expect(page.locator(f"#n-{kpi.id}-{maria.id}-{this:%Y%m%d}-status")).to_contain_text(
        text("sv", "saved")
    )
    page.goto(scorecard)
    row = page.locator("table.scorecard tbody tr", has_text="Bokade möten")
    expect(row.locator("td").nth(12)).to_have_class("text-end score-on")
    change = m.KPIValueChange.objects.get(kpi=kpi, person=maria)
    assert (change.old, change.new, change.author.email) == (Decimal(7), Decimal(14), MANAGER)


def test_the_ceo_follows_a_red_kpi_from_the_map_to_its_graph(page, demo):
    sign_in(page, CEO)
    page.goto(org_url("roles:org-map"))
    page.get_by_role("link", name="Bokade möten (Innesäljare)").click()
    expect(page.locator("main h1")).to_have_text("Bokade möten")
    graph = page.get_by_role("img", name="Bokade möten")
    expect(graph).to_be_visible()
    expect(page.locator("svg polyline").first).to_be_visible()
    page.get_by_text(text("sv", "The numbers as a table")).click()
    expect(page.locator("details table tbody tr")).to_have_count(13)
    page.get_by_role("link", name=text("sv", "%(n)s periods") % {"n": 52}).click()
    expect(page.locator("details table tbody tr")).to_have_count(52)
