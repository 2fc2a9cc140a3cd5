"""A new hat from the template library (roles/hat_templates.py): what it would
add, shown before anything is written, and adding it.

The template speaks the organisation's language, not the reader's. It reuses
the organisation's areas and tasks wherever the library knows them by another
name (the other language, or a company's own wording), and it never leaves a
task it touches with a gap: a task it creates gets both an A and an R, and on an
existing task it never takes an A from the hat that holds it (that would change
someone else's job behind their back) but fills in an A or R the task lacks."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from .. import hat_templates, raci
from ..models import KPI, Area, Assignment, ChecklistItem, Hat, HatChange, Responsibility, Task
from .hats import _next_position, add_duty, area_named, free_title, new_task


@dataclass
class PlannedDuty:
    duty: hat_templates.Duty
    task: Task | None  # the organisation's task it reuses; None: created
    task_name: str
    area: Area | None  # where a new task goes: an existing area, or None (created)
    area_name: str
    letters: frozenset  # what the new hat gets on the task
    added: frozenset = frozenset()  # letters beyond the template's, so the task has no gap
    a_stays_with: list = field(default_factory=list)  # hats keeping the A the template had

    @property
    def text(self):
        return raci.format_cell(self.letters)


@dataclass
class TemplatePlan:
    template: hat_templates.HatTemplate
    title: str
    reports_to: Hat | None
    duties: list

    @property
    def new_areas(self):
        return sorted({d.area_name for d in self.duties if d.task is None and d.area is None})

    @property
    def reused_areas(self):
        return sorted({d.area.name for d in self.duties if d.task is None and d.area is not None})

    @property
    def new_tasks(self):
        return [d for d in self.duties if d.task is None]

    @property
    def reused_tasks(self):
        return [d for d in self.duties if d.task is not None]


def fold(name):
    return " ".join((name or "").split()).casefold()


def head_hat(function):
    """The hat a new hat of `function` reports to: the one the function's head
    wears in it, else the one the parent function's head wears there."""
    for fn in (function, function.parent):
        if fn is None or fn.head_id is None:
            continue
        found = (
            Assignment.objects.filter(
                org_id=fn.org_id, person_id=fn.head_id, hat__function=fn, ended__isnull=True
            )
            .select_related("hat")
            .order_by("hat__position", "hat_id")
            .first()
        )
        if found is not None:
            return found.hat
    return None


def plan(function, template, title=""):
    """What adding `template` to `function` would do, as a TemplatePlan. Reads a
    fixed number of queries: areas, the matching tasks, their letters, the
    reports-to hat."""
    org = function.org
    areas = {fold(a.name): a for a in Area.objects.filter(org=org).order_by("position", "id")}
    names = {n for d in template.duties for n in d.task_names}
    wanted = Q()
    for name in names:
        wanted |= Q(name__iexact=name)
    tasks = {}
    for task in Task.objects.filter(org=org).filter(wanted).select_related("area").order_by("id"):
        tasks.setdefault(fold(task.name), []).append(task)
    found = [t for group in tasks.values() for t in group]
    rows = {}  # {task id: {hat id: set of letters}}
    titles = {}
    for task_id, hat_id, hat_title, letter in Responsibility.objects.filter(
        org=org, task__in=found
    ).values_list("task_id", "hat_id", "hat__title", "letter"):
        rows.setdefault(task_id, {}).setdefault(hat_id, set()).add(letter)
        titles[hat_id] = hat_title

    duties = []
    for duty in template.duties:
        area_names = {fold(n) for n in duty.area_names}
        candidates = [t for n in duty.task_names for t in tasks.get(fold(n), [])]
        # The same task in the template's area first, else the first found.
        candidates.sort(key=lambda t: (not (t.area and fold(t.area.name) in area_names), t.id))
        task = candidates[0] if candidates else None
        area = next((areas[n] for n in map(fold, duty.area_names) if n in areas), None)
        letters = set(raci.letters_of(duty.letters))
        wanted_letters = frozenset(letters)
        a_stays = []
        if task is not None:
            row = rows.get(task.id, {})
            holders = sorted(titles[h] for h, cell in row.items() if "A" in cell)
            if "A" in letters and holders:
                letters.discard("A")
                a_stays = holders
            has_a = bool(holders) or "A" in letters
            has_r = any("R" in cell for cell in row.values()) or "R" in letters
        else:
            has_a, has_r = "A" in letters, "R" in letters
        if not has_a:
            letters.add("A")
        if not has_r or not letters & {"A", "R"}:
            letters.add("R")
        if task is not None:
            area_name = task.area.name if task.area else ""
        else:
            area_name = area.name if area else duty.area
        duties.append(
            PlannedDuty(
                duty=duty,
                task=task,
                task_name=task.name if task else duty.task,
                area=task.area if task else area,
                area_name=area_name,
                letters=frozenset(letters),
                added=frozenset(letters) - wanted_letters,
                a_stays_with=a_stays,
            )
        )
    return TemplatePlan(
        template=template,
        title=free_title(function, title or template.title)[:200],
        reports_to=head_hat(function),
        duties=duties,
    )


@transaction.atomic
def create_from_template(function, template, author, title=""):
    """Add the hat `plan` describes (planned again here, so what is written
    matches the organisation as it is now): the hat, its KPIs and checklist,
    the areas and tasks it needs, its letters on each. All or nothing."""
    org = function.org
    planned = plan(function, template, title)
    hat = Hat.objects.create(
        org=org,
        function=function,
        title=planned.title,
        purpose=template.purpose,
        product=template.product,
        authority=template.authority,
        reports_to=planned.reports_to,
        position=_next_position(function),
    )
    KPI.objects.bulk_create(
        [
            KPI(hat=hat, name=name, target=target, unit=unit, period=period, position=i)
            for i, (name, target, unit, period) in enumerate(template.kpis)
        ]
    )
    ChecklistItem.objects.bulk_create(
        [ChecklistItem(hat=hat, text=text, position=i) for i, text in enumerate(template.checklist)]
    )
    areas = {}
    for duty in planned.duties:
        task = duty.task
        if task is None:
            area = duty.area or area_named(org, duty.area_name, areas)
            task = new_task(org, duty.task_name, area)
        add_duty(hat, raci.format_cell(duty.letters), author, task=task)
    HatChange.objects.create(
        org=org, hat=hat, author=author, kind=HatChange.FIELD, field="title", new=hat.title
    )
    return hat
