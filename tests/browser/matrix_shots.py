"""Screenshots of the matrix (not a test: run by hand with pytest)."""

import os

from .harness import org_url, sign_in

OUT = "/work/shots"
STAGE = os.environ.get("SHOTS_STAGE", "before")


def test_matrix_shots(page, demo):
    sign_in(page, "saljchef@nordisk.example")
    for w, h in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        page.goto(org_url("roles:matrix"))
        page.wait_for_load_state("networkidle")
        dims = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        print(STAGE, w, h, dims)
        page.screenshot(path=f"{OUT}/matrix-{STAGE}-{w}x{h}.png", full_page=False)
        page.screenshot(path=f"{OUT}/matrix-{STAGE}-{w}x{h}-full.png", full_page=True)


def test_template_preview_shot(page, demo):
    from roles import models as m

    sales = m.Function.objects.for_org(demo.nordisk).get(name="Försäljning")
    sign_in(page, "saljchef@nordisk.example")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(org_url("roles:hat-create", obj=sales))
    page.locator("select[name=template]").select_option("account_executive")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=f"{OUT}/template-preview-1366x900.png", full_page=True)
