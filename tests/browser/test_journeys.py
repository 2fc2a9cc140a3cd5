"""The journeys of docs/ARCHITECTURE.md ("Users and journeys") walked in a real
browser, as people would. A journey whose page or file is missing fails."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.urls import get_resolver, reverse
from playwright.sync_api import expect

from roles import models as m
from roles.management.commands.demo import set_logins

from ..jobs_helpers import WorkerProcess
from .harness import (
    PASSWORD,
    html_lang,
    import_sample,
    need,
    org_url,
    sign_in,
    sign_out,
    switch_language,
    text,
)


def heading(page):
    return page.locator("main h1").first.inner_text()


# --- signing in and out ---------------------------------------------------------------------


def test_sign_in_with_any_case_wrong_password_and_sign_out(page):
    page.goto(reverse("roles:org-map", kwargs={"org": "nordisk"}))
    assert "/accounts/login/" in page.url  # anonymous → the sign-in form

    sign_in(page, "VD@Nordisk.Example", "not-the-password")
    assert "/accounts/login/" in page.url
    assert page.locator("main .alert-danger, main .invalid-feedback").first.is_visible()
    assert page.locator("input[name=password]").input_value() == ""

    sign_in(page, "  VD@Nordisk.Example ", PASSWORD)
    assert page.url.endswith(reverse("roles:org-map", kwargs={"org": "nordisk"}))
    assert page.locator("header .org-name").inner_text() == "Nordisk Försäljning AB"

    sign_out(page)
    page.goto(reverse("roles:org-map", kwargs={"org": "nordisk"}))
    assert "/accounts/login/" in page.url


def test_sign_in_returns_to_the_page_asked_for(page):
    target = reverse("roles:org-map", kwargs={"org": "nordisk"})
    page.goto(target)
    page.locator("input[name=login]").fill("saljare@nordisk.example")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(target)


def test_sign_in_with_an_authenticator_app(page):
    """Two-factor: the code an authenticator app would show, computed here from the
    secret (RFC 6238: HMAC-SHA1 of the 30-second step)."""
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(m.User.objects.get(email="saljare@nordisk.example"), secret)
    sign_in(page, "saljare@nordisk.example")
    assert "/accounts/2fa/authenticate/" in page.url
    page.locator("input[name=code]").fill("000000")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert "/accounts/2fa/authenticate/" in page.url  # a wrong code signs nobody in
    step = int(time.time()) // 30
    page.locator("input[name=code]").fill(format_hotp_value(hotp_value(secret, step)))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert page.url.endswith(reverse("roles:org-map", kwargs={"org": "nordisk"}))
    assert m.AuditEvent.objects.filter(kind="sign_in", actor="saljare@nordisk.example").exists()


# --- 6 language -----------------------------------------------------------------------------


def assert_language(page, lang):
    assert html_lang(page) == lang
    pressed = page.locator("form.lang-form button[aria-pressed=true]")
    assert pressed.get_attribute("value") == lang
    # A string of the page as that language renders it (English until translated).
    assert page.get_by_role("button", name=text(lang, "Sign out")).is_visible()


def test_language_sticks_across_pages_and_sign_in(page):
    sign_in(page, "saljchef@nordisk.example")
    assert_language(page, "sv")  # Swedish first

    switch_language(page, "en")
    assert_language(page, "en")
    assert page.locator("main h1").first.is_visible()  # stayed on the same page

    page.goto(reverse("roles:home"))  # another page
    assert_language(page, "en")

    sign_out(page)
    assert html_lang(page) == "en"
    sign_in(page, "saljchef@nordisk.example")
    assert_language(page, "en")

    switch_language(page, "sv")
    assert_language(page, "sv")
    page.goto(reverse("roles:org-map", kwargs={"org": "nordisk"}))
    assert_language(page, "sv")


# --- 5 isolation ----------------------------------------------------------------------------

# Which demo object an URL argument names: by the argument, else by the path segment before it.
ARGUMENT_MODELS = {
    "function": m.Function,
    "functions": m.Function,
    "hat": m.Hat,
    "hats": m.Hat,
    "person": m.Person,
    "people": m.Person,
    "task": m.Task,
    "tasks": m.Task,
    "area": m.Area,
    "areas": m.Area,
    "assignment": m.Assignment,
    "wearers": m.Assignment,
}


def org_urls(org):
    """Every routed URL under /o/<slug>/, filled with ids of the organisation's own objects."""
    resolver = get_resolver().namespace_dict["roles"][1]
    urls = set()
    for name in {k for k in resolver.reverse_dict if isinstance(k, str)}:
        for possibility, *_ in resolver.reverse_dict.getlist(name):
            for template, params in possibility:
                if "org" not in params:
                    continue
                values = {"org": org.slug}
                for param in params:
                    if param == "org":
                        continue
                    before = template.split(f"%({param})s")[0].rstrip("/").split("/")[-1]
                    model = ARGUMENT_MODELS.get(param.removesuffix("_id")) or ARGUMENT_MODELS.get(
                        before
                    )
                    obj = model.objects.filter(org=org).order_by("pk").first() if model else None
                    values[param] = obj.pk if obj else 1
                urls.add("/" + template % values)
    return sorted(urls)


def test_other_organisation_sees_only_404(page, demo):
    urls = org_urls(demo.nordisk)
    assert "/o/nordisk/" in urls
    sign_in(page, "vd@annat.example")
    assert page.url.endswith("/o/annat/")

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    reached = []
    for url in urls:
        response = page.request.get(url, max_redirects=0)
        if response.status == 405:  # a form's target: what the form would send
            response = page.request.post(url, headers={"X-CSRFToken": csrf}, max_redirects=0)
        if response.status != 404 or text("sv", "Page not found") not in response.text():
            reached.append(f"{response.request.method} {url} → {response.status}")
    assert not reached, "the other organisation reached:\n" + "\n".join(reached)

    response = page.goto(urls[0])  # and a person sees the friendly page
    assert response.status == 404
    assert heading(page) == text("sv", "Page not found")
    assert "Nordisk" not in page.content()


# --- 2 staff --------------------------------------------------------------------------------


def test_staff_reads_and_confirms_their_hat(page, demo):
    need("roles:me", "roles:me-acknowledge", "roles:hat-edit")
    seller = m.Hat.objects.for_org(demo.nordisk).get(title="Säljare")
    sign_in(page, "saljare@nordisk.example")
    page.goto(org_url("roles:me"))
    card = page.locator(f"#hat-{seller.pk}")
    assert "Säljare" in card.locator("h2").inner_text()
    # What changed in the revision the wearer has not confirmed yet.
    assert "Hålla CRM uppdaterat efter varje kundmöte" in card.locator(".hat-changes").inner_text()

    with page.expect_navigation():
        card.get_by_role("button", name=text("sv", "I have read my hat")).click()
    assert page.locator("main .alert-success").is_visible()
    card = page.locator(f"#hat-{seller.pk}")
    assert card.get_by_role("button", name=text("sv", "I have read my hat")).count() == 0
    assert card.locator(".ack-box .text-bg-success").is_visible()
    sara = m.Person.objects.get(org=demo.nordisk, email="saljare@nordisk.example")
    assert m.Acknowledgement.objects.filter(person=sara, hat=seller, revision__number=2).exists()

    # The editor is not for staff: a friendly 403 page, in the language they chose.
    switch_language(page, "en")
    response = page.goto(org_url("roles:hat-edit", obj=seller))
    assert response.status == 403
    assert html_lang(page) == "en"
    assert heading(page) == text("en", "You cannot do that here")
    assert page.get_by_role("link", name=text("en", "Back to the map")).is_visible()


# --- 1 sales manager ------------------------------------------------------------------------


def submit(form, name):
    with form.page.expect_navigation():
        form.get_by_role("button", name=name).click()


def test_sales_manager_hats_up_kundservice(page, demo):
    need("roles:function-detail", "roles:hat-create", "roles:hat-edit", "roles:hat-publish")
    org = demo.nordisk
    kundservice = m.Function.objects.for_org(org).get(name="Kundservice")
    # The sales manager (saljchef@) heads Kundservice in the demo; whoever heads it hats it up.
    head = kundservice.head
    if head.user_id is None:
        set_logins([head.email], PASSWORD)
    sign_in(page, head.email)
    page.goto(org_url("roles:function-detail", obj=kundservice))
    assert heading(page) == "Kundservice"

    with page.expect_navigation():
        page.get_by_role("link", name=text("sv", "New hat")).click()
    template = page.locator("select[name=template]")
    options = template.locator("option").all_inner_texts()
    choice = next((o for o in options if re.search("customer|kund", o, re.I)), options[1])
    template.select_option(label=choice)
    submit(page.locator("main form").first, text("sv", "Create hat"))
    # A template first shows what it will add; nothing is written until confirmed.
    expect(page.locator("#plan-duties")).to_be_visible()
    assert not m.Hat.objects.for_org(org).filter(function=kundservice).exists()
    submit(page.locator("main form").last, text("sv", "Add the hat"))
    hat = m.Hat.objects.for_org(org).get(function=kundservice)
    assert page.url.endswith(org_url("roles:hat-edit", obj=hat))

    editor = page.locator("form.hat-editor")
    editor.locator("textarea[name=purpose]").fill("Ge kunderna snabba och korrekta svar.")
    editor.locator("input[name='kpis-0-name']").fill("Svarstid")
    editor.locator("input[name='kpis-0-target']").fill("4")
    editor.locator("input[name='kpis-0-unit']").fill("h")
    submit(editor, text("sv", "Save"))
    assert page.locator("main .alert-success").is_visible()
    hat.refresh_from_db()
    assert hat.purpose == "Ge kunderna snabba och korrekta svar."
    assert hat.kpis.filter(name="Svarstid", target="4").exists()

    duty = page.locator(".duty-form")
    duty.locator("[name=new_task]").fill("Besvara kundärenden")
    duty.locator("[name=area]").fill("Eftermarknad")
    duty.locator("select[name=letters]").select_option("A")
    submit(duty, text("sv", "Add duty"))
    task = m.Task.objects.for_org(org).get(name="Besvara kundärenden")
    assert set(task.responsibilities.filter(hat=hat).values_list("letter", flat=True)) == {"A"}

    wearer = page.locator("#wearers")
    wearer.locator("#id_person-search").fill("Mikael")
    wearer.get_by_role("option", name="Mikael Dahl").click()
    wearer.locator("input[name=share]").fill("60")
    submit(wearer, text("sv", "Add wearer"))
    assert hat.assignments.filter(person__name="Mikael Dahl", share=60).exists()
    assert "Mikael Dahl (60 %)" in page.locator("#wearers").inner_text()

    publish = page.locator("#publish")
    publish.locator("textarea[name=note]").fill("Kundservice har fått sin hatt.")
    submit(publish, text("sv", "Publish"))
    assert page.locator("main .alert-success").is_visible()
    hat.refresh_from_db()
    assert hat.revisions.filter(note="Kundservice har fått sin hatt.").exists()


# --- 3 CEO ----------------------------------------------------------------------------------


def score(page):
    return int(re.search(r"\d+", page.locator(".map-score-number").inner_text()).group())


DROPDOWN = "xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' dropdown ')][1]"


def download(page, url, suffix):
    """Download as a person would: the page's link when it has one, else the address."""
    link = page.locator(f"a[href='{url}']")
    if link.count():
        link = link.first
        if not link.is_visible():  # in a closed menu: open it
            link.locator(DROPDOWN).locator("[data-bs-toggle=dropdown]").first.click()
        with page.expect_download() as info:
            link.click()
        assert info.value.suggested_filename.endswith(suffix)
        assert info.value.failure() is None
        return
    response = page.request.get(url)
    assert response.status == 200, url
    assert "attachment" in response.headers.get("content-disposition", "")
    assert suffix.lstrip(".") in response.headers.get("content-disposition", "")
    assert len(response.body()) > 1000


def test_ceo_follows_a_gap_to_the_matrix_and_fixes_it(page, demo):
    need("roles:matrix", "roles:matrix-cell", "roles:matrix-xlsx")
    org = demo.nordisk
    task = m.Task.objects.for_org(org).get(name="Reklamationer")  # planted: no A
    chief = m.Hat.objects.for_org(org).get(title="Försäljningschef")
    sign_in(page, "vd@nordisk.example")
    before = score(page)

    gap = page.locator(f"#check-tasks a[href*='#task-{task.pk}'], a[href*='task-{task.pk}']")
    with page.expect_navigation():
        gap.first.click()
    assert "/matrix/" in page.url

    # Keyboard only: Tab into the grid, arrows to the cell, "A" sets it.
    for _ in range(80):
        if page.evaluate("() => document.activeElement.classList.contains('cell-btn')"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the matrix")
    target = page.locator(f"#cell-{task.pk}-{chief.pk} .cell-btn")
    assert target.count() == 1, "the gap's row is not on the matrix page"
    rows, cols = page.evaluate(
        """(target) => {
            const grid = document.getElementById("matrix");
            const rows = [...grid.querySelectorAll("tbody tr")].filter(
                (tr) => tr.querySelector(".cell-btn"));
            const at = (btn) => {
                const tr = btn.closest("tr");
                return [rows.indexOf(tr), [...tr.querySelectorAll(".cell-btn")].indexOf(btn)];
            };
            const [r0, c0] = at(document.activeElement);
            const [r1, c1] = at(document.querySelector(target));
            return [r1 - r0, c1 - c0];
        }""",
        f"#cell-{task.pk}-{chief.pk} .cell-btn",
    )
    for _ in range(abs(rows)):
        page.keyboard.press("ArrowDown" if rows > 0 else "ArrowUp")
    for _ in range(abs(cols)):
        page.keyboard.press("ArrowRight" if cols > 0 else "ArrowLeft")
    assert page.evaluate("() => document.activeElement.closest('td').id") == (
        f"cell-{task.pk}-{chief.pk}"
    )
    page.keyboard.press("a")
    page.wait_for_function(
        "(id) => document.querySelector('#' + id + ' .cell-btn').textContent.trim() === 'A'",
        arg=f"cell-{task.pk}-{chief.pk}",
    )
    assert set(task.responsibilities.filter(hat=chief).values_list("letter", flat=True)) == {"A"}
    expect(page.locator(f"#status-{task.pk}")).to_have_class(re.compile(r"\bstatus-complete\b"))
    expect(page.locator("#live")).not_to_be_empty()  # announced to screen readers

    page.get_by_role("link", name=text("sv", "Map"), exact=True).first.click()
    page.wait_for_url(re.compile(r"/o/nordisk/$"))
    assert score(page) > before

    # The handbook is a job: tests/browser/test_jobs_browser.py downloads it.
    download(page, org_url("roles:matrix-xlsx"), ".xlsx")


# --- 4 import -------------------------------------------------------------------------------


@pytest.fixture
def worker(demo, live_server):
    # The demo is written before the worker starts (SQLite's lock; see test_jobs_browser).
    with WorkerProcess("w-import-journey") as process:
        yield process


def wait_for_preview(page):
    """The import's page polls its job; the preview replaces the progress when done."""
    expect(page.locator("#import-choices, #import-done, #import-error")).to_be_visible(
        timeout=120_000
    )


def test_import_previews_chooses_and_applies(page, demo, worker, tmp_path):
    need(
        "roles:matrix-import",
        "roles:matrix-import-preview",
        "roles:matrix-import-apply",
        "roles:matrix",
    )
    org = demo.nordisk
    hats = {h.title: h for h in m.Hat.objects.for_org(org)}
    key_account = m.Function.objects.for_org(org).get(name="Key Account")
    existing = m.Task.objects.for_org(org).get(name="Bygga prospektlistor")
    tasks_before = m.Task.objects.for_org(org).count()
    sheet = import_sample(tmp_path)

    sign_in(page, "vd@nordisk.example")
    page.goto(org_url("roles:matrix-import"))
    page.locator("input[type=file]").set_input_files(str(sheet))
    submit(page.locator("main form").first, text("sv", "Preview the import"))
    wait_for_preview(page)
    assert heading(page) == text("sv", "Import preview")
    # The sheet as read: its header and task rows marked.
    expect(page.locator("#import-grid tr.row-header")).to_have_count(1)
    expect(page.locator("#import-grid tr.row-task")).to_have_count(2)
    assert m.Task.objects.for_org(org).count() == tasks_before  # nothing saved by the preview

    # Two columns to existing hats, one to a new hat in Key Account, the known task apart.
    page.locator("#column-0").select_option(f"hat:{hats['Säljare'].pk}")
    page.locator("#column-1").select_option(f"hat:{hats['Innesäljare'].pk}")
    page.locator("#column-2").select_option(f"function:{key_account.pk}")
    page.get_by_role(
        "radio", name=f"{text('sv', 'Keep apart')} Prospektering › Bygga prospektlistor"
    ).check()
    submit(page.locator("#import-choices"), text("sv", "Read again with these choices"))
    wait_for_preview(page)
    # The choices are shown as made, and the summary follows them.
    expect(page.locator("#column-0")).to_have_value(f"hat:{hats['Säljare'].pk}")
    expect(page.locator("#column-2")).to_have_value(f"function:{key_account.pk}")
    expect(page.locator("#sum-hats")).to_have_text("1")
    expect(page.locator("#sum-tasks")).to_have_text("2")

    submit(page.locator("#import-apply"), text("sv", "Apply"))
    expect(page.locator("#import-done")).to_be_visible(timeout=120_000)
    with page.expect_navigation():
        page.get_by_role("link", name=text("sv", "Open the matrix")).click()
    assert m.Task.objects.for_org(org).count() == tasks_before + 2
    made = m.Task.objects.for_org(org).filter(name="Bygga prospektlistor").exclude(pk=existing.pk)
    made = made.get()
    partner = m.Hat.objects.for_org(org).get(title="Partneransvarig")
    assert partner.function == key_account

    def cell(task, hat):
        stored = m.Responsibility.objects.for_org(org).filter(task=task, hat=hat)
        return "".join(sorted(stored.values_list("letter", flat=True)))

    assert [cell(made, h) for h in (hats["Säljare"], hats["Innesäljare"], partner)] == [
        "A",
        "R",
        "C",
    ]
    assert cell(existing, partner) == ""  # the existing task was left alone
    expect(page.locator("#matrix").get_by_text("Partnerträffar", exact=True)).to_have_count(1)
    expect(page.locator("#matrix").get_by_text("Bygga prospektlistor", exact=True)).to_have_count(2)

    # The same file again: the choices are remembered and nothing would change.
    page.goto(org_url("roles:matrix-import"))
    page.locator("input[type=file]").set_input_files(str(sheet))
    submit(page.locator("main form").first, text("sv", "Preview the import"))
    wait_for_preview(page)
    expect(page.locator("#import-nothing")).to_be_visible()
    expect(page.locator("#column-2")).to_have_value(f"hat:{partner.pk}")
    assert m.Task.objects.for_org(org).count() == tasks_before + 2


# --- 1 sales manager, keyboard only: every planted RACI problem fixed ------------------------


def tab_into_grid(page):
    for _ in range(80):
        if page.evaluate("() => document.activeElement.classList.contains('cell-btn')"):
            return
        page.keyboard.press("Tab")
    raise AssertionError("Tab never reached the matrix")


def arrow_to(page, cell_id):
    """Move the focus from the focused cell to the cell <td id=cell_id> with arrow keys."""
    rows, cols = page.evaluate(
        """(target) => {
            const grid = document.getElementById("matrix");
            const rows = [...grid.querySelectorAll("tbody tr")].filter(
                (tr) => tr.querySelector(".cell-btn"));
            const at = (btn) => {
                const tr = btn.closest("tr");
                return [rows.indexOf(tr), [...tr.querySelectorAll(".cell-btn")].indexOf(btn)];
            };
            const [r0, c0] = at(document.activeElement);
            const [r1, c1] = at(document.querySelector("#" + target + " .cell-btn"));
            return [r1 - r0, c1 - c0];
        }""",
        cell_id,
    )
    for _ in range(abs(rows)):
        page.keyboard.press("ArrowDown" if rows > 0 else "ArrowUp")
    for _ in range(abs(cols)):
        page.keyboard.press("ArrowRight" if cols > 0 else "ArrowLeft")
    assert page.evaluate("() => document.activeElement.closest('td').id") == cell_id


def test_sales_manager_fixes_every_planted_raci_problem_with_the_keyboard(page, demo):
    need("roles:matrix", "roles:matrix-cell")
    org = demo.nordisk
    tasks = m.Task.objects.for_org(org)
    hats = m.Hat.objects.for_org(org)
    chief = hats.get(title="Försäljningschef")
    finance = hats.get(title="Ekonomichef")
    support = hats.get(title="Säljsupport")
    # (task, the hat whose cell is changed, the key pressed, the letters it ends with)
    fixes = [
        (tasks.get(name="Reklamationer"), chief, "a", {"A"}),  # no A
        (tasks.get(name="Prissättning och rabatter"), chief, "Delete", set()),  # two A's
        (tasks.get(name="Arkivera avtal"), support, "r", {"R"}),  # no R
    ]
    sign_in(page, "saljchef@nordisk.example")
    page.goto(org_url("roles:matrix") + "?problems=1")
    for task, _hat, _key, _letters in fixes:
        expect(page.locator(f"#status-{task.pk}")).not_to_have_class(
            re.compile(r"\bstatus-complete\b")
        )

    tab_into_grid(page)
    complete = text("sv", "complete")
    for task, hat, key, letters in fixes:
        cell_id = f"cell-{task.pk}-{hat.pk}"
        arrow_to(page, cell_id)
        page.keyboard.press(key)
        page.wait_for_function(
            "([id, text]) => document.querySelector('#' + id + ' .cell-btn')"
            ".textContent.trim() === text",
            arg=[cell_id, "/".join(sorted(letters))],
        )
        status = page.locator(f"#status-{task.pk}")
        expect(status).to_have_class(re.compile(r"\bstatus-complete\b"))
        expect(status).to_contain_text(complete)  # a word, not only a colour
        expect(page.locator("#live")).to_contain_text(task.name)  # told to screen readers
        assert set(task.responsibilities.filter(hat=hat).values_list("letter", flat=True)) == (
            letters
        )
        # The focus comes back to the changed cell, ready for the next move.
        page.wait_for_function(
            "(id) => document.activeElement && document.activeElement.closest('td')"
            " && document.activeElement.closest('td').id === id",
            arg=cell_id,
        )
    # The Ekonomichef's A on "Prissättning och rabatter" stayed: only the extra A went.
    pricing = fixes[1][0]
    assert list(pricing.responsibilities.filter(letter="A").values_list("hat", flat=True)) == [
        finance.pk
    ]

    page.reload()
    assert page.locator("#matrix tbody tr[id^='task-']").count() == 0
    assert page.get_by_text(text("sv", "No task matches the filters.")).is_visible()
    for task in tasks:
        letters = list(task.responsibilities.values_list("letter", flat=True))
        assert letters.count("A") == 1 and "R" in letters, task.name
