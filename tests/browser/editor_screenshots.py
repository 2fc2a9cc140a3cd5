"""PNGs of the hat editor in Swedish at desktop and phone width, for comparing
a change before and after. Not part of the suite (the name does not match
test_*.py): run it by path, with SCREENSHOT_DIR and SCREENSHOT_PREFIX."""

import os
from pathlib import Path

from roles import models as m

from .harness import ROOT, org_url, sign_in

OUT = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "test-artifacts"))
PREFIX = os.environ.get("SCREENSHOT_PREFIX", "editor")
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def test_editor_screenshots(page, demo):
    seller = m.Hat.objects.for_org(demo.nordisk).get(title="Säljare")
    sign_in(page, "vd@nordisk.example")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(org_url("roles:hat-edit", obj=seller))
        page.wait_for_load_state("networkidle")
        for full in (False, True):
            suffix = "-full" if full else ""
            path = OUT / f"{PREFIX}-{name}{suffix}.png"
            page.screenshot(path=str(path), full_page=full)
            print(f"wrote {path}")
