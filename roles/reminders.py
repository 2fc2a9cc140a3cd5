"""The scheduler's periodic messages: weekly numbers due, a second reminder,
and the weekly digest of managers and admins.

`run()` is safe to call as often as one likes (the worker queues it every
hour, cron may call `manage.py send_reminders`): each message is claimed by a
unique ReminderRun row (organisation, kind, period, person) before it is
written, so a second run for the same week sends nothing twice.

Calendar, for the week that has just ended (the organisation's own week):
the day after it ends, each wearer who has not entered their weekly numbers
hears it; two days later those still missing hear it again; from the third
day the digest of each function head (their functions and those below) and
each admin (the company) lists the gaps, and those still missing.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from . import health, notify
from . import numbers as rules
from .models import (
    KPI,
    Assignment,
    HatRevision,
    KPIValue,
    Organisation,
    Person,
    ReminderRun,
)
from .models.notifications import DIGEST, NUMBERS_DUE
from .tree import descendants

log = logging.getLogger(__name__)

SECOND_REMINDER_DAY = 2  # days after the week ended
DIGEST_DAY = 3
CHUNK = 500  # people written per transaction
LISTED = 50  # items listed per digest section (the rest counted)
SECOND = "numbers_due_2"  # ReminderRun kind of the second reminder
SENTINEL = 987654321987


def queue():
    """Queue one run unless one is already waiting (each worker calls this)."""
    from django_tasks_db.models import DBTaskResult  # noqa: PLC0415

    from .tasks import send_reminders  # noqa: PLC0415

    if not DBTaskResult.objects.ready().filter(task_path=send_reminders.module_path).exists():
        send_reminders.enqueue()


def run(now=None):
    """Every organisation's reminders and digests that are due; returns the
    number of notifications written. Also deletes old read notifications."""
    notify.prune(now)
    written = 0
    for org in Organisation.objects.order_by("id").iterator(chunk_size=100):
        try:
            written += run_org(org, now)
        except Exception:  # one organisation's failure must not stop the others
            log.exception("reminders of %s failed", org.slug)
    return written


def week_just_ended(org, now=None):
    """(first day of the week that ended last, days since it ended: 0 on the
    day after its last day)."""
    today = timezone.localdate(now)
    this = rules.period_start(today, rules.WEEKLY, org.week_ends)
    return rules.shift(this, -1), (today - this).days


def run_org(org, now=None):
    period, days = week_just_ended(org, now)
    missing = missing_numbers(org, period)
    if days < SECOND_REMINDER_DAY:
        written = numbers_due(org, period, missing, second=False)
    else:
        written = numbers_due(org, period, missing, second=True)
    if days >= DIGEST_DAY:
        written += digests(org, period, missing)
    return written


def url_maker(org, name, kwarg):
    """A function id -> URL of page `name`, reversing once (thousands of links)."""
    template = reverse(name, kwargs={"org": org.slug, kwarg: SENTINEL})
    return lambda pk: template.replace(str(SENTINEL), str(pk))


def chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def claim(org, kind, period, person_ids, payloads=None):
    """Write the ReminderRun rows of those of `person_ids` not yet served for
    (kind, period), under the organisation's lock; return their ids. Called
    inside a transaction."""
    Organisation.objects.select_for_update().filter(pk=org.pk).first()
    done = set(
        ReminderRun.objects.filter(
            org=org, kind=kind, period=period, person_id__in=person_ids
        ).values_list("person_id", flat=True)
    )
    new = [pid for pid in person_ids if pid not in done]
    ReminderRun.objects.bulk_create(
        [
            ReminderRun(
                org_id=org.id,
                person_id=pid,
                kind=kind,
                period=period,
                payload=(payloads or {}).get(pid, {}),
            )
            for pid in new
        ]
    )
    return new


# Weekly numbers ------------------------------------------------------------------
def missing_numbers(org, period):
    """{person id: [(KPI id, KPI name, hat id)]} of the weekly numbers of
    `period` that current wearers have not entered. Three queries."""
    kpis = {}
    for kpi_id, name, hat_id in KPI.objects.filter(
        hat__org=org, frequency=rules.WEEKLY
    ).values_list("id", "name", "hat_id"):
        kpis.setdefault(hat_id, []).append((kpi_id, name, hat_id))
    if not kpis:
        return {}
    end = rules.period_end(period)
    reported = set(
        KPIValue.objects.for_org(org)
        .filter(period=period, kpi__frequency=rules.WEEKLY)
        .values_list("person_id", "kpi_id")
        .order_by()
    )
    missing = {}
    wears = (
        Assignment.objects.for_org(org)
        .filter(
            ended__isnull=True,
            person__active=True,
            hat_id__in=list(kpis),
            started__date__lte=end,
        )
        .values_list("person_id", "hat_id")
        .order_by()
    )
    for person_id, hat_id in wears.iterator(chunk_size=2000):
        for kpi in kpis[hat_id]:
            if (person_id, kpi[0]) not in reported:
                missing.setdefault(person_id, []).append(kpi)
    return missing


def numbers_due(org, period, missing, second):
    kind = SECOND if second else NUMBERS_DUE
    url = reverse("roles:me", kwargs={"org": org.slug})
    written = 0
    for chunk in chunks(sorted(missing)):
        try:
            with transaction.atomic():
                new = claim(org, kind, period, chunk)
                items = {
                    pid: (
                        url,
                        {
                            "period": period.isoformat(),
                            "second": second,
                            "kpis": sorted({name for _id, name, _hat in missing[pid]}),
                        },
                    )
                    for pid in new
                }
                written += len(notify.notify_each(org, NUMBERS_DUE, items))
        except IntegrityError:  # another run claimed them meanwhile
            continue
    return written


# The weekly digest ---------------------------------------------------------------
class Digest:
    """What the digests of one organisation and week are made of: read once,
    then cut to each recipient's functions."""

    def __init__(self, org, period, missing):
        self.org = org
        self.period = period
        self.data = health.load(org)
        self.index = health.Index(self.data)
        self.results = {}  # language: the checks, their words in that language
        self.score = round(self.result(org.language).score * 100)
        self.function_of = {h.id: h.function_id for h in self.data.hats}
        self.kpi_hat = {k.id: k.hat_id for k in self.data.kpis}
        self.parent_of = {f.id: f.parent_id for f in self.data.functions}
        self.person_functions = {}
        for w in self.data.wears:
            self.person_functions.setdefault(w.person_id, set()).add(self.function_of.get(w.hat_id))
        self.missing = missing
        self.since = dict(
            HatRevision.objects.filter(org=org)
            .filter(number=F("hat__revision"))
            .values_list("hat_id", "created")
        )
        self.links = {
            "hat": url_maker(org, "roles:hat-detail", "hat_id"),
            "function": url_maker(org, "roles:function-detail", "function_id"),
            "person": url_maker(org, "roles:person-detail", "person_id"),
            "task": url_maker(org, "roles:task-detail", "task_id"),
            "kpi": url_maker(org, "roles:kpi-graph", "kpi_id"),
        }

    def result(self, language):
        if language not in self.results:
            with override(language):
                self.results[language] = health.evaluate(self.data, self.index)
        return self.results[language]

    def recipients(self):
        """{person id: function ids in scope, or None for the whole company}:
        active admins, and the heads of functions (their functions and below)."""
        admins = set(
            Person.objects.for_org(self.org)
            .filter(active=True, access=Person.ADMIN)
            .values_list("id", flat=True)
        )
        active = {p.id for p in self.data.people if p.active}
        headed = {}
        for f in self.data.functions:
            if f.head_id in active and f.head_id not in admins:
                headed.setdefault(f.head_id, []).append(f.id)
        out = dict.fromkeys(admins)
        for pid, roots in headed.items():
            out[pid] = descendants(self.parent_of, roots)
        return out

    def in_scope(self, scope, kind, pk, person_id=None):
        if scope is None:
            return True
        if kind == "function":
            return pk in scope
        if kind == "hat":
            return self.function_of.get(pk) in scope
        if kind == "kpi":
            return self.function_of.get(self.kpi_hat.get(pk)) in scope
        if kind == "person":
            return bool(self.person_functions.get(pk, set()) & scope)
        return False  # tasks: the company's digest

    def payload(self, scope, previous, now, language):
        names = self.index.names
        unconfirmed = []
        for person_id, hat in self.index.unconfirmed[0]:
            if self.in_scope(scope, "hat", hat.id):
                since = self.since.get(hat.id)
                unconfirmed.append(
                    {
                        "person": names.get(person_id, "?"),
                        "hat": hat.title,
                        "days": (now - since).days if since else 0,
                        "url": self.links["person"](person_id),
                    }
                )
        unconfirmed.sort(key=lambda i: -i["days"])
        missing = [
            {"label": f"{names.get(pid, '?')}: {name}", "url": self.links["person"](pid)}
            for pid, kpis in self.missing.items()
            for _kpi, name, hat_id in kpis
            if self.in_scope(scope, "hat", hat_id)
        ]
        runs = max(1, self.org.kpi_off_target_periods)
        titles = {h.id: h.title for h in self.data.hats}
        off_target = [
            {"label": f"{k.name} ({titles.get(k.hat_id, '')})", "url": self.links["kpi"](k.id)}
            for k in self.data.kpis
            if k.has_goal and k.off_run >= runs and self.in_scope(scope, "hat", k.hat_id)
        ]
        gaps, new_gaps = [], []
        seen = set(previous.get("gaps", []))
        for check in self.result(language).checks:
            if check.key in ("hat_confirmed", "kpi_reported", "kpi_on_target"):
                continue  # listed above
            for o in check.offenders:
                if not self.in_scope(scope, o.kind, o.id, o.person_id):
                    continue
                key = f"{check.key}:{o.kind}:{o.id}:{o.person_id or ''}"
                gaps.append(key)
                if key not in seen and o.kind in self.links:
                    new_gaps.append(
                        {"check": check.key, "label": str(o.label), "url": self.links[o.kind](o.id)}
                    )
        before = previous.get("score")
        body = {
            "unconfirmed": unconfirmed[:LISTED],
            "missing": missing[:LISTED],
            "off_target": off_target[:LISTED],
            "new_gaps": new_gaps[:LISTED],
        }
        # The score's change alone is no reason to write.
        nothing = not any(body.values())
        return (
            {
                "period": self.period.isoformat(),
                "score": self.score,
                "change": None if before is None else self.score - before,
                "counts": {
                    "unconfirmed": len(unconfirmed),
                    "missing": len(missing),
                    "off_target": len(off_target),
                    "new_gaps": len(new_gaps),
                },
                **body,
            },
            gaps,
            nothing,
        )


def digests(org, period, missing, now=None):
    """The digest of each manager and admin not yet served this week. Nothing
    to report: no notification (the run is still kept, for next week's
    comparison). Written in chunks of CHUNK recipients."""
    now = now or timezone.now()
    served = set(
        ReminderRun.objects.filter(org=org, kind=DIGEST, period=period).values_list(
            "person_id", flat=True
        )
    )
    digest = None
    url = reverse("roles:org-map", kwargs={"org": org.slug})
    written = 0
    last_week = period - timedelta(days=7)
    recipients = None
    for chunk in chunks(sorted(set(recipients_of(org)) - served)):
        digest = digest or Digest(org, period, missing)
        recipients = recipients or digest.recipients()
        previous = dict(
            ReminderRun.objects.filter(
                org=org, kind=DIGEST, period=last_week, person_id__in=chunk
            ).values_list("person_id", "payload")
        )
        languages = dict(
            Person.objects.filter(id__in=chunk).values_list("id", "language").order_by()
        )
        payloads, items = {}, {}
        for pid in chunk:
            if pid not in recipients:
                continue
            language = languages.get(pid) or org.language
            body, gaps, nothing = digest.payload(
                recipients[pid], previous.get(pid, {}), now, language
            )
            payloads[pid] = {"gaps": gaps, "score": body["score"]}
            if not nothing:
                items[pid] = (url, body)
        try:
            with transaction.atomic():
                new = set(claim(org, DIGEST, period, list(payloads), payloads))
                written += len(
                    notify.notify_each(
                        org, DIGEST, {pid: item for pid, item in items.items() if pid in new}
                    )
                )
        except IntegrityError:
            continue
    return written


def recipients_of(org):
    """Ids of the people who get a digest, without reading the organisation."""
    from .models import Function  # noqa: PLC0415

    admins = Person.objects.for_org(org).filter(active=True, access=Person.ADMIN)
    heads = Function.objects.for_org(org).filter(head__active=True).values_list("head_id")
    return set(admins.values_list("id", flat=True)) | {h for (h,) in heads}
