"""The scorecard as a workbook: a sheet per frequency, a KPI per row, its
figure per period with the cell coloured by status, and the trend. The import
of numbers from a sheet: plan, apply, and the two jobs that run them."""

import datetime
import hashlib
import io
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import numbers as rules
from ..models import KPI, Assignment, Job, Organisation, Person
from ..models.base import stamp_raised_after
from ..services import numbers as services
from .exporter import xlsx_text
from .import_job import LIST_ROWS, load_upload
from .reader import SheetError, read_rows

FILLS = {"on": "D1E7DD", "off": "F8D7DA", "missing": "FFF3CD"}


def scorecard_xlsx(tables):
    """Bytes of a workbook of `tables` ([(title, period labels, ScoreRows)])."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fills = {k: PatternFill("solid", fgColor=v) for k, v in FILLS.items()}
    trends = {"up": _("rising"), "down": _("falling"), "flat": _("flat"), None: ""}
    if not tables:
        book.create_sheet(xlsx_text(_("Scorecard"))[:31])
    for title, labels, rows in tables:
        sheet = book.create_sheet(xlsx_text(title)[:31])
        head = [_("KPI"), _("Hat"), _("Function"), _("Target"), *labels, _("Trend")]
        sheet.append([_cell(sheet, WriteOnlyCell, xlsx_text(h), font=bold) for h in head])
        for row in rows:
            kpi = row.kpi
            goal = services.goal(kpi)
            cells = [
                xlsx_text(kpi.name),
                xlsx_text(kpi.hat.title),
                xlsx_text(kpi.hat.function.name),
                goal if goal is None else float(goal),
            ]
            for c in row.cells:
                value = None if c.figure is None else float(c.figure)
                cells.append(_cell(sheet, WriteOnlyCell, value, fill=fills.get(c.status)))
            cells.append(trends.get(row.trend, ""))
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, cell_type, value, font=None, fill=None):
    cell = cell_type(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


# Import -------------------------------------------------------------------------------
# Columns of a numbers sheet, by their header (English or Swedish, any case).
COLUMNS = {
    "person": ("person", "wearer", "email", "e-mail", "bärare", "e-post", "namn", "name"),
    "hat": ("hat", "hatt"),
    "kpi": ("kpi", "nyckeltal", "measurable", "mått"),
    "period": ("week", "vecka", "period", "month", "månad", "date", "datum"),
    "value": ("value", "värde", "number", "siffra", "antal"),
}
HEADER_ROWS = 10
WEEK_TEXT = re.compile(r"^(\d{4})\s*-?\s*(?:w|v\.?|vecka|week)\s*(\d{1,2})$", re.IGNORECASE)
WEEK_FIRST = re.compile(r"^(?:w|v\.?|vecka|week)\s*(\d{1,2})\s*,?\s*(\d{4})$", re.IGNORECASE)
MONTH_TEXT = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass
class PlannedValue:
    line: int
    person: str = ""
    hat: str = ""
    kpi: str = ""
    period: str = ""  # as the preview shows it
    text: str = ""  # the value as written
    problem: str = ""
    old: object = None
    new: object = None
    ids: tuple | None = None  # (kpi id, person id, period ISO date, value text)

    @property
    def changes(self):
        return not self.problem and self.old != self.new


def header_columns(rows):
    """(index of the header row, {column: index}) or None."""
    for r, row in enumerate(rows[:HEADER_ROWS]):
        found = {}
        for i, cell in enumerate(row):
            text = (cell or "").strip().casefold()
            for column, names in COLUMNS.items():
                if text in names and column not in found:
                    found[column] = i
        if {"kpi", "period", "value"} <= set(found) and ({"person", "hat"} & set(found)):
            return r, found
    return None


def period_from(text, kpi, org):
    """The first day of the KPI's period named by `text` (a date, "2026-W49",
    "v. 49 2026", "2026-11" for a month), or None."""
    text = (text or "").strip()
    match = WEEK_TEXT.match(text) or WEEK_FIRST.match(text)
    day = None
    try:
        if match:
            year, week = match.groups() if WEEK_TEXT.match(text) else match.groups()[::-1]
            day = datetime.date.fromisocalendar(int(year), int(week), 7)
        elif MONTH_TEXT.match(text):
            year, month = MONTH_TEXT.match(text).groups()
            day = datetime.date(int(year), int(month), 1)
        else:
            day = datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None
    if not rules.plausible(day):
        return None
    return rules.period_start(day, kpi.frequency, org.week_ends)


def plan_numbers(org, rows, now=None):
    """What importing `rows` (lists of cell texts) would do: a PlannedValue per
    data row, each with its problem or its old and new value. Four queries."""
    found = header_columns(rows)
    if found is None:
        return None
    start, col = found
    people = list(
        Person.objects.for_org(org).filter(active=True).values_list("id", "name", "email")
    )
    by_email = {e.casefold(): pid for pid, _n, e in people}
    by_name = {}
    for pid, name, _e in people:
        by_name.setdefault(name.casefold(), []).append(pid)
    names = {pid: name for pid, name, _e in people}
    worn = {}  # person id: {hat id}
    wearers = {}  # hat id: [person id]
    for hat_id, person_id in (
        Assignment.objects.for_org(org)
        .filter(ended__isnull=True)
        .values_list("hat_id", "person_id")
    ):
        worn.setdefault(person_id, set()).add(hat_id)
        wearers.setdefault(hat_id, []).append(person_id)
    kpis = list(KPI.objects.filter(hat__org=org).select_related("hat"))
    this = {f: services.current(org, f, now) for f in (rules.WEEKLY, rules.MONTHLY)}

    def cell(row, name):
        i = col.get(name)
        return (row[i] if i is not None and i < len(row) else "") or ""

    planned = []
    for line, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any((c or "").strip() for c in row):
            continue
        p = PlannedValue(
            line,
            cell(row, "person").strip(),
            cell(row, "hat").strip(),
            cell(row, "kpi").strip(),
            cell(row, "period").strip(),
            cell(row, "value").strip(),
        )
        planned.append(p)
        person_id = by_email.get(p.person.casefold())
        if person_id is None and p.person:
            matches = by_name.get(p.person.casefold(), [])
            if len(matches) > 1:
                p.problem = _("Several people are called “%(name)s”: use the email.") % {
                    "name": p.person
                }
                continue
            person_id = matches[0] if matches else None
            if person_id is None:
                p.problem = _("No active person “%(name)s”.") % {"name": p.person}
                continue
        candidates = [
            k
            for k in kpis
            if k.name.casefold() == p.kpi.casefold()
            and (not p.hat or k.hat.title.casefold() == p.hat.casefold())
            and (person_id is None or k.hat_id in worn.get(person_id, ()))
        ]
        if person_id is None and len(candidates) == 1:
            hat_wearers = wearers.get(candidates[0].hat_id, [])
            if len(hat_wearers) != 1:
                p.problem = _("Several people wear “%(hat)s”, or nobody: name the person.") % {
                    "hat": candidates[0].hat.title
                }
                continue
            person_id = hat_wearers[0]
        if not candidates:
            p.problem = _("No KPI “%(kpi)s” on a hat that %(who)s wears.") % {
                "kpi": p.kpi,
                "who": names.get(person_id, p.hat or p.person),
            }
            continue
        if len(candidates) > 1:
            p.problem = _("“%(kpi)s” is on several hats: give the hat.") % {"kpi": p.kpi}
            continue
        kpi = candidates[0]
        p.person, p.hat = names[person_id], kpi.hat.title
        period = period_from(p.period, kpi, org)
        if period is None:
            p.problem = _("“%(text)s” is not a week, month or date.") % {"text": p.period[:40]}
            continue
        if period > this[kpi.frequency]:
            p.problem = _("That period has not started yet: numbers are entered from its start.")
            continue
        p.period = rules.period_label(period, kpi.frequency) + f" {period:%Y}"
        try:
            p.new = rules.parse_value(p.text, kpi.value_kind)
        except rules.BadNumber as bad:
            p.problem = str(bad)
            continue
        p.ids = (kpi.id, person_id, period.isoformat(), services.canonical(p.new))
    _old_values(org, planned)
    return planned


def _old_values(org, planned):
    keys = [p.ids for p in planned if p.ids]
    if not keys:
        return
    first = min(datetime.date.fromisoformat(k[2]) for k in keys)
    stored = services.person_values(
        org,
        {k[0] for k in keys},
        first,
        max(datetime.date.fromisoformat(k[2]) for k in keys),
        {k[1] for k in keys},
    )
    seen = set()
    for p in planned:
        if not p.ids:
            continue
        key = (p.ids[0], p.ids[1], datetime.date.fromisoformat(p.ids[2]))
        if key in seen:
            p.problem, p.ids = _("The same person, KPI and period as a row above."), None
            continue
        seen.add(key)
        p.old = stored.get(key, (None, False))[0]


def apply_numbers(org, keys, author):
    """Enter the planned values ([(kpi id, person id, period, value text, the
    value the preview showed)]), each through services.numbers.enter_value
    (history, checks; a value changed since the preview is a Conflict), all in
    one transaction. Returns how many; raises Refused (nothing saved) for the
    first that fails."""
    kpis = {k.id: k for k in KPI.objects.filter(hat__org=org, id__in={k[0] for k in keys})}
    people = {p.id: p for p in Person.objects.for_org(org).filter(id__in={k[1] for k in keys})}
    # The stamp is raised once below, not once per value saved.
    with stamp_raised_after(), transaction.atomic():
        for kpi_id, person_id, period, text, shown in keys:
            kpi, person = kpis.get(kpi_id), people.get(person_id)
            if kpi is None or person is None:
                raise services.Refused(_("A KPI or person of the file no longer exists."))
            day = datetime.date.fromisoformat(period)
            services.enter_value(org, kpi, person, day, text, author, was=shown)
        Organisation.touch(org.id)
    return len(keys)


# The import as jobs ----------------------------------------------------------------
# As the matrix import (import_job.py): the request stores the upload and starts
# a reading job whose data is the preview, plan included; applying is a second job
# that saves that plan, all or nothing, once.


class NotApplied(Exception):
    """The preview cannot be applied (gone, or applied already); str() says why."""


ALREADY_APPLIED = gettext_lazy("This preview has been applied already; nothing was saved twice.")


def preview_data(planned, name):
    """The preview as plain data: the counts, the first rows as the page shows
    them, and what apply saves (`keys`, each with the value shown, and their
    digest)."""
    keys = [[*p.ids, services.canonical(p.old)] for p in planned if p.changes]
    rows = []
    for p in planned[:LIST_ROWS]:
        if p.problem:
            status = "problem"
        elif not p.changes:
            status = "unchanged"
        else:
            status = "new" if p.old is None else "changed"
        rows.append(
            {
                "line": p.line,
                "person": p.person,
                "hat": p.hat,
                "kpi": p.kpi,
                "period": p.period,
                "text": p.text,
                "problem": p.problem,
                "status": status,
                "old": services.canonical(p.old),
            }
        )
    problems = sum(1 for p in planned if p.problem)
    return {
        "kind": "preview",
        "name": name,
        "digest": hashlib.sha256(repr(keys).encode()).hexdigest(),
        "keys": keys,
        "saving": len(keys),
        "problems": problems,
        "unchanged": len(planned) - problems - len(keys),
        "rows": rows,
        "rows_more": max(0, len(planned) - LIST_ROWS),
    }


def run_read(job, progress):
    """Read the job's upload and plan it: the job's data is the preview."""
    progress(0, 3, force=True)
    data = load_upload(job)
    progress(1, 3, force=True)
    rows = read_rows(data, job.params["name"])
    progress(2, 3, force=True)
    planned = plan_numbers(job.org, rows)
    if planned is None:
        raise SheetError(_("No header row with the columns KPI, week, value, and person or hat."))
    return {"data": preview_data(planned, job.params["name"])}


def run_apply(job, progress):
    """Save the values of the preview job `params["preview"]`, all or nothing.
    The preview is locked and marked applied in the same transaction, so that
    it is saved once, also when this job runs again after its worker died.
    No progress is written inside the transaction: it would lock the job's row
    against the worker's heartbeat and Cancel."""
    progress(0, 1, force=True)
    with transaction.atomic():
        preview = (
            Job.objects.select_for_update()
            .filter(org=job.org, kind=Job.NUMBERS_READ, pk=job.params.get("preview"))
            .first()
        )
        data = preview.data if preview else None
        if (
            not data
            or data.get("kind") != "preview"
            or data.get("digest") != job.params.get("digest")
        ):
            raise NotApplied(_("That preview has expired. Upload the file again."))
        if data.get("applied_by"):
            raise NotApplied(str(ALREADY_APPLIED))
        saved = apply_numbers(job.org, data["keys"], job.started_by)
        Job.objects.filter(pk=preview.pk).update(data={**data, "applied_by": job.pk})
    return {"data": {"kind": "applied", "name": job.params["name"], "saved": saved}}
