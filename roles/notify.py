"""Notifications: events become Notification rows for the people concerned,
and the ones they want by email go out in batches.

- An event (`revision_published`, `wearer_started`, `duty_moved`, and the
  scheduler's numbers-due reminders and digests in `roles.reminders`) writes
  its rows in the caller's transaction and, once that commits, queues one task
  for all the people who want an email.
- The task (`flush`) sends each person at most one email per kind an hour:
  items that arrive in between wait and go out together in the next one.
- Each email carries a signed, expiring one-click unsubscribe link (RFC 8058);
  unsubscribing keeps the kind in the app only.
The words of an item are rendered when shown (`describe`), in the reader's
language, from the row's payload.
"""

import logging
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from . import health, mail, numbers, revisions
from .models import (
    Acknowledgement,
    Assignment,
    ChecklistItem,
    Function,
    HatRevision,
    Notification,
    NotificationPreference,
    Organisation,
    OutgoingEmail,
    Person,
)
from .models.notifications import (
    APP,
    DIGEST,
    DUTY,
    EMAIL,
    KINDS,
    NEW_WEARER,
    NUMBERS_DUE,
    OFF,
    REVISION,
    WELCOME,
)

log = logging.getLogger(__name__)

# What a kind does when neither the person nor the organisation chose.
DEFAULTS = {
    REVISION: EMAIL,
    WELCOME: EMAIL,
    NEW_WEARER: EMAIL,
    DUTY: APP,
    NUMBERS_DUE: EMAIL,
    DIGEST: EMAIL,
}
KIND_KEYS = [k for k, _label in KINDS]
BATCH = timedelta(hours=1)  # at most one email per person and kind in this time
UNSUBSCRIBE_SALT = "hatta.notify.unsubscribe"
UNSUBSCRIBE_MAX_AGE = timedelta(days=60)
KEEP_READ = timedelta(days=90)  # read notifications are deleted after this


def email_kind(kind):
    """OutgoingEmail.kind of a notification email."""
    return f"notify:{kind}"


# Preferences -------------------------------------------------------------------
def default_channel(org, kind):
    chosen = (org.notification_defaults or {}).get(kind)
    return chosen if chosen in (EMAIL, APP, OFF) else DEFAULTS[kind]


def preference_subquery(kind, person_field="person_id"):
    """The person's own channel for `kind` (or None), for an annotation."""
    return Subquery(
        NotificationPreference.objects.filter(person=OuterRef(person_field), kind=kind).values(
            "channel"
        )[:1]
    )


def channel_of(person, kind):
    """The channel `person` hears `kind` on."""
    chosen = (
        NotificationPreference.objects.filter(person=person, kind=kind)
        .values_list("channel", flat=True)
        .first()
    )
    return chosen or default_channel(person.org, kind)


def preferences(person):
    """[(kind, label, channel, chosen by the person)] for the preferences page."""
    own = dict(NotificationPreference.objects.filter(person=person).values_list("kind", "channel"))
    return [
        (kind, label, own.get(kind) or default_channel(person.org, kind), kind in own)
        for kind, label in KINDS
    ]


@transaction.atomic
def set_preference(person, kind, channel):
    NotificationPreference.objects.update_or_create(
        org_id=person.org_id, person=person, kind=kind, defaults={"channel": channel}
    )
    if channel != EMAIL:  # nothing waits for an email that is no longer wanted
        Notification.objects.filter(person=person, kind=kind, email_due=True).update(
            email_due=False
        )


# Writing events ----------------------------------------------------------------
def notify(org, person_ids, kind, url, payload, *, people=None):
    """Notify the active people among `person_ids` (each once) of one event.
    `people`: {person id: own channel or None}, when already read."""
    return notify_each(org, kind, {pid: (url, payload) for pid in person_ids}, people=people)


def notify_each(org, kind, items, *, people=None):
    """Write one notification of `kind` per {person id: (url, payload)} for the
    active people among them who have not turned it off. Three queries at
    most, whatever their number: who they are with their own choice (unless
    `people` gives it), the insert, the queued email task."""
    if not items:
        return []
    if people is None:
        people = dict(
            Person.objects.filter(org=org, id__in=list(items), active=True)
            .annotate(chosen=preference_subquery(kind, "pk"))
            .values_list("id", "chosen")
        )
    default = default_channel(org, kind)
    rows = []
    for person_id, (url, payload) in items.items():
        if person_id not in people:
            continue
        channel = people[person_id] or default
        if channel == OFF:
            continue
        rows.append(
            Notification(
                org_id=org.id,
                person_id=person_id,
                kind=kind,
                url=url,
                payload=payload,
                email_due=channel == EMAIL,
            )
        )
    Notification.objects.bulk_create(rows, batch_size=1000)
    emailed = sorted(r.person_id for r in rows if r.email_due)
    if emailed:
        # Queued in the same transaction (the queue is a table of this database,
        # like send_email's): the task exists exactly when the rows do.
        queue_flush(kind, emailed)
    return rows


def queue_flush(kind, person_ids):
    from .tasks import send_notifications  # noqa: PLC0415 - tasks import this module

    send_notifications.enqueue(kind, list(person_ids))


def wearer_channels(org_id, hat_ids, kind, exclude=()):
    """({person id: their own channel or None} of the current wearers of
    `hat_ids`, active people only; their Organisation with the slug and the
    defaults, or None when nobody wears them). One query."""
    rows = list(
        Assignment.objects.filter(
            org_id=org_id, hat_id__in=hat_ids, ended__isnull=True, person__active=True
        )
        .exclude(person_id__in=exclude)
        .annotate(chosen=preference_subquery(kind))
        .values_list("person_id", "chosen", "org__slug", "org__notification_defaults")
    )
    if not rows:
        return {}, None
    _pid, _chosen, slug, defaults = rows[0]
    org = Organisation(id=org_id, slug=slug, notification_defaults=defaults)
    return {pid: chosen for pid, chosen, _slug, _defaults in rows}, org


def hat_url(org, hat_id):
    return reverse("roles:hat-detail", kwargs={"org": org.slug, "hat_id": hat_id})


def revision_published(hat, revision, author=None):
    """A new revision of `hat`: each wearer hears of it (not its author)."""
    exclude = [author.id] if author is not None else []
    people, org = wearer_channels(hat.org_id, [hat.id], REVISION, exclude)
    if not people:
        return
    url = reverse("roles:me", kwargs={"org": org.slug}) + f"#hat-{hat.id}"
    payload = {"hat": hat.title, "hat_id": hat.id, "number": revision.number}
    payload["note"] = revision.note
    notify(org, people, REVISION, url, payload, people=people)


def manager_of(org_id, function_id, person_id):
    """The head of the function, or of the nearest one above it that has a
    head other than `person_id`; None. One query."""
    rows = {
        fid: (parent, head)
        for fid, parent, head in Function.objects.filter(org_id=org_id).values_list(
            "id", "parent_id", "head_id"
        )
    }
    seen = set()
    while function_id in rows and function_id not in seen:
        seen.add(function_id)
        parent, head = rows[function_id]
        if head and head != person_id:
            return head
        function_id = parent
    return None


def hat_confirmed(person, hat):
    """Confirming a hat answers every notice of its revisions: they are read."""
    Notification.objects.filter(
        person=person, kind=REVISION, payload__hat_id=hat.id, read_at__isnull=True
    ).update(read_at=timezone.now())


def wearer_started(assignment):
    """`assignment.person` starts wearing a hat: a welcome to them (the hat,
    its checklist, whom it reports to, their manager), a note to that manager."""
    hat, person = assignment.hat, assignment.person
    org = hat.org
    boss = hat.reports_to
    manager_id = manager_of(org.id, hat.function_id, person.id)
    manager = Person.objects.filter(pk=manager_id).values_list("name", flat=True).first()
    payload = {
        "hat": hat.title,
        "hat_id": hat.id,
        "person": person.name,
        "function": hat.function.name,
        "reports_to": boss.title if boss else "",
        "manager": manager or "",
        "checklist": list(
            ChecklistItem.objects.filter(hat=hat)
            .order_by("position", "id")
            .values_list("text", flat=True)[:20]
        ),
    }
    notify(org, [person.id], WELCOME, hat_url(org, hat.id), payload)
    if manager_id:
        person_url = reverse("roles:person-detail", args=[org.slug, person.id])
        notify(org, [manager_id], NEW_WEARER, person_url, payload)


def duty_moved(result):
    """An A or R of a task moved to or from a hat (roles.services.cells): the
    wearers of every hat concerned hear of it."""
    moved = {"A", "R"} & (result.old ^ result.new)
    if not moved and not result.lost_a:
        return
    task, hat = result.task, result.hat
    hat_ids = [hat.id, *[h.id for h in result.lost_a]]
    people, org = wearer_channels(hat.org_id, hat_ids, DUTY)
    if not people:
        return
    payload = {
        "task": task.name,
        "hat": hat.title,
        "old": "/".join(sorted(result.old)),
        "new": "/".join(sorted(result.new)),
        "from": [h.title for h in result.lost_a],
    }
    url = reverse("roles:task-detail", kwargs={"org": org.slug, "task_id": task.id})
    notify(org, people, DUTY, url, payload, people=people)


# Reading -----------------------------------------------------------------------
def describe(n):
    """(title, lines) of a Notification, in the active language. A key the
    payload lacks reads as empty (rows written by an older version)."""
    p = defaultdict(str, n.payload if isinstance(n.payload, dict) else {})
    if n.kind == REVISION:
        title = _("Your hat %(hat)s changed: revision %(number)s") % p
        lines = [_("Note: %(note)s") % p] if p.get("note") else []
        return title, lines + [_("Read what changed and confirm that you have read it.")]
    if n.kind == WELCOME:
        title = _("Welcome to your hat %(hat)s") % p
        lines = [_("Function: %(function)s") % p]
        if p.get("reports_to"):
            lines.append(_("You report to: %(reports_to)s") % p)
        if p.get("manager"):
            lines.append(_("Your manager: %(manager)s") % p)
        if p.get("checklist"):
            lines.append(_("To learn as a new wearer:"))
            lines += [f"• {item}" for item in p["checklist"]]
        return title, lines
    if n.kind == NEW_WEARER:
        return _("%(person)s now wears %(hat)s") % p, []
    if n.kind == DUTY:
        title = _("%(task)s: %(hat)s is now %(new)s") % {
            "task": p["task"],
            "hat": p["hat"],
            "new": p["new"] or "–",
        }
        lines = [_("Before: %(old)s") % {"old": p["old"] or "–"}]
        if p.get("from"):
            lines.append(_("The A moved from %(hats)s") % {"hats": ", ".join(p["from"])})
        return title, lines
    if n.kind in (NUMBERS_DUE, DIGEST):
        p["week"] = week_label(p.get("period"))
    if n.kind == NUMBERS_DUE:
        sentence = (
            _("Second reminder: your numbers for %(week)s are missing")
            if p.get("second")
            else _("Your numbers for %(week)s are due")
        )
        return sentence % p, [f"• {name}" for name in p.get("kpis", [])]
    if n.kind == DIGEST:
        return _("Weekly digest for %(week)s") % p, digest_lines(p)
    return n.kind, []


def week_label(period):
    try:
        return numbers.period_title(date.fromisoformat(period))
    except (TypeError, ValueError):
        return ""


def digest_lines(p):
    lines = []
    score = p.get("score")
    if score is not None:
        change = p.get("change")
        lines.append(
            _("Hatting score %(score)s %% (%(change)s since last week)")
            % {"score": score, "change": "–" if change is None else f"{change:+d}"}
        )
    for section in digest_sections(p):
        lines.append(f"{section['title']}: {len(section['items'])}")
    return lines


def digest_sections(p):
    """[{title, items: [{label, url}]}] of a digest's payload, non-empty ones."""
    out = []
    unconfirmed = [
        {
            "label": _("%(person)s has not confirmed %(hat)s for %(days)s days") % item,
            "url": item["url"],
        }
        for item in p.get("unconfirmed", [])
    ]
    titled = [
        (_("Hats not confirmed"), unconfirmed),
        (_("Numbers missing"), p.get("missing", [])),
        (_("KPIs off target"), p.get("off_target", [])),
    ]
    # New gaps, under the health check each fails.
    by_check = {}
    for item in p.get("new_gaps", []):
        by_check.setdefault(item.get("check", ""), []).append(item)
    for key, items in by_check.items():
        check = health.LABELS.get(key)
        title = _("New since last week")
        titled.append((f"{title}: {check}" if check else title, items))
    for title, items in titled:
        if items:
            out.append({"title": title, "items": items})
    return out


def prune(now=None):
    """Delete notifications read more than KEEP_READ ago (the scheduler's run)."""
    cutoff = (now or timezone.now()) - KEEP_READ
    return Notification.objects.filter(read_at__lt=cutoff).delete()[0]


def mark_read(person, notification_id=None):
    rows = Notification.objects.filter(person=person, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())


# Unsubscribing -----------------------------------------------------------------
def unsubscribe_token(person, kind):
    return signing.dumps({"p": person.id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """(person, kind) of a valid token, else None (forged, expired, unknown)."""
    try:
        data = signing.loads(
            token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE.total_seconds()
        )
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict) or data.get("k") not in KIND_KEYS:
        return None
    person = Person.objects.select_related("org").filter(pk=data.get("p")).first()
    return (person, data["k"]) if person else None


def absolute(path):
    return settings.SITE_URL.rstrip("/") + path


# Sending -----------------------------------------------------------------------
def next_slot(person_id, kind, now):
    """When `person_id` may next get an email of `kind`: an hour after the last."""
    last = (
        OutgoingEmail.objects.filter(person_id=person_id, kind=email_kind(kind))
        .order_by("-created")
        .values_list("created", flat=True)
        .first()
    )
    return now if last is None else max(now, last + BATCH)


def flush(kind, person_ids):
    """Email each person the items of `kind` waiting for them, one email per
    person, unless they had one of this kind in the last hour: then the task
    comes back when the hour is over and sends whatever waits then."""
    from .tasks import send_notifications  # noqa: PLC0415

    sent = 0
    for person_id in person_ids:
        with transaction.atomic():
            # The person's row serialises two flushes for them.
            person = (
                Person.objects.select_for_update(of=("self",))
                .select_related("org")
                .filter(pk=person_id)
                .first()
            )
            if person is None:
                continue
            pending = list(
                Notification.objects.filter(person=person, kind=kind, email_due=True).order_by(
                    "created", "id"
                )
            )
            if not pending:
                continue
            now = timezone.now()
            slot = next_slot(person.id, kind, now)
            if slot > now:
                send_notifications.using(run_after=slot).enqueue(kind, [person.id])
                continue
            wanted = person.active and person.email and channel_of(person, kind) == EMAIL
            if wanted:
                send(person, kind, pending)
                sent += 1
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
                email_due=False, emailed_at=now if wanted else None
            )
    return sent


def revision_diff(person, hat_id):
    """(lines of what changed since the revision `person` last confirmed,
    the current revision's number) for a revision email."""
    current = HatRevision.objects.filter(hat_id=hat_id).order_by("-number").first()
    if current is None:
        return [], 0
    ack = (
        Acknowledgement.objects.filter(person=person, hat_id=hat_id)
        .select_related("revision")
        .order_by("-revision__number")
        .first()
    )
    old = ack.revision.snapshot if ack else None
    if ack and ack.revision.number == current.number:
        return [], current.number
    lines = []
    for change in revisions.diff_snapshots(old, current.snapshot):
        for sign, text in change["lines"][:10]:
            lines.append(f"{sign} {change['label']}: {text}")
    return lines[:40], current.number


def send(person, kind, pending):
    """One email of `pending` items to `person`, in their language."""
    org = person.org
    language = person.language or org.language
    token = unsubscribe_token(person, kind)
    unsubscribe = absolute(reverse("roles:unsubscribe", kwargs={"token": token}))
    with override(language):
        items = []
        for n in pending:
            title, lines = describe(n)
            item = {"title": title, "lines": lines, "url": absolute(n.url), "sections": []}
            if kind == REVISION:
                item["diff"], _number = revision_diff(person, n.payload.get("hat_id"))
            if kind == DIGEST:
                item["lines"] = lines[:1]  # the score; the sections list the rest
                item["sections"] = [
                    {
                        "title": s["title"],
                        "items": [{**i, "url": absolute(i["url"])} for i in s["items"]],
                    }
                    for s in digest_sections(n.payload)
                ]
            items.append(item)
        kind_label = dict(KINDS)[kind]
    context = {
        "person": person,
        "org": org,
        "kind": kind,
        "kind_label": kind_label,
        "items": items,
        "count": len(items),
        "unsubscribe_url": unsubscribe,
        "preferences_url": absolute(reverse("roles:notification-preferences", args=[org.slug])),
        "notifications_url": absolute(reverse("roles:notifications", args=[org.slug])),
    }
    return mail.send_email(
        person.email,
        "roles/email/notification_subject.txt",
        "roles/email/notification.txt",
        context,
        language,
        "roles/email/notification.html",
        org=org,
        person=person,
        kind=email_kind(kind),
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
