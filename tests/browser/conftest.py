"""Browser harness: a live server with the demo loaded fresh for every test, and
Debian's Chromium driven by Playwright (sync API). Every test here is marked
`browser`, so `make test` (-m "not browser") skips them and `make test-browser`
runs them. A failing test leaves a screenshot and the page's HTML in
test-artifacts/."""

import os
import re
from pathlib import Path

# Playwright's sync API runs an event loop in the test thread; Django would
# otherwise refuse database access from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from .harness import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, load_demo  # noqa: E402

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Fixtures read this in their teardown to decide whether to save artifacts.
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.exit(f"{CHROMIUM} is missing: apt-get install chromium", returncode=2)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    """The demo organisations, built fresh (the database is emptied after each test)."""
    return load_demo()


def _save_artifacts(request, page):
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])[:120]
    png, html = ARTIFACTS / f"{stem}.png", ARTIFACTS / f"{stem}.html"
    try:
        page.screenshot(path=str(png), full_page=True)
        html.write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the page may be gone; the test's own error matters more
        print(f"\ncould not save artifacts: {exc}")
        return
    print(f"\nfailure artifacts ({page.url}):\n  {png}\n  {html}")


def _open_page(request, browser, live_server, **context_options):
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        **context_options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.problems = []  # uncaught script errors and CSP refusals seen while browsing
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            page.problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    yield page
    failed = any(
        getattr(request.node, f"report_{when}", None) is not None
        and getattr(request.node, f"report_{when}").failed
        for when in ("setup", "call")
    )
    if failed or page.problems:
        _save_artifacts(request, page)
    context.close()
    if page.problems and not failed:
        pytest.fail("the browser reported:\n" + "\n".join(page.problems))


@pytest.fixture
def page(request, browser, live_server, demo):
    """A fresh browser tab (own cookies) on the live server, the demo loaded."""
    yield from _open_page(request, browser, live_server)


@pytest.fixture
def audit_page(request, browser, live_server, demo):
    """Like `page`, but the page's CSP does not block the checker scripts we inject."""
    yield from _open_page(request, browser, live_server, bypass_csp=True)
