"""axe-core on the main pages, in Swedish and in English: no violation of impact
"serious" or "critical". axe.min.js comes from node_modules (make browser-deps)."""

import json

import pytest
from playwright.sync_api import expect

from roles import models as m

from ..jobs_helpers import WorkerProcess
from .harness import (
    MAIN_PAGES,
    MANAGER,
    MORE_PAGES,
    NODE_MODULES,
    _sales,
    import_sample,
    need,
    numbers_sample,
    org_url,
    sign_in,
    switch_language,
)

AXE = NODE_MODULES / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def axe_violations(page):
    """Run axe on the page as it is now; the serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(violations):
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def check_both_languages(page, label, open_page):
    """Open the page in Swedish and audit it, then the same in English."""
    problems = []
    for lang in ("sv", "en"):
        if lang != "sv":
            switch_language(page, lang)
        open_page()
        assert page.locator("html").get_attribute("lang") == lang
        found = axe_violations(page)
        if found:
            problems.append(f"--- {label} in {lang} ({page.url})\n{describe(found)}")
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)


@pytest.fixture(scope="module", autouse=True)
def axe_installed():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make browser-deps`")


@pytest.mark.parametrize("spec", MAIN_PAGES, ids=[p.label for p in MAIN_PAGES])
def test_main_page_has_no_serious_violations(audit_page, demo, spec):
    need(spec.url_name)
    page = audit_page
    if spec.email:
        sign_in(page, spec.email)
    url = spec.url(demo.nordisk)
    check_both_languages(page, spec.label, lambda: page.goto(url))


@pytest.fixture
def worker(demo, live_server):
    with WorkerProcess("w-a11y") as process:
        yield process


def upload_and_preview(page, url_name, sample, preview_id):
    """Upload `sample` through an import's form; audit the job's progress page,
    then wait for the preview (the audit of the preview is the caller's)."""
    page.goto(org_url(url_name))
    page.locator("input[type=file]").set_input_files(str(sample))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    found = axe_violations(page)
    assert not found, describe(found)
    expect(page.locator(preview_id)).to_be_visible(timeout=120_000)


def test_import_preview_has_no_serious_violations(audit_page, demo, worker, tmp_path):
    need("roles:matrix-import")
    page = audit_page
    sign_in(page, "vd@nordisk.example")
    check_both_languages(
        page,
        "import preview",
        lambda: upload_and_preview(
            page, "roles:matrix-import", import_sample(tmp_path), "#import-choices"
        ),
    )


def test_numbers_import_preview_has_no_serious_violations(audit_page, demo, worker, tmp_path):
    page = audit_page
    sign_in(page, "vd@nordisk.example")
    sample = numbers_sample(tmp_path)
    check_both_languages(
        page,
        "numbers import preview",
        lambda: upload_and_preview(page, "roles:numbers-import", sample, "#numbers-preview"),
    )
    # Saving is a job too: the page follows it to what was saved.
    with page.expect_navigation():
        page.locator("main form[action$='/apply/'] button[type=submit]").click()
    expect(page.locator("#numbers-saved")).to_be_visible(timeout=120_000)
    found = axe_violations(page)
    assert not found, describe(found)
    assert m.KPIValue.objects.filter(person__email="saljare@nordisk.example", value=97).exists()


def test_more_pages_have_no_serious_violations(audit_page, demo):
    """The other pages, in one go (one demo, one sign-in per person): in Swedish."""
    page, problems, signed_in = audit_page, [], None
    for spec in sorted(MORE_PAGES, key=lambda p: p.email or ""):
        if spec.email != signed_in:
            page.context.clear_cookies()
            if spec.email:
                sign_in(page, spec.email)
            signed_in = spec.email
        response = page.goto(spec.url(demo.nordisk))
        if response.status != spec.status:
            problems.append(f"--- {spec.label} ({page.url}): status {response.status}")
            continue
        found = axe_violations(page)
        if found:
            problems.append(f"--- {spec.label} ({page.url})\n{describe(found)}")
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)


def test_hat_editor_suggestions_open_have_no_serious_violations(audit_page, demo):
    """The search-as-you-type list, open, with a suggestion highlighted."""
    page = audit_page
    sign_in(page, MANAGER)
    page.goto(
        org_url("roles:hat-edit", obj=m.Hat.objects.for_org(demo.nordisk).get(title="Säljare"))
    )
    box = page.locator("#id_person-search")
    box.fill("a")
    page.locator("#id_person-suggestions [role=option]").first.wait_for()
    box.press("ArrowDown")
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-activedescendant") == "id_person-option-0"
    found = axe_violations(page)
    assert not found, describe(found)


def test_template_preview_has_no_serious_violations(audit_page, demo):
    page = audit_page
    sign_in(page, MANAGER)
    sales = _sales(demo.nordisk)

    def preview():
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(org_url("roles:hat-create", obj=sales))
        page.locator("select[name=template]").select_option("sdr")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        page.locator("#plan-duties").wait_for()

    check_both_languages(page, "template preview", preview)


def test_matrix_as_a_list_on_a_phone_has_no_serious_violations(audit_page, demo):
    page = audit_page
    sign_in(page, MANAGER)

    def phone_matrix():
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(org_url("roles:matrix"))
        page.locator("#matrix.hat-labels").wait_for()

    check_both_languages(page, "matrix as a list (phone)", phone_matrix)
