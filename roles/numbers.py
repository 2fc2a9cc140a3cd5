"""Rules of the weekly numbers as pure functions on plain data: periods (weeks
that end on the organisation's chosen day, or months), reading a typed number,
whether a figure is on target, and which way a series trends."""

import calendar
import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _

WEEKLY, MONTHLY = "weekly", "monthly"
COUNT, AMOUNT, PERCENT, DURATION = "count", "amount", "percent", "duration"
HIGHER, LOWER, RANGE = "higher", "lower", "range"
ON, OFF, MISSING, NO_TARGET = "on", "off", "missing", "none"
LARGEST = Decimal("9999999999")  # what a value column (14 digits, 4 decimals) holds


# Periods ----------------------------------------------------------------------


def plausible(day):
    """A date a period may start near: far from the calendar's ends, where
    stepping a period back or forth would overflow."""
    return day is not None and 1900 <= day.year <= 9000


def period_start(day, frequency=WEEKLY, week_ends=6):
    """First day of the period containing `day`. A week ends on weekday
    `week_ends` (0 Monday … 6 Sunday, the ISO week)."""
    if frequency == MONTHLY:
        return day.replace(day=1)
    first = (week_ends + 1) % 7
    return day - datetime.timedelta(days=(day.weekday() - first) % 7)


def shift(start, n, frequency=WEEKLY):
    """The period `n` periods after the one starting `start` (n < 0: before)."""
    if frequency == MONTHLY:
        months = start.year * 12 + start.month - 1 + n
        return datetime.date(months // 12, months % 12 + 1, 1)
    return start + datetime.timedelta(days=7 * n)


def period_end(start, frequency=WEEKLY):
    """Last day of the period starting `start`."""
    if frequency == MONTHLY:
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start + datetime.timedelta(days=6)


def current_period(frequency=WEEKLY, week_ends=6, now=None):
    """The period running now, by the calendar of the site's time zone."""
    return period_start(timezone.localdate(now), frequency, week_ends)


def last_periods(current, n, frequency=WEEKLY):
    """The `n` periods up to and including `current`, oldest first."""
    return [shift(current, i - n + 1, frequency) for i in range(n)]


def period_label(start, frequency=WEEKLY):
    """ "v. 49" in Swedish, "wk 49" in English: the ISO week of the period's
    last day (the same week for ISO weeks); a month by the locale's format."""
    if frequency == MONTHLY:
        return formats.date_format(start, "YEAR_MONTH_FORMAT")
    year, week, _day = period_end(start).isocalendar()
    return _("wk %(week)d") % {"week": week}


def period_title(start, frequency=WEEKLY):
    """The period in full: "wk 49 2026 (30 Nov – 6 Dec)"."""
    if frequency == MONTHLY:
        return period_label(start, frequency)
    end = period_end(start)
    return _("wk %(week)d %(year)d (%(first)s – %(last)s)") % {
        "week": end.isocalendar()[1],
        "year": end.isocalendar()[0],
        "first": formats.date_format(start, "SHORT_DATE_FORMAT"),
        "last": formats.date_format(end, "SHORT_DATE_FORMAT"),
    }


# Reading a number --------------------------------------------------------------


class BadNumber(ValueError):
    """A typed value that cannot be stored; str() is the message for the user."""


def parse_value(text, kind=COUNT):
    """The Decimal a person typed, in the active language's notation ("12,5"
    in Swedish), checked against what the KPI's kind allows. Raises BadNumber."""
    text = (text or "").strip()
    if not text:
        raise BadNumber(_("Enter a number."))
    if len(text) > 40:
        raise BadNumber(_("That is not a number."))
    field = forms.DecimalField(localize=True)
    try:
        value = field.to_python(text.replace("\u00a0", "").replace(" ", ""))
    except forms.ValidationError:
        value = None
    if value is None or not value.is_finite():
        raise BadNumber(_("“%(text)s” is not a number.") % {"text": text[:40]})
    return check_value(value, kind)


def check_value(value, kind=COUNT):
    """`value` if the kind allows it; raises BadNumber otherwise."""
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise BadNumber(_("That is not a number.")) from None
    if not value.is_finite() or abs(value) > LARGEST:
        raise BadNumber(_("That number is too large."))
    if value != value.quantize(Decimal("0.0001")):
        raise BadNumber(_("Use at most four decimals."))
    if kind == PERCENT and not 0 <= value <= 100:
        raise BadNumber(_("A percentage is between 0 and 100."))
    if kind == COUNT:
        if value < 0:
            raise BadNumber(_("A count cannot be negative."))
        if value != value.to_integral_value():
            raise BadNumber(_("A count is a whole number."))
    if kind == DURATION and value < 0:
        raise BadNumber(_("A duration cannot be negative."))
    return value


# Judging figures -----------------------------------------------------------------


def aggregate(values, method):
    """A hat's figure from its wearers' values: their sum, or their average.
    None when nobody reported. (The pages compute this in SQL; this is the rule.)"""
    values = [v for v in values if v is not None]
    if not values:
        return None
    total = sum(values, Decimal(0))
    return total if method == "sum" else total / len(values)


def status(figure, direction, goal, goal_high=None):
    """ON, OFF, MISSING (no figure) or NO_TARGET (nothing to compare with)."""
    if figure is None:
        return MISSING
    if goal is None:
        return NO_TARGET
    if direction == LOWER:
        return ON if figure <= goal else OFF
    if direction == RANGE:
        high = goal if goal_high is None else goal_high
        return ON if min(goal, high) <= figure <= max(goal, high) else OFF
    return ON if figure >= goal else OFF


def trend(figures):
    """ "up", "down" or "flat": the sign of the least-squares slope of the
    figures present (missing periods are skipped, not taken as zero);
    None with fewer than two."""
    points = [(i, float(v)) for i, v in enumerate(figures) if v is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _y in points
    )
    scale = max(abs(mean_y), 1e-9)
    if abs(slope) * n < scale * 0.02:  # under 2 % over the whole span: flat
        return "flat"
    return "up" if slope > 0 else "down"


def trend_is_good(direction, way):
    """True if `way` ("up"/"down") is the good way for `direction`, False if
    the bad one, None when neither (flat, a range, no trend)."""
    if way not in ("up", "down") or direction == RANGE:
        return None
    return (way == "up") == (direction == HIGHER)


def off_in_a_row(statuses):
    """How many of the latest periods in a row were OFF (the list is oldest first)."""
    n = 0
    for s in reversed(statuses):
        if s != OFF:
            break
        n += 1
    return n


def goal_of(target_text):
    """A number read from a KPI's free-text target ("10", "12,5", "≥ 95"), or None."""
    text = (target_text or "").strip().lstrip("≥≤<>=~ ").rstrip("% ").replace(",", ".")
    try:
        value = Decimal(text.replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) <= LARGEST else None
