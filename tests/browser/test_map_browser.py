"""The map in a real browser: it renders as a picture, every function is on it,
branches fold without script, and it prints in landscape. Marked `browser`
(like everything in tests/browser/, run by `make test-browser`)."""

import io
import re

from roles import models as m

from .harness import org_url, sign_in


def test_map_screenshot_shows_every_function(page, demo):
    from PIL import Image

    sign_in(page, "vd@nordisk.example")
    page.goto(org_url("roles:org-map"))
    chart = page.locator(".orgchart")
    shot = chart.screenshot()
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    assert image.width > 600 and image.height > 400
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 50, "the chart is drawn, not blank"
    names = m.Function.objects.for_org(demo.nordisk).values_list("name", flat=True)
    for name in names:
        box = page.locator(".orgchart-function", has_text=name).first
        assert box.is_visible(), name
        bounds = box.bounding_box()
        assert bounds["width"] > 100 and bounds["height"] > 10, name
    # Boxes lie side by side below the top, not as one long list.
    tops = {
        round(page.locator(".orgchart-function", has_text=n).first.bounding_box()["y"])
        for n in ("Försäljning", "Marknad", "Kundservice", "Ekonomi")
    }
    assert max(tops) - min(tops) < 10

    # The chart zooms inside its box: out makes every box smaller, in larger.
    box = page.locator(".orgchart-function", has_text="Ekonomi").first
    before = box.bounding_box()["width"]
    page.locator("[data-zoom=out]").click()
    assert box.bounding_box()["width"] < before - 5
    page.locator("[data-zoom=in]").click()
    page.locator("[data-zoom=in]").click()
    assert box.bounding_box()["width"] > before + 5

    # A branch folds with its <summary>, without script.
    page.locator("summary", has_text="Försäljning").first.click()
    assert not page.locator(".orgchart-function", has_text="Innesälj").first.is_visible()
    page.locator("summary", has_text="Försäljning").first.click()
    assert page.locator(".orgchart-function", has_text="Innesälj").first.is_visible()

    # Printed: every function is still there, the page is landscape.
    page.emulate_media(media="print")
    for name in names:
        assert page.locator(".orgchart-function", has_text=name).first.is_visible(), name
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert width > height, "landscape"
