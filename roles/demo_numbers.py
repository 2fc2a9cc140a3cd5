"""Believable weekly numbers for the demo company: 26 weeks (six months for
monthly KPIs) for every KPI of a worn hat, ending in the running period.
Planted: among the sellers Sara trends up and Johan down, Fredrik missed the
last week due, and the inside sellers' booked meetings have been off target
for the last three weeks. Sara's numbers for the running period are left for
her to enter."""

import random
from decimal import Decimal

from . import numbers as rules
from .models import KPI, Assignment, KPIValue
from .services import numbers as services

WEEKS, MONTHS = 26, 6

# KPI name: (kind, frequency, direction, target value, the hat's figure)
SETTINGS = {
    "Orderingång mot budget": ("percent", "monthly", "higher", 100, ""),
    "Prognossäkerhet": ("percent", "monthly", "higher", 90, ""),
    "Bruttomarginal": ("percent", "monthly", "higher", 35, ""),
    "Orderingång": ("amount", "monthly", "higher", 400000, "average"),
    "Nya kunder": ("count", "monthly", "higher", 1, "average"),
    "Kundmöten": ("count", "weekly", "higher", 12, "average"),
    "Bokade möten": ("count", "weekly", "higher", 10, "average"),
    "Samtal": ("count", "weekly", "higher", 300, "average"),
    "Teamets bokade möten": ("count", "weekly", "higher", 20, ""),
    "Andel kvalificerade möten": ("percent", "monthly", "higher", 70, ""),
    "Förnyelsegrad": ("percent", "monthly", "higher", 95, ""),
    "Tillväxt hos nyckelkunder": ("percent", "monthly", "higher", 10, ""),
    "Offerter inom 24 h": ("percent", "monthly", "higher", 95, ""),
    "Felfria order": ("percent", "monthly", "higher", 98, ""),
    "CRM-datakvalitet": ("percent", "monthly", "higher", 95, ""),
    "Provision i tid": ("percent", "monthly", "higher", 97, ""),
    "Marknadskvalificerade leads": ("count", "monthly", "higher", 120, ""),
    "Kostnad per lead": ("amount", "monthly", "lower", 800, ""),
}
# (KPI, wearer's email): (first value, last value) of a steady trend.
TRENDS = {
    ("Kundmöten", "saljare@nordisk.example"): (8, 15),
    ("Kundmöten", "johan.berg@nordisk.example"): (15, 8),
}
MISSED = {("Kundmöten", "fredrik.wallin@nordisk.example")}  # the last week due
OFF_LATELY = {"Bokade möten"}  # the last three weeks due well under target
LEFT_TO_ENTER = "saljare@nordisk.example"  # the running period


def rounded(value, kind):
    if kind == "count":
        return Decimal(max(0, round(value)))
    if kind == "percent":
        return Decimal(str(round(min(100.0, max(0.0, value)), 1)))
    step = 1000 if value >= 10000 else 1  # order intake in thousands, a lead's cost in kronor
    return Decimal(max(0, round(value / step) * step))


def add_numbers(org, now=None):
    """Configure the demo's KPIs and fill their numbers. Returns how many values."""
    rnd = random.Random(17)  # the same demo every time
    kpis = list(KPI.objects.filter(hat__org=org).order_by("hat_id", "position", "id"))
    for kpi in kpis:
        kind, frequency, direction, goal, aggregation = SETTINGS.get(
            kpi.name, ("count", "monthly", "higher", None, "")
        )
        kpi.value_kind, kpi.frequency, kpi.direction = kind, frequency, direction
        kpi.goal, kpi.aggregation = goal, aggregation
    KPI.objects.bulk_update(kpis, ["value_kind", "frequency", "direction", "goal", "aggregation"])
    wearers = {}
    for hat_id, person_id, email in (
        Assignment.objects.for_org(org)
        .filter(ended__isnull=True)
        .order_by("person__name")
        .values_list("hat_id", "person_id", "person__email")
    ):
        wearers.setdefault(hat_id, []).append((person_id, email))
    rows = []
    for kpi in kpis:
        n = WEEKS if kpi.frequency == "weekly" else MONTHS
        this = services.current(org, kpi.frequency, now)
        due = services.due_period(org, kpi.frequency, now)
        periods = rules.last_periods(this, n, kpi.frequency)
        goal = float(kpi.goal) if kpi.goal is not None else 10.0
        people = wearers.get(kpi.hat_id, [])
        share = 1 if kpi.aggregated_by == "average" else max(1, len(people))
        typical = goal / share * (0.95 if kpi.direction == "lower" else 1.06)
        for person_id, email in people:
            first, last = TRENDS.get((kpi.name, email), (typical, typical))
            for i, period in enumerate(periods):
                if period == this and email == LEFT_TO_ENTER:
                    continue
                if period == due and (kpi.name, email) in MISSED:
                    continue
                value = first + (last - first) * i / max(1, n - 1)
                value *= 1 + rnd.uniform(-0.08, 0.08)
                if kpi.name in OFF_LATELY and rules.shift(due, -3, kpi.frequency) < period:
                    value = goal * 0.7
                rows.append(
                    KPIValue(
                        org=org,
                        kpi=kpi,
                        person_id=person_id,
                        period=period,
                        value=rounded(value, kpi.value_kind),
                        author_id=person_id,
                    )
                )
    KPIValue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
