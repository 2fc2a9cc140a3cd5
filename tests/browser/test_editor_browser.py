"""The hat editor in Chromium: typing survives every action on the page,
leaving with unsaved typing asks first, Publish is refused when nothing
changed, and a minor edit does not ask the wearers again."""

from playwright.sync_api import expect

from roles import models as m

from .harness import MANAGER, STAFF, org_url, sign_in, sign_out, text

TYPED = {
    "title": "Säljare Syd",
    "purpose": "Vinna nya kunder i söder.",
    "product": "Signerade order i söder.",
    "authority": "Ge rabatt upp till 10 %.",
    "notes": "Gäller från januari.",
}


def seller(demo):
    return m.Hat.objects.for_org(demo.nordisk).get(title="Säljare")


def choose(page, field, query, label):
    """Type into a search-as-you-type field and pick the suggestion `label` by keyboard."""
    box = page.locator(f"#id_{field}-search")
    box.fill(query)
    option = page.locator(f"#id_{field}-suggestions [role=option]", has_text=label)
    expect(option).to_be_visible()
    while option.get_attribute("aria-selected") != "true":
        box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value(label)


def act(page, name):
    with page.expect_navigation():
        page.locator("#hat-editor").get_by_role("button", name=name, exact=True).click()


def test_nothing_typed_is_lost_whatever_is_clicked(page, demo):
    hat = seller(demo)
    sara = hat.assignments.get(person__name="Sara Nilsson", ended__isnull=True)
    sign_in(page, MANAGER)
    page.goto(org_url("roles:hat-edit", obj=hat))
    editor = page.locator("#hat-editor")

    # Type into every field of the page.
    for name, value in TYPED.items():
        editor.locator(f"[name={name}]").fill(value)
    choose(page, "reports_to", "vd", "VD (Ledning)")
    kpi = editor.locator("#kpis [data-reorder] > li").nth(3)
    for field, value in (
        ("name", "Offerter"),
        ("target", "8"),
        ("unit", "st"),
        ("period", "vecka"),
    ):
        kpi.locator(f"input[name$='-{field}']").fill(value)
    editor.get_by_role("button", name=text("sv", "Add an item")).click()
    new_item = editor.locator("#checklist [data-reorder] > li").last
    expect(new_item.locator("input[name$='-text']")).to_be_focused()
    new_item.locator("input[name$='-text']").fill("Boka en dag med säljchefen")
    editor.locator("[name=new_task]").fill("Besöka mässan i Malmö")
    editor.locator("[name=area]").fill("Prospektering")
    choose(page, "person", "mikael", "Mikael Dahl")
    editor.locator("[name=share]").fill("20")
    editor.get_by_text(text("sv", "End %(name)s's assignment") % {"name": "Sara Nilsson"}).click()
    editor.locator(f"[name=end{sara.pk}-note]").fill("Kunderna i Lund vill ha besök.")
    editor.locator("[name=note]").fill("Söder och mässan.")

    # Add duty: the duty is added, the hat's fields are saved, the rest is shown again.
    act(page, text("sv", "Add duty"))
    hat.refresh_from_db()
    assert {k: getattr(hat, k) for k in TYPED} == TYPED
    assert hat.reports_to.title == "VD"
    assert hat.kpis.filter(name="Offerter", target="8", unit="st", period="vecka").exists()
    assert hat.checklist.filter(text="Boka en dag med säljchefen").exists()
    assert hat.responsibilities.filter(task__name="Besöka mässan i Malmö", letter="R").exists()
    expect(editor.locator("#id_person-search")).to_have_value("Mikael Dahl")
    expect(editor.locator("[name=share]")).to_have_value("20")
    expect(editor.locator(f"[name=end{sara.pk}-note]")).to_have_value(
        "Kunderna i Lund vill ha besök."
    )
    expect(editor.locator("[name=note]")).to_have_value("Söder och mässan.")

    # Add wearer: added; the handover note and the change note are still there.
    editor.locator("[name=purpose]").fill("Vinna och behålla kunder i söder.")
    act(page, text("sv", "Add wearer"))
    assert hat.assignments.filter(person__name="Mikael Dahl", share=20).exists()
    hat.refresh_from_db()
    assert hat.purpose == "Vinna och behålla kunder i söder."
    expect(editor.locator(f"[name=end{sara.pk}-note]")).to_have_value(
        "Kunderna i Lund vill ha besök."
    )
    expect(editor.locator("[name=note]")).to_have_value("Söder och mässan.")

    # Reorder by keyboard and by dragging; leaving now asks first.
    first_kpi = editor.locator("#kpis [data-reorder] > li").first
    name = first_kpi.locator("input[name$='-name']").input_value()
    first_kpi.get_by_role("button", name=text("sv", "Move down")).press("Enter")
    expect(
        editor.locator("#kpis [data-reorder] > li").nth(1).locator("input[name$='-name']")
    ).to_have_value(name)
    expect(page.locator("#live")).to_contain_text("2")
    items = editor.locator("#checklist [data-reorder] > li")
    last_text = items.nth(4).locator("input[name$='-text']").input_value()
    items.nth(4).locator(".drag-handle").hover()
    target = items.nth(0).bounding_box()
    page.mouse.down()
    page.mouse.move(target["x"] + 20, target["y"] + 20, steps=5)
    page.mouse.move(target["x"] + 20, target["y"] + 10, steps=5)
    page.mouse.up()
    expect(items.nth(0).locator("input[name$='-text']")).to_have_value(last_text)

    follow_up = editor.locator("#duties li", has_text="Följa upp offerter")
    follow_up.get_by_role("button", name=text("sv", "Move up")).press("Enter")
    offer_duties = editor.locator("#duties h3:text-is('Offert') + ul > li")
    expect(offer_duties.nth(1)).to_contain_text("Följa upp offerter")

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name=text("sv", "Back to the hat")).click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert org_url("roles:hat-edit", obj=hat) in page.url

    # Publish: the reordering is saved first and shown, nothing published unseen.
    act(page, text("sv", "Publish"))
    assert not hat.revisions.filter(number=3).exists()
    assert list(hat.kpis.values_list("name", flat=True))[1] == name
    assert hat.checklist.first().text == last_text
    offert = m.Task.objects.filter(org=demo.nordisk, area__name="Offert").order_by("position")
    names = [t.name for t in offert]
    assert names.index("Följa upp offerter") < names.index("Prissättning och rabatter")
    expect(editor.locator("[name=note]")).to_have_value("Söder och mässan.")
    expect(editor.locator(f"[name=end{sara.pk}-note]")).to_have_value(
        "Kunderna i Lund vill ha besök."
    )
    diff = page.locator(".publish-diff")
    expect(diff).to_contain_text("Besöka mässan i Malmö")
    expect(diff).to_contain_text("Säljare Syd")
    act(page, text("sv", "Publish"))
    revision = hat.revisions.get(number=3)
    assert revision.note == "Söder och mässan." and not revision.minor
    assert revision.snapshot["title"] == "Säljare Syd"
    # Back in the editor: the handover note typed and never sent is still there,
    # the change note is spent.
    expect(editor.locator(f"[name=end{sara.pk}-note]")).to_have_value(
        "Kunderna i Lund vill ha besök."
    )
    expect(editor.locator("[name=note]")).to_have_value("")
    assert m.Assignment.objects.get(pk=sara.pk).ended is None


def test_publish_with_nothing_changed_is_refused(page, demo):
    hat = seller(demo)
    sign_in(page, MANAGER)
    page.goto(org_url("roles:hat-edit", obj=hat))
    publish = page.locator("#publish").get_by_role("button", name=text("sv", "Publish"))
    expect(publish).to_be_disabled()
    expect(page.locator(".publish-diff")).to_contain_text(text("sv", "No changes."))
    # The server refuses too (a crafted post from the page as it stands).
    answer = page.evaluate(
        """async () => {
            const form = document.getElementById('hat-editor');
            const button = document.querySelector('#publish button[formaction]');
            const body = new FormData(form);
            const r = await fetch(button.getAttribute('formaction'), {method: 'POST', body});
            return r.text();
        }"""
    )
    refused = text("sv", "Nothing to publish: the hat reads as its revision %(number)s.")
    assert refused % {"number": 2} in answer
    assert hat.revisions.count() == 2
    # Typing enables it: publishing then saves and shows the change first.
    page.locator("[name=notes]").fill("Ny anteckning")
    expect(publish).to_be_enabled()


def test_a_minor_edit_does_not_ask_wearers_to_confirm(page, demo):
    hat = seller(demo)
    confirm = text("sv", "I have read my hat")
    sign_in(page, STAFF)  # Sara wears Säljare and has not confirmed revision 2
    page.goto(org_url("roles:me"))
    with page.expect_navigation():
        page.get_by_role("button", name=confirm).click()
    expect(page.get_by_role("button", name=confirm)).to_have_count(0)
    sign_out(page)

    sign_in(page, MANAGER)
    page.goto(org_url("roles:hat-edit", obj=hat))
    editor = page.locator("#hat-editor")
    purpose = editor.locator("[name=purpose]")
    purpose.fill(purpose.input_value().replace("distrikt", "eget distrikt"))
    act(page, text("sv", "Save"))
    minor = text("sv", "A minor edit (a typo, a wording): the wearers are not asked again")
    editor.get_by_label(minor).check()
    editor.locator("[name=note]").fill("Ordval")
    act(page, text("sv", "Publish"))
    assert hat.revisions.get(number=3).minor
    sign_out(page)

    sign_in(page, STAFF)
    page.goto(org_url("roles:me"))
    expect(page.locator("main")).to_contain_text("eget distrikt")
    expect(page.get_by_role("button", name=confirm)).to_have_count(0)
