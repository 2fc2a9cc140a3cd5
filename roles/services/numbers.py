"""Reading and writing the weekly numbers. A hat's figure for a period (the
sum or average of its wearers' values), and so its function's and the
company's scorecards, are computed in SQL from the stored values."""

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import numbers as rules
from ..models import KPI, Assignment, KPIValue, KPIValueChange


class Refused(Exception):
    """A value that is not saved; str() is the message for the user."""


class Conflict(Refused):
    """Someone changed the value since the field was shown; `current` is theirs."""

    def __init__(self, message, current):
        super().__init__(message)
        self.current = current


def canonical(value):
    """A Decimal as plain text without exponent or trailing zeros ("" for None),
    the form in which a field remembers what it showed."""
    if value is None:
        return ""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def goal(kpi):
    """The KPI's number to reach: its target value, or one read from its target text."""
    return kpi.goal if kpi.goal is not None else rules.goal_of(kpi.target)


def current(org, frequency=rules.WEEKLY, now=None):
    return rules.current_period(frequency, org.week_ends, now)


def period_of(org, kpi, day):
    """The KPI's period containing `day` in `org`'s calendar."""
    return rules.period_start(day, kpi.frequency, org.week_ends)


def wears(org, hat_id, person_id, lock=False):
    """True if the person wears the hat now. `lock`: and lock that assignment
    until the transaction ends, so that two entries for one wearer (theirs and
    their manager's) take turns."""
    qs = Assignment.objects.for_org(org).filter(
        hat_id=hat_id, person_id=person_id, ended__isnull=True
    )
    if lock:
        return bool(qs.select_for_update().order_by().values_list("id", flat=True)[:1])
    return qs.exists()


class Entry(NamedTuple):
    stored: KPIValue | None  # None when the value was removed
    previous: object  # the value of the period before (shown beside the field), or None


@transaction.atomic
def enter_value(org, kpi, person, period, text, author, was=None, now=None):
    """Store `person`'s value `text` (as typed) for `kpi` in the period starting
    `period`, and the change in the history. An empty `text` removes the value.
    `was`: the value the field showed (canonical), to refuse overwriting a
    change made meanwhile. Returns an Entry: the stored KPIValue and the value
    of the period before, read together. Raises Refused (nothing saved) for a
    bad number, a future or misaligned period, or a hat the person does not
    wear."""
    today = timezone.localdate(now)
    this = rules.period_start(today, kpi.frequency, org.week_ends)
    if period != rules.period_start(period, kpi.frequency, org.week_ends):
        raise Refused(_("That is not the first day of a period."))
    if period > this:
        raise Refused(_("That period has not started yet: numbers are entered from its start."))
    if not wears(org, kpi.hat_id, person.id, lock=True):
        raise Refused(
            _("%(person)s does not wear the hat “%(hat)s” (any more).")
            % {"person": person.name, "hat": kpi.hat.title}
        )
    text = (text or "").strip()
    try:
        new = None if text == "" else rules.parse_value(text, kpi.value_kind)
    except rules.BadNumber as bad:
        raise Refused(str(bad)) from None
    previous = rules.shift(period, -1, kpi.frequency)
    found = {
        v.period: v
        for v in KPIValue.objects.filter(
            kpi_id=kpi.id, person_id=person.id, period__in=(period, previous)
        ).order_by()
    }
    # No race: every entry for this wearer waits for the assignment locked above.
    existing = found.get(period)
    before = found[previous].value if previous in found else None
    old = existing.value if existing else None
    if was is not None and canonical(old) != was:
        raise Conflict(
            _("Changed meanwhile by someone else: the value is now %(value)s.")
            % {"value": canonical(old) or "—"},
            old,
        )
    if old == new:
        return Entry(existing, before)
    late = today > rules.period_end(period, kpi.frequency)
    if new is None:
        existing.delete()
        result = None
    elif existing:
        existing.person = person  # known: no cross-organisation query on save
        existing.value, existing.author, existing.late = new, author, existing.late or late
        existing.save(update_fields=["value", "author", "late", "updated"])
        result = existing
    else:
        result = KPIValue.objects.create(
            org=org, kpi=kpi, person=person, period=period, value=new, author=author, late=late
        )
    KPIValueChange.objects.create(
        org=org, kpi=kpi, person=person, period=period, author=author, old=old, new=new
    )
    return Entry(result, before)


def replace_kpis(hat, rows):
    """Make the hat's KPIs `rows` ([{name, target, unit, period}] in order). A
    KPI whose name stays (ignoring case) is updated in place, so its numbers
    and settings stay with it; the others are removed or added."""
    kept = {}
    for kpi in hat.kpis.all():
        kept.setdefault(kpi.name.casefold(), kpi)
    keep, add = [], []
    for position, row in enumerate(rows):
        kpi = kept.pop(row["name"].casefold(), None)
        if kpi is None:
            add.append(KPI(hat=hat, position=position, **row))
            continue
        for name, value in row.items():
            setattr(kpi, name, value)
        kpi.position = position
        keep.append(kpi)
    KPI.objects.filter(pk__in=[k.pk for k in kept.values()]).delete()
    KPI.objects.bulk_update(keep, ["name", "target", "unit", "period", "position"])
    KPI.objects.bulk_create(add)


# Figures -------------------------------------------------------------------------


def figures(org, kpis, first, last):
    """{(kpi id, period): the hat's figure} for `kpis` between the periods
    starting `first` and `last`: each KPI's sum or average of its wearers'
    values, computed by the database. One query."""
    method = {k.id: k.aggregated_by for k in kpis}
    rows = (
        KPIValue.objects.for_org(org)
        .filter(kpi_id__in=list(method), period__gte=first, period__lte=last)
        .values("kpi_id", "period")
        .annotate(total=Sum("value"), mean=Avg("value"), n=Count("id"))
        .order_by()
    )
    return {
        (r["kpi_id"], r["period"]): r["total"] if method[r["kpi_id"]] == "sum" else r["mean"]
        for r in rows
    }


def value_of(org, kpi, person, period):
    """The value `person` entered for `kpi` in the period starting `period`,
    or None. One query."""
    found = KPIValue.objects.filter(
        org_id=org.id, kpi_id=kpi.id, person_id=person.id, period=period
    )
    return next(iter(found.values_list("value", flat=True)), None)


def person_values(org, kpi_ids, first, last, person_ids=None):
    """{(kpi id, person id, period): (value, late)}. One query."""
    qs = KPIValue.objects.for_org(org).filter(
        kpi_id__in=kpi_ids, period__gte=first, period__lte=last
    )
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    return {
        (k, p, d): (v, late)
        for k, p, d, v, late in qs.values_list("kpi_id", "person_id", "period", "value", "late")
    }


@dataclass
class Cell:
    period: object
    label: str
    figure: object
    status: str


@dataclass
class ScoreRow:
    kpi: object
    cells: list = field(default_factory=list)
    trend: str | None = None
    trend_good: bool | None = None

    @property
    def latest(self):
        return self.cells[-1] if self.cells else None


def score_rows(org, kpis, n=13, now=None):
    """A ScoreRow per KPI over its last `n` periods (its own frequency), each
    cell judged against the target. Two queries at most, whatever the size."""
    rows = []
    for frequency in (rules.WEEKLY, rules.MONTHLY):
        group = [k for k in kpis if k.frequency == frequency]
        if not group:
            continue
        periods = rules.last_periods(current(org, frequency, now), n, frequency)
        found = figures(org, group, periods[0], periods[-1])
        labels = [rules.period_label(p, frequency) for p in periods]
        for kpi in group:
            target = goal(kpi)
            series = [found.get((kpi.id, p)) for p in periods]
            # Periods before the first number are not missing: nobody measured yet.
            first = next((i for i, v in enumerate(series) if v is not None), len(series))
            row = ScoreRow(
                kpi,
                [
                    Cell(
                        p,
                        label,
                        v,
                        rules.NO_TARGET
                        if i < first
                        else rules.status(v, kpi.direction, target, kpi.goal_high),
                    )
                    for i, (p, label, v) in enumerate(zip(periods, labels, series, strict=True))
                ],
            )
            row.trend = rules.trend(series)
            row.trend_good = rules.trend_is_good(kpi.direction, row.trend)
            rows.append(row)
    order = {k.id: i for i, k in enumerate(kpis)}
    rows.sort(key=lambda r: order[r.kpi.id])
    return rows


def kpis_of(org, function_ids=None):
    """The organisation's KPIs (optionally of hats in `function_ids`), with
    their hat and function, in the order of the map: a queryset."""
    qs = KPI.objects.filter(hat__org=org).select_related("hat__function")
    if function_ids is not None:
        qs = qs.filter(hat__function_id__in=function_ids)
    return qs.order_by(
        "hat__function__position",
        "hat__function__name",
        "hat__position",
        "hat__title",
        "hat_id",
        "position",
        "id",
    )


# Health ------------------------------------------------------------------------------


class KPIFact(NamedTuple):
    """What the health checks and the map need of a KPI, without loading it."""

    id: int
    name: str
    hat_id: int
    value_kind: str
    direction: str
    frequency: str
    aggregation: str
    goal: object
    goal_high: object
    target: str

    @property
    def aggregated_by(self):
        if self.aggregation:
            return self.aggregation
        return "average" if self.value_kind in (rules.PERCENT, rules.DURATION) else "sum"


class KPIHealth(NamedTuple):
    """A KPI as the health checks see it. `reported`: how many of its hat's
    current, active wearers have a value for
    the last period due; `off_run`: periods due in a row off target; `now`:
    ON/OFF/MISSING in the running period (NO_TARGET without a target)."""

    id: int
    name: str
    hat_id: int
    has_goal: bool
    now: str
    reported: int
    off_run: int


def due_period(org, frequency, now=None):
    """The latest period whose numbers are due: the one before the running
    period, once its grace days (the organisation's setting) have passed."""
    today = timezone.localdate(now)
    this = rules.period_start(today, frequency, org.week_ends)
    last = rules.shift(this, -1, frequency)
    deadline = rules.period_end(last, frequency) + datetime.timedelta(days=org.kpi_grace_days)
    return last if today > deadline else rules.shift(last, -1, frequency)


def kpi_health(org, now=None):
    """A KPIHealth per KPI of the organisation. Three queries, whatever the
    size: the KPIs, their figures, and how many wearers reported for the
    period due."""
    facts = [
        KPIFact(*row)
        for row in KPI.objects.filter(hat__org=org)
        .order_by("hat_id", "position", "id")
        .values_list(
            "id",
            "name",
            "hat_id",
            "value_kind",
            "direction",
            "frequency",
            "aggregation",
            "goal",
            "goal_high",
            "target",
        )
    ]
    if not facts:
        return []
    runs = max(1, org.kpi_off_target_periods)
    calendar = {}  # frequency: (running period, period due, the periods judged)
    for frequency in {k.frequency for k in facts}:
        due = due_period(org, frequency, now)
        calendar[frequency] = (
            current(org, frequency, now),
            due,
            rules.last_periods(due, runs, frequency),
        )
    found = figures(
        org,
        facts,
        min(c[2][0] for c in calendar.values()),
        max(c[0] for c in calendar.values()),
    )
    due_of = Q()
    for frequency, (_this, due, _periods) in calendar.items():
        due_of |= Q(kpi__frequency=frequency, period=due)
    # Counted by the database: thousands of KPIs, not their wearers' rows.
    reported = dict(
        KPIValue.objects.for_org(org)
        .filter(
            due_of,
            person__active=True,
            person__assignments__hat_id=F("kpi__hat_id"),
            person__assignments__ended__isnull=True,
        )
        .values("kpi_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("kpi_id", "n")
        .order_by()
    )
    out = []
    for k in facts:
        this, _due, periods = calendar[k.frequency]
        target = k.goal if k.goal is not None else rules.goal_of(k.target)
        judged = [
            rules.status(found.get((k.id, p)), k.direction, target, k.goal_high) for p in periods
        ]
        out.append(
            KPIHealth(
                k.id,
                k.name,
                k.hat_id,
                target is not None,
                rules.status(found.get((k.id, this)), k.direction, target, k.goal_high),
                reported.get(k.id, 0),
                rules.off_in_a_row(judged),
            )
        )
    return out


def on_target_by_function(kpis, function_of):
    """{function id: (KPIs on target now, KPIs with a target)} from KPIHealth
    rows and {hat id: function id}."""
    out = {}
    for k in kpis:
        if not k.has_goal or k.hat_id not in function_of:
            continue
        on, total = out.get(function_of[k.hat_id], (0, 0))
        out[function_of[k.hat_id]] = (on + (k.now == rules.ON), total + 1)
    return out
