"""Plan and apply the import of a read sheet into an organisation.

`plan()` compares the sheet with the organisation and writes nothing; the
preview shows it as it is. `apply()` writes the plan in one transaction.
For every (task, hat) pair the sheet has, the sheet's letters replace the
cell's letters, so importing the same file twice changes nothing the second time.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ..models import Area, CellChange, Function, Hat, Responsibility, Task
from ..raci import format_cell
from .reader import Problem, norm

NOTE = "import"


@dataclass
class CellPlan:
    task: int  # index into sheet.tasks
    hat: int  # index into sheet.hats
    task_name: str
    hat_name: str
    old: frozenset
    new: frozenset

    @property
    def old_text(self):
        return format_cell(self.old)

    @property
    def new_text(self):
        return format_cell(self.new)


@dataclass
class Plan:
    org: object
    sheet: object
    hat_ids: list = field(default_factory=list)  # existing hat id per sheet hat, or None
    hat_function: list = field(default_factory=list)  # Function or new function name per hat
    functions_new: list = field(default_factory=list)
    area_ids: dict = field(default_factory=dict)  # norm(area) -> id or None
    task_ids: list = field(default_factory=list)  # existing task id per sheet task, or None
    changes: list = field(default_factory=list)
    unchanged: int = 0
    problems: list = field(default_factory=list)
    existing: dict = field(default_factory=dict)  # (task_id, hat_id) -> {letter: resp id}

    @property
    def hats_new(self):
        return [h for h, hid in zip(self.sheet.hats, self.hat_ids, strict=True) if hid is None]

    @property
    def areas_new(self):
        return [a for a in self.sheet.areas if self.area_ids.get(norm(a)) is None]

    @property
    def tasks_new(self):
        return [t for t, tid in zip(self.sheet.tasks, self.task_ids, strict=True) if tid is None]

    @property
    def has_changes(self):
        return bool(self.hats_new or self.areas_new or self.tasks_new or self.changes)

    def summary(self):
        return {
            "hats_new": len(self.hats_new),
            "areas_new": len(self.areas_new),
            "tasks_new": len(self.tasks_new),
            "cells_changed": len(self.changes),
            "cells_unchanged": self.unchanged,
            "problems": [p.as_dict() for p in self.problems],
        }


def default_function_name():
    return _("Imported")


def plan(org, sheet, function=None):
    """Compare `sheet` with `org`. New hats go into `function` when given;
    otherwise into the function named above them in the sheet, or "Imported"."""
    result = Plan(org=org, sheet=sheet, problems=list(sheet.problems))
    functions = {norm(f.name): f for f in Function.objects.for_org(org)}

    hats_by_name = {}
    for hat in (
        Hat.objects.for_org(org)
        .select_related("function")
        .order_by("function__position", "function__name", "position", "title", "id")
    ):
        hats_by_name.setdefault(norm(hat.title), []).append(hat)
    new_function_names = {}
    for index, title in enumerate(sheet.hats):
        group = sheet.hat_groups[index] if index < len(sheet.hat_groups) else None
        candidates = hats_by_name.get(norm(title), [])
        chosen = None
        if candidates:
            chosen = candidates[0]
            if len(candidates) > 1:
                if group:
                    chosen = next(
                        (h for h in candidates if norm(h.function.name) == norm(group)), chosen
                    )
                result.problems.append(
                    Problem(
                        sheet.name,
                        None,
                        sheet.hat_columns[index],
                        _("Several hats are called “%(name)s”; the one in %(function)s is used.")
                        % {"name": title, "function": chosen.function.name},
                    )
                )
        result.hat_ids.append(chosen.id if chosen else None)
        if chosen:
            result.hat_function.append(chosen.function)
            continue
        target = function
        if target is None:
            name = group or default_function_name()
            target = functions.get(norm(name))
            if target is None:
                target = new_function_names.setdefault(norm(name), name)
        result.hat_function.append(target)
    result.functions_new = list(new_function_names.values())

    areas = {norm(a.name): a.id for a in Area.objects.for_org(org)}
    result.area_ids = {norm(a): areas.get(norm(a)) for a in sheet.areas}

    tasks = {}
    for task in Task.objects.for_org(org).order_by("position", "id"):
        tasks.setdefault((task.area_id, norm(task.name)), task.id)
    for read in sheet.tasks:
        area_id = areas.get(norm(read.area)) if read.area else None
        if read.area and area_id is None:
            result.task_ids.append(None)
            continue
        result.task_ids.append(tasks.get((area_id, norm(read.name))))

    known_tasks = [tid for tid in result.task_ids if tid]
    known_hats = [hid for hid in result.hat_ids if hid]
    if known_tasks and known_hats:
        for rid, tid, hid, letter in (
            Responsibility.objects.for_org(org)
            .filter(task_id__in=known_tasks, hat_id__in=known_hats)
            .values_list("id", "task_id", "hat_id", "letter")
        ):
            result.existing.setdefault((tid, hid), {})[letter] = rid

    for t_index, read in enumerate(sheet.tasks):
        tid = result.task_ids[t_index]
        for h_index, title in enumerate(sheet.hats):
            hid = result.hat_ids[h_index]
            new = sheet.cells.get((t_index, h_index), frozenset())
            old = frozenset(result.existing.get((tid, hid), {})) if tid and hid else frozenset()
            if old == new:
                result.unchanged += bool(new)
                continue
            result.changes.append(CellPlan(t_index, h_index, read.name, title, old, new))
    return result


def next_position(queryset):
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


@transaction.atomic
def apply(plan, author=None):
    """Write `plan`: all of it or, on any error, nothing. Returns the summary."""
    org, sheet = plan.org, plan.sheet
    position = next_position(Function.objects.for_org(org).filter(parent=None))
    created_functions = {}
    for name in plan.functions_new:
        created_functions[norm(name)] = Function.objects.create(
            org=org, name=name, position=position
        )
        position += 1

    hat_ids = list(plan.hat_ids)
    positions = {}
    for index, hid in enumerate(hat_ids):
        if hid is not None:
            continue
        target = plan.hat_function[index]
        if isinstance(target, str):
            target = created_functions[norm(target)]
        if target.id not in positions:
            positions[target.id] = next_position(Hat.objects.for_org(org).filter(function=target))
        hat = Hat.objects.create(
            org=org, function=target, title=sheet.hats[index], position=positions[target.id]
        )
        positions[target.id] += 1
        hat_ids[index] = hat.id

    area_ids = dict(plan.area_ids)
    position = next_position(Area.objects.for_org(org))
    for name in sheet.areas:
        if area_ids.get(norm(name)) is None:
            area_ids[norm(name)] = Area.objects.create(org=org, name=name, position=position).id
            position += 1

    task_ids = list(plan.task_ids)
    position = next_position(Task.objects.for_org(org))
    fresh = []
    for index, read in enumerate(sheet.tasks):
        if task_ids[index] is None:
            area_id = area_ids[norm(read.area)] if read.area else None
            fresh.append((index, Task(org=org, area_id=area_id, name=read.name, position=position)))
            position += 1
    for index, task in zip(
        [i for i, _t in fresh], Task.objects.bulk_create([t for _i, t in fresh]), strict=True
    ):
        task_ids[index] = task.id

    removed, added, history = [], [], []
    for change in plan.changes:
        tid, hid = task_ids[change.task], hat_ids[change.hat]
        old_rows = plan.existing.get((plan.task_ids[change.task], plan.hat_ids[change.hat]), {})
        removed.extend(rid for letter, rid in old_rows.items() if letter not in change.new)
        added.extend(
            Responsibility(org=org, task_id=tid, hat_id=hid, letter=letter)
            for letter in sorted(change.new - change.old)
        )
        history.append(
            CellChange(
                org=org,
                task_id=tid,
                hat_id=hid,
                author=author,
                old=change.old_text,
                new=change.new_text,
                note=NOTE,
            )
        )
    if removed:
        Responsibility.objects.for_org(org).filter(id__in=removed).delete()
    Responsibility.objects.bulk_create(added)
    CellChange.objects.bulk_create(history)
    return plan.summary()
