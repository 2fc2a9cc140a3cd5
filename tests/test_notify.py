"""Notifications and reminders, end to end through a real SMTP server
(aiosmtpd): each event, batching, preferences, unsubscribe, the recipient's
language, the scheduler run twice, the mail server down then up, and two
organisations kept apart."""

import datetime
import time
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from roles import models as m
from roles import notify, reminders
from roles.services import hats as hat_services
from roles.services import matrix as matrix_services
from roles.services import people as people_services

from . import factories as f
from .conftest import client_for, make_person
from .jobs_helpers import drain
from .test_mail import smtp  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def later(hours=2):
    """Pretend the last emails and queued retries are `hours` old."""
    past = timezone.now() - datetime.timedelta(hours=hours)
    m.OutgoingEmail.objects.update(created=past)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()


def publish(world, note="Nya rabattregler"):
    """A new revision: the hat's authority changes (publishing an unchanged hat
    is refused), then it is published."""
    world.hat.authority = f"{world.hat.authority} {note}".strip()
    world.hat.save()
    return hat_services.publish_hat(world.hat, world.manager, note)


# A new revision -------------------------------------------------------------------
def test_a_new_revision_mails_each_wearer_the_change_and_the_confirm_link(world, smtp):  # noqa: F811
    smtp.start()
    publish(world, "Första")
    drain()
    smtp.messages.clear()
    later()
    world.hat.purpose = "Boka fler möten"
    world.hat.save()
    publish(world, "Nytt syfte")
    drain()
    assert len(smtp.messages) == 1  # the member; not the manager who published it
    message = smtp.messages[0]
    assert message["To"] == "a-member@example.com"
    assert "Innesäljare" in message["Subject"]
    text = text_of(message)
    assert "Nytt syfte" in text
    assert "+ " in text and "Boka fler möten" in text  # the diff since their revision
    assert f"/o/alfa/me/#hat-{world.hat.id}" in text
    # RFC 8058: a one-click unsubscribe link, signed.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert "/notifications/unsubscribe/" in link
    assert 'href="http' in html_of(message)


# Batching -----------------------------------------------------------------------
def test_at_most_one_email_an_hour_per_kind_later_items_merge(world, smtp):  # noqa: F811
    smtp.start()
    publish(world, "Ett")
    drain()
    assert len(smtp.messages) == 1
    publish(world, "Två")
    publish(world, "Tre")
    drain()
    assert len(smtp.messages) == 1  # within the hour: waits
    waiting = m.Notification.objects.filter(person=world.member, email_due=True)
    assert waiting.count() == 2
    later()
    drain()
    assert len(smtp.messages) == 2
    merged = text_of(smtp.messages[1])
    assert "revision 2" in merged and "revision 3" in merged
    later()
    drain()
    assert len(smtp.messages) == 2  # nothing sent twice


# A new wearer -----------------------------------------------------------------------
def test_a_new_wearer_is_welcomed_and_their_manager_told(world, smtp):  # noqa: F811
    smtp.start()
    m.ChecklistItem.objects.create(hat=world.hat, text="Lär dig CRM-systemet")
    world.hat.reports_to = world.other_hat
    world.hat.save()
    newcomer = make_person(world.org, "member", "ny@example.com", "Nils Ny")
    hat_services.add_wearer(world.hat, newcomer, 50, world.manager)
    drain()
    by_to = {msg["To"]: msg for msg in smtp.messages}
    welcome = text_of(by_to["ny@example.com"])
    assert "Innesäljare" in welcome and "Lär dig CRM-systemet" in welcome
    assert "Ekonomichef" in welcome  # whom the hat reports to
    assert world.manager.name in welcome  # the head above the hat's function
    note = text_of(by_to["a-manager@example.com"])
    assert "Nils Ny" in note
    assert set(by_to) == {"ny@example.com", "a-manager@example.com"}


# A task's A or R moves -------------------------------------------------------------
def test_an_a_moving_tells_the_wearers_of_both_hats_batched(world, smtp):  # noqa: F811
    smtp.start()
    accountant = make_person(world.org, "member", "ek@example.com", "Eva Ekonom")
    m.Assignment.objects.create(org=world.org, hat=world.other_hat, person=accountant)
    notify.set_preference(accountant, "duty", "email")
    matrix_services.change_cell(world.org, world.task.id, world.hat, "A/R", world.admin)
    second = f.TaskFactory(org=world.org, area=world.area, name="Följ upp")
    f.ResponsibilityFactory(org=world.org, task=second, hat=world.other_hat, letter="R")
    matrix_services.change_cell(world.org, second.id, world.other_hat, "", world.admin)
    drain()
    # The member (in the app only, the default) and the accountant both hear of it.
    assert m.Notification.objects.filter(person=world.member, kind="duty").count() == 1
    assert m.Notification.objects.filter(person=accountant, kind="duty").count() == 2
    # One email for both moves.
    assert [msg["To"] for msg in smtp.messages] == ["ek@example.com"]
    assert "Boka möten" in text_of(smtp.messages[0]) and "Följ upp" in text_of(smtp.messages[0])
    later()
    drain()
    assert len(smtp.messages) == 1
    # A C or I only: nobody hears.
    before = m.Notification.objects.count()
    matrix_services.change_cell(world.org, world.task.id, world.other_hat, "C", world.admin)
    assert m.Notification.objects.count() == before


# Preferences --------------------------------------------------------------------------
def test_preferences_email_app_or_off_and_the_organisations_default(world, as_member, smtp):  # noqa: F811
    smtp.start()
    url = reverse("roles:notification-preferences", args=["alfa"])
    form = {kind: "email" for kind in notify.KIND_KEYS} | {"revision": "off", "language": ""}
    assert as_member.post(url, form).status_code == 302
    publish(world)
    drain()
    assert not m.Notification.objects.filter(person=world.member).exists()

    form["revision"] = "app"
    as_member.post(url, form)
    publish(world)
    drain()
    assert m.Notification.objects.filter(person=world.member).count() == 1
    assert smtp.messages == []  # in the app only

    # The admin's default applies to those who chose nothing.
    m.NotificationPreference.objects.all().delete()
    defaults = reverse("roles:notification-defaults", args=["alfa"])
    admin = client_for(world.admin)
    assert client_for(world.member).post(defaults, {}).status_code == 403
    off = {kind: "email" for kind in notify.KIND_KEYS} | {"revision": "off"}
    assert admin.post(defaults, off).status_code == 302
    publish(world)
    drain()
    assert m.Notification.objects.filter(person=world.member).count() == 1


# Unsubscribe ------------------------------------------------------------------------
def test_one_click_unsubscribe_with_a_signed_link(world, smtp):  # noqa: F811
    smtp.start()
    publish(world)
    drain()
    link = smtp.messages[0]["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://127.0.0.1:8000")
    anonymous = Client()
    page = anonymous.get(path)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "Stop these emails" in page.text
    assert notify.channel_of(world.member, "revision") == "email"
    # The mail client's one-click POST (RFC 8058), without cookies or CSRF token.
    response = anonymous.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert notify.channel_of(world.member, "revision") == "app"
    publish(world)
    drain()
    assert len(smtp.messages) == 1  # no more emails; the item is still in the app
    assert m.Notification.objects.filter(person=world.member).count() == 2


def test_a_forged_or_expired_unsubscribe_link_is_refused(world):
    token = notify.unsubscribe_token(world.member, "revision")
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    url = reverse("roles:unsubscribe", args=[forged])
    assert Client().post(url).status_code == 400
    other = token.replace(token.split(":")[0], token.split(":")[0][::-1])
    assert Client().post(reverse("roles:unsubscribe", args=[other])).status_code == 400
    with mock.patch("time.time", return_value=time.time() - 61 * 86400):
        old = notify.unsubscribe_token(world.member, "revision")
    assert Client().post(reverse("roles:unsubscribe", args=[old])).status_code == 400
    assert not m.NotificationPreference.objects.exists()
    fresh = reverse("roles:unsubscribe", args=[token])
    assert Client().post(fresh).status_code == 200


# Language --------------------------------------------------------------------------
def test_each_recipient_reads_in_their_own_language(world, smtp):  # noqa: F811
    smtp.start()
    english = make_person(world.org, "member", "en@example.com", "Emma English")
    english.language = "en"
    english.save()
    m.Assignment.objects.create(org=world.org, hat=world.hat, person=english)
    world.org.language = "sv"
    world.org.save()
    publish(world)
    drain()
    by_to = {msg["To"]: msg for msg in smtp.messages}
    assert "Your hat Innesäljare changed" in by_to["en@example.com"]["Subject"]
    assert "Din hatt Innesäljare har ändrats" in by_to["a-member@example.com"]["Subject"]
    assert "Läs och bekräfta" in html_of(by_to["a-member@example.com"])


# The mail server down, then up -------------------------------------------------------
def test_smtp_down_then_up_nothing_is_lost_and_the_address_is_shown(world, as_admin, smtp):  # noqa: F811
    publish(world)
    drain()  # refused: kept, retried later
    email = m.OutgoingEmail.objects.get(person=world.member)
    assert email.state == email.PENDING and email.attempts == 1
    page = as_admin.get(reverse("roles:person-detail", args=["alfa", world.member.id]))
    assert "are not delivered yet, retrying" in page.text
    member_page = client_for(world.manager).get(
        reverse("roles:person-detail", args=["alfa", world.member.id])
    )
    assert "are not delivered yet" not in member_page.text  # admins only
    smtp.start()
    later()
    drain()
    assert len(smtp.messages) == 1
    later()
    drain()
    assert len(smtp.messages) == 1
    page = as_admin.get(reverse("roles:person-detail", args=["alfa", world.member.id]))
    assert "not delivered" not in page.text


# The scheduler ----------------------------------------------------------------------
def week_of(org, today):
    """A moment on `today` at noon, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))


def test_numbers_due_second_reminder_and_digest_each_once(world, smtp):  # noqa: F811
    smtp.start()
    kpi = f.KPIFactory(hat=world.hat, name="Bokade möten", frequency="weekly")
    monday = datetime.date(2026, 11, 30)  # ISO week: the week 23–29 Nov has ended
    m.Assignment.objects.filter(person=world.member).update(
        started=timezone.now() - datetime.timedelta(days=30)
    )
    assert reminders.run(week_of(world.org, monday)) == 1
    assert reminders.run(week_of(world.org, monday)) == 0  # the same day again: nothing
    drain()
    assert [msg["To"] for msg in smtp.messages] == ["a-member@example.com"]
    assert "Bokade möten" in text_of(smtp.messages[0])

    later()
    wednesday = monday + datetime.timedelta(days=2)
    assert reminders.run(week_of(world.org, wednesday)) == 1  # the second reminder
    assert reminders.run(week_of(world.org, wednesday)) == 0
    drain()
    assert len(smtp.messages) == 2

    thursday = monday + datetime.timedelta(days=3)
    written = reminders.run(week_of(world.org, thursday))
    assert reminders.run(week_of(world.org, thursday)) == 0
    drain()
    digests = {msg["To"]: text_of(msg) for msg in smtp.messages[2:]}
    # The admin (the company) and the manager (their functions) get a digest
    # listing the member who has not reported.
    assert set(digests) == {"a-admin@example.com", "a-manager@example.com"}
    assert written == 2
    assert "Alfa AB Member: Bokade möten" in digests["a-manager@example.com"]

    # A week later, with everything reported and nothing new: no digest.
    next_monday = monday + datetime.timedelta(days=7)
    for period in (datetime.date(2026, 11, 23), datetime.date(2026, 11, 30)):
        m.KPIValue.objects.create(
            org=world.org, kpi=kpi, person=world.member, period=period, value=5
        )
    before = len(smtp.messages)
    later()
    reminders.run(week_of(world.org, next_monday + datetime.timedelta(days=3)))
    drain()
    manager_mail = [msg for msg in smtp.messages[before:] if msg["To"] == "a-manager@example.com"]
    assert manager_mail == []


def test_the_digest_lists_an_unconfirmed_hat_until_it_is_confirmed(world, smtp):  # noqa: F811
    smtp.start()
    publish(world)
    drain()
    thursday = datetime.date(2026, 12, 3)
    reminders.run(week_of(world.org, thursday))
    notes = m.Notification.objects.filter(person=world.manager, kind="digest")
    assert notes.count() == 1
    listed = notes.get().payload["unconfirmed"]
    assert [(i["person"], i["hat"]) for i in listed] == [("Alfa AB Member", "Innesäljare")]
    hat_services.acknowledge(world.member, world.hat)
    reminders.run(week_of(world.org, thursday + datetime.timedelta(days=7)))
    assert notes.count() == 1  # nothing left to say: no second digest


def test_the_command_runs_the_scheduler_and_prunes_old_read_items(world, capsys):
    from django.core.management import call_command

    old = timezone.now() - datetime.timedelta(days=91)
    for read_at in (old, timezone.now(), None):
        m.Notification.objects.create(
            org=world.org, person=world.member, kind="revision", url="/", read_at=read_at
        )

    call_command("send_reminders")
    call_command("send_reminders")
    assert "notifications written" in capsys.readouterr().out
    runs = m.ReminderRun.objects.values_list("org_id", "kind", "period", "person_id")
    assert len(runs) == len(set(runs))
    left = m.Notification.objects.filter(person=world.member, kind="revision", url="/")
    assert left.count() == 2 and not left.filter(read_at=old).exists()


# The bell, the list, two organisations ----------------------------------------------------
def test_the_bell_counts_unread_and_the_list_marks_read(world, other_world, as_member):
    publish(world)
    publish(world)
    page = as_member.get(reverse("roles:org-map", args=["alfa"]))
    assert 'data-unread="2"' in page.text
    listing = as_member.get(reverse("roles:notifications", args=["alfa"]))
    assert f'href="/o/alfa/me/#hat-{world.hat.id}"' in listing.text
    first = m.Notification.objects.filter(person=world.member).first()
    read = reverse("roles:notification-read", args=["alfa", first.id])
    assert as_member.post(read).status_code == 302
    page = as_member.get(reverse("roles:org-map", args=["alfa"]))
    assert 'data-unread="1"' in page.text
    as_member.post(reverse("roles:notifications-read", args=["alfa"]))
    page = as_member.get(reverse("roles:org-map", args=["alfa"]))
    assert "data-unread" not in page.text
    # Confirming the hat reads the notices of its revisions.
    publish(world)
    as_member.post(reverse("roles:me-acknowledge", args=["alfa", world.hat.id]))
    page = as_member.get(reverse("roles:org-map", args=["alfa"]))
    assert "data-unread" not in page.text
    # Someone else's notification, here or in another organisation: 404.
    theirs = m.Notification.objects.create(
        org=world.org, person=world.manager, kind="revision", url="/"
    )
    assert (
        as_member.post(reverse("roles:notification-read", args=["alfa", theirs.id])).status_code
        == 404
    )
    elsewhere = m.Notification.objects.create(
        org=other_world.org, person=other_world.member, kind="revision", url="/"
    )
    assert (
        as_member.post(reverse("roles:notification-read", args=["alfa", elsewhere.id])).status_code
        == 404
    )
    assert m.Notification.objects.get(pk=theirs.id).read_at is None


def test_a_person_in_two_organisations_gets_each_ones_mail_apart(world, other_world, smtp):  # noqa: F811
    smtp.start()
    twin = m.Person.objects.create(
        org=other_world.org,
        name="Alfa Member in Beta",
        email=world.member.email,
        user=world.member.user,
    )
    m.Assignment.objects.create(org=other_world.org, hat=other_world.hat, person=twin)
    publish(world)
    hat_services.publish_hat(other_world.hat, other_world.manager, "Beta")
    drain()
    subjects = sorted(msg["Subject"] for msg in smtp.messages if msg["To"] == world.member.email)
    assert len(subjects) == 2
    assert any("Alfa AB" in s for s in subjects) and any("Beta AB" in s for s in subjects)
    client = client_for(world.member)
    listing = client.get(reverse("roles:notifications", args=["alfa"]))
    assert listing.text.count("notification-") - listing.text.count("notification-read") >= 1
    assert "Beta" not in listing.text.split("<main", 1)[1].split("</main>")[0]


@pytest.mark.parametrize("items", [1, 300])
def test_the_list_and_the_bell_run_a_fixed_number_of_queries(
    world, as_member, django_assert_max_num_queries, items
):
    m.Notification.objects.bulk_create(
        m.Notification(org=world.org, person=world.member, kind="revision", url="/", payload={})
        for _ in range(items)
    )
    url = reverse("roles:notifications", args=["alfa"])
    with django_assert_max_num_queries(6):
        assert as_member.get(url).status_code == 200


def test_people_added_with_a_hat_are_welcomed(world, smtp):  # noqa: F811
    smtp.start()
    people_services.add_person(
        world.org, "Ny Säljare", "nys@example.com", hat=world.hat, author=world.manager
    )
    drain()
    assert "nys@example.com" in {msg["To"] for msg in smtp.messages}


def test_the_digest_is_the_same_built_in_small_batches(world, monkeypatch):
    thursday = week_of(world.org, datetime.date(2026, 12, 3))
    publish(world)
    extra = f.FunctionFactory(org=world.org, name="Service", parent=world.root, head=world.member)
    f.HatFactory(org=world.org, function=extra, title="Servicetekniker")
    monkeypatch.setattr(reminders, "CHUNK", 1)
    reminders.run(thursday)
    digests = m.Notification.objects.filter(kind="digest")
    assert set(digests.values_list("person_id", flat=True)) == {
        world.admin.id,
        world.manager.id,
        world.member.id,
    }
    member = digests.get(person=world.member).payload
    # The member heads Service only: its hat without wearers, nothing of Sales.
    assert member["unconfirmed"] == []
    assert [i["label"] for i in member["new_gaps"] if "Servicetekniker" in i["label"]]
    assert not [i for i in member["new_gaps"] if "Innesäljare" in i["label"]]


def test_the_workers_queue_one_scheduler_run_at_a_time(db):
    reminders.queue()
    reminders.queue()
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    drain()
    reminders.queue()
    assert DBTaskResult.objects.filter(status="READY").count() == 1


class Refusing:
    """A mail server that refuses one address for good (550)."""

    def __init__(self, inbox):
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await self.inbox.handle_DATA(server, session, envelope)


def test_an_address_refused_for_good_fails_at_once_and_shows_to_admins(
    world,
    as_admin,
    settings,
):
    from aiosmtpd.controller import Controller

    from .test_mail import Inbox, free_port

    port = free_port()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    controller = Controller(Refusing(Inbox()), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        m.Person.objects.filter(pk=world.member.pk).update(email="gone@example.com")
        publish(world)
        drain()
    finally:
        controller.stop()
    email = m.OutgoingEmail.objects.get(person=world.member)
    assert email.state == email.FAILED and email.attempts == 1
    page = as_admin.get(reverse("roles:person-detail", args=["alfa", world.member.id]))
    assert "Emails to gone@example.com cannot be delivered." in page.text
    assert "550" in page.text
