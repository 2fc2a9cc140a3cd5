"""`make screenshots`: PNGs of the demo for the README, in docs/screenshots/.
Run by pytest (for the live server and the fresh demo) but not part of the test
suite: the name does not match test_*.py."""

import os

import pytest

from roles import models as m

from .harness import ROOT, org_url, sign_in, switch_language

OUT = ROOT / "docs" / "screenshots"
LANGUAGE = os.environ.get("SCREENSHOT_LANGUAGE", "sv")
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


def shoot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
    print(f"wrote {OUT / name}.png")


@pytest.fixture
def wide(page):
    page.set_viewport_size({"width": 1280, "height": 860})
    return page


def shoot_both(page, name, url):
    """The page at laptop width (NAME.png) and at phone width (NAME-phone.png)."""
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    shoot(page, name)
    page.set_viewport_size(PHONE)
    page.goto(url)
    shoot(page, f"{name}-phone")


def test_screenshots(wide, demo):
    page = wide
    seller = m.Hat.objects.for_org(demo.nordisk).get(title="Säljare")

    sign_in(page, "vd@nordisk.example")
    if LANGUAGE != "sv":
        switch_language(page, LANGUAGE)
    shoot_both(page, "map", org_url("roles:org-map"))
    shoot_both(page, "hat", org_url("roles:hat-detail", obj=seller))
    shoot_both(page, "matrix", org_url("roles:matrix"))

    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    sign_in(page, "saljare@nordisk.example")
    if LANGUAGE != "sv":
        switch_language(page, LANGUAGE)
    shoot_both(page, "my-hats", org_url("roles:me"))


def test_number_screenshots(wide, demo):
    page = wide
    sales = m.Function.objects.for_org(demo.nordisk).get(name="Försäljning")
    meetings = m.KPI.objects.get(hat__org=demo.nordisk, name="Kundmöten")
    sign_in(page, "vd@nordisk.example")
    if LANGUAGE != "sv":
        switch_language(page, LANGUAGE)
    page.goto(org_url("roles:scorecard") + f"?function={sales.id}")
    shoot(page, "scorecard")
    page.goto(org_url("roles:kpi-graph", obj=meetings) + "?n=26")
    shoot(page, "kpi-graph")


def test_digest_email_screenshot(page, demo):
    """The CEO's weekly digest of the demo as a mail client shows its HTML."""
    import datetime  # noqa: PLC0415

    from django.utils import timezone  # noqa: PLC0415

    from roles import notify, reminders  # noqa: PLC0415

    ceo = m.Person.objects.get(org=demo.nordisk, email="vd@nordisk.example")
    ceo.language = LANGUAGE
    ceo.save(update_fields=["language"])
    today = timezone.localdate()
    thursday = today - datetime.timedelta(days=(today.weekday() - 3) % 7)
    reminders.run_org(
        demo.nordisk, timezone.make_aware(datetime.datetime.combine(thursday, datetime.time(12)))
    )
    notify.flush("digest", [ceo.id])
    email = m.OutgoingEmail.objects.filter(person=ceo, kind="notify:digest").latest("created")
    page.set_viewport_size({"width": 700, "height": 1000})
    page.set_content(email.html)
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "digest-email.png"), full_page=False)
    print(f"wrote {OUT / 'digest-email'}.png")
