"""Every main page as each person who can see it, on a phone (390×844) and a
laptop (1366×900), in Swedish and English: the page never scrolls sideways,
the navigation folds into a menu on the phone, every control a thumb can hit
is at least 44 px high, axe-core finds nothing serious, and the Nu HTML Checker
no error. One Chromium page per width, one sign-in per person and language,
one checker run for every distinct page, to keep it under about 90 s."""

import json
import shutil
import subprocess

import pytest

from .harness import CEO, MANAGER, STAFF, _sales, _seller, need, open_menu, org_url, sign_in
from .harness import switch_language as switch
from .test_a11y import AXE, axe_violations, describe
from .test_html import HTMX_ATTRIBUTE, VNU

# (label, URL name, demo object, who can see it)
PAGES = [
    ("map", "roles:org-map", None, (CEO, MANAGER, STAFF)),
    ("hat", "roles:hat-detail", _seller, (CEO, MANAGER, STAFF)),
    ("hat-editor", "roles:hat-edit", _seller, (CEO, MANAGER)),
    ("matrix", "roles:matrix", None, (CEO, MANAGER, STAFF)),
    ("my-hats", "roles:me", None, (CEO, MANAGER, STAFF)),
    ("people", "roles:people", None, (CEO, MANAGER, STAFF)),
    ("function", "roles:function-detail", _sales, (CEO, MANAGER, STAFF)),
    ("import", "roles:matrix-import", None, (CEO,)),
]
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}
TAP = 44
# The matrix's own phone layout and its cells belong to the matrix page's tests.
CONTROLS = (
    "a.btn, button, input:not([type=hidden]), select, textarea, summary, .nav-link, .dropdown-item"
)
TARGETS = """([sel, limit]) => [...document.querySelectorAll(sel)]
  .filter(el => {
    if (el.closest('.matrix-scroll, .matrix, .cell-menu')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  }).map(el => {
    let h = el.getBoundingClientRect().height;
    // A checkbox or radio counts with the label that wraps or names it.
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || document.querySelector(`label[for="${el.id}"]`);
      if (label) h = Math.max(h, label.getBoundingClientRect().height);
    }
    return {h: Math.round(h * 10) / 10, what: el.outerHTML.slice(0, 120)};
  }).filter(t => t.h < limit)"""


def visible_to(who):
    return [p for p in PAGES if who in p[3]]


def url_of(spec, org):
    _label, name, target, _who = spec
    return org_url(name, org, target(org) if target else None)


def measure(page, label, lang, who, phone):
    """What is wrong with the page as it is now (a list of lines)."""
    problems = []
    where = f"{label} as {who} in {lang} at {page.viewport_size['width']} px"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        problems.append(f"{where}: the page is {width} px wide")
    if phone:
        header = page.locator("header.navbar").bounding_box()["height"]
        if header > 120:
            problems.append(f"{where}: the navigation takes {header} px")
        if label != "matrix":
            small = page.evaluate(TARGETS, [CONTROLS + ", .page-link", TAP - 0.5])
            problems += [f"{where}: {t['h']} px high: {t['what']}" for t in small[:5]]
    # axe: in Swedish every page, person and width; in English the CEO's pages on
    # the phone (colours and structure do not change with the language, text
    # lengths do; test_a11y audits the laptop width in English). Within the time.
    found = axe_violations(page) if lang == "sv" or (phone and who == CEO) else []
    if found:
        problems.append(f"{where}:\n{describe(found)}")
    return problems


def walk(page, demo, sources):
    """Every page for every person and language, each measured at both widths;
    `sources` collects each page's HTML for the checker."""
    need(*(p[1] for p in PAGES))
    problems = []
    for who in (CEO, MANAGER, STAFF):
        page.context.clear_cookies()
        sign_in(page, who)
        for lang in ("sv", "en"):
            if lang != "sv":
                switch(page, lang)
            for spec in visible_to(who):
                response = page.goto(url_of(spec, demo.nordisk))
                if response.status != 200:
                    problems.append(f"{spec[0]} as {who} in {lang}: status {response.status}")
                    continue
                assert page.locator("html").get_attribute("lang") == lang
                sources[f"{spec[0]}-{who.split('@')[0]}-{lang}"] = response.text()
                for viewport in (PHONE, LAPTOP):  # the same page, resized
                    page.set_viewport_size(viewport)
                    problems += measure(page, spec[0], lang, who, viewport is PHONE)
    return problems


@pytest.fixture(scope="module", autouse=True)
def tools_installed():
    if not AXE.exists() or not VNU.exists():
        pytest.fail("axe-core or vnu-jar is missing: run `make browser-deps`")


def validate(sources, tmp_path):
    """The Nu HTML Checker's errors over every page, in one java run."""
    java = shutil.which("java")
    assert java, "java is missing: the HTML checker needs it"
    files = {}
    for name, html in sources.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files[str(path)] = name
    run = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--no-langdetect", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=180,
    )
    problems = []
    for msg in json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]:
        if HTMX_ATTRIBUTE.match(msg["message"]):
            continue
        where = files.get(msg.get("url", "").removeprefix("file:"), msg.get("url"))
        problems.append(f"{where} line {msg.get('lastLine', '?')}: {msg['message']}")
    return problems


def test_every_main_page_fits_a_phone_and_a_laptop(audit_page, demo, tmp_path):
    page, sources = audit_page, {}
    problems = walk(page, demo, sources)

    # On the phone the menu is folded and opens; on the laptop it is open.
    page.goto(org_url("roles:org-map"))
    assert page.locator(".navbar-toggler").is_hidden()
    page.set_viewport_size(PHONE)
    assert not page.locator("#nav-menu .nav-link").first.is_visible()
    open_menu(page)
    assert page.locator("#nav-menu .nav-link").first.is_visible()

    problems += validate(sources, tmp_path)
    assert not problems, "\n".join(problems)
