"""The notifications journey: the sales manager publishes a new revision of
Säljare, the seller's bell shows it, the seller follows it to what changed and
confirms, and the manager's next digest no longer lists the seller."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from roles import models as m
from roles import reminders

from .harness import MANAGER, STAFF, need, org_url, sign_in, text


def digest_day(weeks_ahead=0):
    today = timezone.localdate() + datetime.timedelta(days=7 * weeks_ahead)
    thursday = today - datetime.timedelta(days=(today.weekday() - 3) % 7)
    return timezone.make_aware(datetime.datetime.combine(thursday, datetime.time(12)))


def unconfirmed_in_digest(manager, week):
    """(person, hat) pairs the manager's digest of `week` lists as unconfirmed."""
    notes = m.Notification.objects.filter(person=manager, kind="digest")
    rows = [n for n in notes if n.payload.get("period") == week.isoformat()]
    return {(i["person"], i["hat"]) for n in rows for i in n.payload.get("unconfirmed", [])}


def test_a_new_revision_reaches_the_seller_and_leaves_the_digest(page, demo):
    need("roles:notifications", "roles:hat-publish", "roles:me-acknowledge")
    org = demo.nordisk
    seller_hat = m.Hat.objects.for_org(org).get(title="Säljare")
    sara = m.Person.objects.get(org=org, email=STAFF)
    manager = m.Person.objects.get(org=org, email=MANAGER)

    # The manager changes the hat in the editor, saves, and publishes a new
    # revision with a note.
    sign_in(page, MANAGER)
    page.goto(org_url("roles:hat-edit", obj=seller_hat))
    editor = page.locator("#hat-editor")
    editor.locator("textarea[name=authority]").fill("Beslutar om rabatter upp till 10 %.")
    with page.expect_navigation():
        editor.get_by_role("button", name=text("sv", "Save"), exact=True).click()
    editor.locator("#publish textarea[name=note]").fill("Nya regler för rabatter")
    with page.expect_navigation():
        editor.get_by_role("button", name=text("sv", "Publish"), exact=True).click()
    assert m.Hat.objects.get(pk=seller_hat.pk).revision == seller_hat.revision + 1

    this_week = reminders.week_just_ended(org, digest_day())[0]
    reminders.run_org(org, digest_day())
    assert ("Sara Nilsson", "Säljare") in unconfirmed_in_digest(manager, this_week)

    # The seller's bell shows it; they follow it to what changed and confirm.
    page.context.clear_cookies()
    sign_in(page, STAFF)
    page.goto(org_url("roles:me"))
    bell = page.locator("a.bell")
    expect(bell.locator(".badge")).to_be_visible()
    with page.expect_navigation():
        bell.click()
    item = page.locator(".notifications li").filter(has_text="Säljare").first
    expect(item).to_contain_text("Nya regler för rabatter")
    with page.expect_navigation():
        item.get_by_role("link").first.click()
    card = page.locator(f"#hat-{seller_hat.pk}")
    expect(card.locator(".hat-changes")).to_be_visible()
    with page.expect_navigation():
        card.get_by_role("button", name=text("sv", "I have read my hat")).click()
    assert page.locator("main .alert-success").is_visible()
    revision = m.Hat.objects.get(pk=seller_hat.pk).revision
    assert m.Acknowledgement.objects.filter(
        person=sara, hat=seller_hat, revision__number=revision
    ).exists()
    # Confirming answered the notices of that hat: the bell has nothing left.
    expect(page.locator("a.bell .badge")).to_have_count(0)

    # The manager's next digest no longer lists the seller.
    next_week = reminders.week_just_ended(org, digest_day(1))[0]
    reminders.run_org(org, digest_day(1))
    assert ("Sara Nilsson", "Säljare") not in unconfirmed_in_digest(manager, next_week)
