"""Reading and writing the weekly numbers. A hat's figure for a period (the
sum or average of its wearers' values), and so its function's and the
company's scorecards, are computed in SQL from the stored values."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Sum
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


def wears(org, hat_id, person_id):
    return (
        Assignment.objects.for_org(org)
        .filter(hat_id=hat_id, person_id=person_id, ended__isnull=True)
        .exists()
    )


@transaction.atomic
def enter_value(org, kpi, person, period, text, author, was=None, now=None):
    """Store `person`'s value `text` (as typed) for `kpi` in the period starting
    `period`, and the change in the history. An empty `text` removes the value.
    `was`: the value the field showed (canonical), to refuse overwriting a
    change made meanwhile. Returns the stored KPIValue, or None when removed.
    Raises Refused (nothing saved) for a bad number, a future or misaligned
    period, or a hat the person does not wear."""
    today = timezone.localdate(now)
    this = rules.period_start(today, kpi.frequency, org.week_ends)
    if period != rules.period_start(period, kpi.frequency, org.week_ends):
        raise Refused(_("That is not the first day of a period."))
    if period > this:
        raise Refused(_("That period has not started yet: numbers are entered from its start."))
    if not wears(org, kpi.hat_id, person.id):
        raise Refused(
            _("%(person)s does not wear the hat “%(hat)s” (any more).")
            % {"person": person.name, "hat": kpi.hat.title}
        )
    text = (text or "").strip()
    try:
        new = None if text == "" else rules.parse_value(text, kpi.kind)
    except rules.BadNumber as bad:
        raise Refused(str(bad)) from None
    existing = (
        KPIValue.objects.select_for_update().filter(kpi=kpi, person=person, period=period).first()
    )
    old = existing.value if existing else None
    if was is not None and canonical(old) != was:
        raise Conflict(
            _("Changed meanwhile by someone else: the value is now %(value)s.")
            % {"value": canonical(old) or "—"},
            old,
        )
    if old == new:
        return existing
    late = today > rules.period_end(period, kpi.frequency)
    if new is None:
        existing.delete()
        result = None
    elif existing:
        existing.value, existing.author, existing.late = new, author, existing.late or late
        existing.save(update_fields=["value", "author", "late", "updated"])
        result = existing
    else:
        try:
            with transaction.atomic():
                result = KPIValue.objects.create(
                    org=org,
                    kpi=kpi,
                    person=person,
                    period=period,
                    value=new,
                    author=author,
                    late=late,
                )
        except IntegrityError:  # entered at the same moment elsewhere
            raise Conflict(
                _("Entered meanwhile by someone else: reload to see it."), None
            ) from None
    KPIValueChange.objects.create(
        org=org, kpi=kpi, person=person, period=period, author=author, old=old, new=new
    )
    return result


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
            row = ScoreRow(
                kpi,
                [
                    Cell(p, label, v, rules.status(v, kpi.direction, target, kpi.goal_high))
                    for p, label, v in zip(periods, labels, series, strict=True)
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
    their hat and function, in the order of the map."""
    qs = KPI.objects.filter(hat__org=org).select_related("hat__function")
    if function_ids is not None:
        qs = qs.filter(hat__function_id__in=function_ids)
    return list(
        qs.order_by(
            "hat__function__position",
            "hat__function__name",
            "hat__position",
            "hat__title",
            "hat_id",
            "position",
            "id",
        )
    )


def on_target_by_function(org, now=None):
    """{function id: (KPIs on target in the latest period, KPIs with a target)}
    for the map's boxes. Two queries."""
    kpis = kpis_of(org)
    out = {}
    for frequency in (rules.WEEKLY, rules.MONTHLY):
        group = [k for k in kpis if k.frequency == frequency]
        if not group:
            continue
        this = current(org, frequency, now)
        found = figures(org, group, this, this)
        for kpi in group:
            target = goal(kpi)
            if target is None:
                continue
            s = rules.status(found.get((kpi.id, this)), kpi.direction, target, kpi.goal_high)
            on, total = out.get(kpi.hat.function_id, (0, 0))
            out[kpi.hat.function_id] = (on + (s == rules.ON), total + 1)
    return out
