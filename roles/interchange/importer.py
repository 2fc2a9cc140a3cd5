"""Plan and apply the import of a read sheet into an organisation.

`plan()` compares the sheet with the organisation and writes nothing; the
preview shows it as it is. `apply()` writes the plan in one transaction.
For every (task, hat) pair the sheet has, the sheet's letters replace the
cell's letters, so importing the same file twice changes nothing the second time.

Where the sheet gives a task's A to a hat, the A moves away from hats outside
the sheet, as in the matrix: the app never creates a second A. A sheet whose own
row has two A's is imported as written; the reader reports it.
"""

import dataclasses
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain, count

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ..models import (
    Area,
    CellChange,
    Function,
    Hat,
    ImportMapping,
    Organisation,
    Responsibility,
    Task,
)
from ..raci import format_cell, status_counts, task_status
from .reader import MAX_NAME, Problem, norm

NOTE = "import"  # stored in CellChange.note; shown through roles.interchange.note_label


@dataclass
class CellPlan:
    task: int  # index into sheet.tasks
    hat: int | None  # index into sheet.hats; None for a hat outside the sheet
    task_name: str
    hat_name: str
    old: frozenset
    new: frozenset
    hat_id: int | None = None  # the hat outside the sheet an A moves from
    note: str = NOTE

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
    hat_titles: list = field(default_factory=list)  # title per hat: the sheet's, unless taken
    functions_new: list = field(default_factory=list)
    area_ids: dict = field(default_factory=dict)  # norm(area) -> id or None
    task_ids: list = field(default_factory=list)  # existing task id per sheet task, or None
    changes: list = field(default_factory=list)
    unchanged: int = 0
    problems: list = field(default_factory=list)
    existing: dict = field(default_factory=dict)  # (task_id, hat_id) -> {letter: resp id}
    moves: list = field(default_factory=list)  # (task name, from hat, to hat) of each moved A
    choices: dict = field(default_factory=dict)  # as given, or remembered (ImportMapping)
    signature: str = ""  # of the sheet as read, before columns were ignored
    columns: list = field(default_factory=list)  # the sheet's column index of each planned hat
    ignored: list = field(default_factory=list)  # sheet column indexes left out by choice
    same_named: list = field(default_factory=list)  # sheet task indexes matching a task by name
    original_hats: list = field(default_factory=list)  # every column of the sheet as read
    original_letters: list = field(default_factory=list)  # their column letters
    original_tasks: list = field(default_factory=list)  # the tasks before the chosen area

    @property
    def hats_new(self):
        return [h for h, hid in zip(self.hat_titles, self.hat_ids, strict=True) if hid is None]

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
            "a_moved": len(self.moves),
            "problems": [p.as_dict() for p in self.problems],
        }

    def fingerprint(self):
        """A digest of what `apply` would write: equal fingerprints, equal writes."""
        hats_new = [
            (title, target if isinstance(target, str) else target.id)
            for title, hid, target in zip(
                self.hat_titles, self.hat_ids, self.hat_function, strict=True
            )
            if hid is None
        ]
        changes = [
            (c.task, c.hat, c.hat_id, sorted(c.old), sorted(c.new), c.note) for c in self.changes
        ]
        payload = [
            hats_new,
            self.functions_new,
            self.areas_new,
            [(t.area, t.name) for t in self.tasks_new],
            self.task_ids,
            self.hat_ids,
            changes,
        ]
        return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()


def default_function_name():
    return _("Imported")


def task_key(read):
    """How a sheet's task is named in the choices: its area and name, normalised."""
    return f"{norm(read.area or '')}|{norm(read.name)}"


def remembered(org, sheet):
    """The choices of the last import of a sheet with the same headers, or {}."""
    mapping = ImportMapping.objects.for_org(org).filter(signature=sheet.signature()).first()
    return mapping.choices if mapping else {}


def with_area(sheet, area):
    """`sheet` with the rows it gives no area put in `area` (a name), when given."""
    area = (area or "").strip()[: MAX_NAME["area"]]
    if not area or all(read.area for read in sheet.tasks):
        return sheet
    return dataclasses.replace(
        sheet,
        areas=[*sheet.areas, area] if norm(area) not in map(norm, sheet.areas) else sheet.areas,
        tasks=[t if t.area else dataclasses.replace(t, area=area) for t in sheet.tasks],
    )


def without_ignored(sheet, choices):
    """`sheet` without the columns the choices ignore (`{"ignore": true}`), the
    sheet's column index of each column kept, and the ignored indexes."""
    ignored = sorted(
        int(column)
        for column, choice in (choices.get("hats") or {}).items()
        if str(column).isdigit()
        and int(column) < len(sheet.hats)
        and isinstance(choice, dict)
        and choice.get("ignore")
    )
    kept = [index for index in range(len(sheet.hats)) if index not in ignored]
    if not ignored:
        return sheet, kept, []
    new_index = {old: new for new, old in enumerate(kept)}
    reduced = dataclasses.replace(
        sheet,
        hats=[sheet.hats[i] for i in kept],
        hat_groups=[sheet.hat_groups[i] if i < len(sheet.hat_groups) else None for i in kept],
        hat_columns=[sheet.hat_columns[i] for i in kept],
        cells={(t, new_index[h]): v for (t, h), v in sheet.cells.items() if h in new_index},
    )
    return reduced, kept, ignored


def plan(org, sheet, function=None, choices=None):
    """Compare `sheet` with `org`. `choices` (plain data, see ImportMapping) say
    where things go: a column to an existing hat or to a new hat in a function,
    the area of rows the sheet gives none, a task matching an existing one by
    name merged into it or kept apart; without them, those remembered from the
    last import of a sheet with the same headers. What is left to the defaults:
    a column matches a hat by name; new hats go into `function` when given,
    else the function named above them in the sheet, else the organisation's
    first top-level function (a new "Imported" one only in an empty
    organisation); a task matches by area and name."""
    choices = remembered(org, sheet) if choices is None else choices
    signature = sheet.signature()
    original = sheet
    sheet, columns, ignored = without_ignored(sheet, choices)
    sheet = with_area(sheet, choices.get("area"))
    result = Plan(
        org=org,
        sheet=sheet,
        problems=list(sheet.problems),
        choices=choices,
        signature=signature,
        columns=columns,
        ignored=ignored,
        original_hats=list(original.hats),
        original_letters=list(original.hat_columns),
        original_tasks=list(original.tasks),
    )
    hats = list(
        Hat.objects.for_org(org)
        .select_related("function")
        .order_by("function__position", "function__name", "position", "title", "id")
    )
    groups = [
        sheet.hat_groups[index] if index < len(sheet.hat_groups) else None
        for index in range(len(sheet.hats))
    ]
    functions = list(Function.objects.for_org(org).order_by("position", "name", "id"))
    placed = chosen_columns(result, hats, functions)
    chosen = match_hats(result, hats, groups, placed)
    place_hats(result, hats, chosen, groups, function, functions, placed)
    match_tasks(result)
    rows = read_letters(result)
    titles = {hat.id: hat.title for hat in hats}
    in_sheet = {hid for hid in result.hat_ids if hid}
    for t_index, read in enumerate(sheet.tasks):
        compare_task(
            result, t_index, read, rows.get(result.task_ids[t_index], {}), titles, in_sheet
        )
    return result


def chosen_columns(result, hats, functions):
    """{column: Hat or Function} the choices give: an existing hat, or a function
    that receives the column as a new hat. Ids of another organisation, or of
    rows deleted since, are not found and leave the column to the defaults."""
    by_id = {hat.id: hat for hat in hats}
    function_by_id = {f.id: f for f in functions}
    planned = {column: index for index, column in enumerate(result.columns)}
    placed = {}
    for column, choice in (result.choices.get("hats") or {}).items():
        if not str(column).isdigit() or int(column) not in planned:
            continue
        if not isinstance(choice, dict):
            continue
        target = by_id.get(choice.get("hat")) or function_by_id.get(choice.get("function"))
        if target is not None:
            placed[planned[int(column)]] = target
    return placed


def match_hats(result, hats, groups, placed):
    """The existing hat each sheet column names, or None: one per column.

    A sheet with function names above its hats names each hat by (function,
    title): those pairs are matched first, so "Säljare" under two functions
    finds the two hats. A hat whose function has no hat of that title (the
    function was renamed, or the sheet groups hats its own way) falls back to
    the title, among hats no other column took. Without function names the
    title alone decides, as it always has."""
    sheet = result.sheet
    hats_by_name, by_pair = {}, {}
    for hat in hats:
        hats_by_name.setdefault(norm(hat.title), []).append(hat)
        by_pair.setdefault((norm(hat.function.name), norm(hat.title)), hat)
    chosen = [
        placed.get(i) if isinstance(placed.get(i), Hat) else None for i in range(len(sheet.hats))
    ]
    if any(groups):
        for index, title in enumerate(sheet.hats):
            if groups[index] and index not in placed:
                chosen[index] = by_pair.get((norm(groups[index]), norm(title)))
    claimed = {hat.id for hat in chosen if hat}
    for index, title in enumerate(sheet.hats):
        if chosen[index] or index in placed:
            continue
        candidates = [h for h in hats_by_name.get(norm(title), []) if h.id not in claimed]
        if not candidates:
            continue
        hat = chosen[index] = candidates[0]
        claimed.add(hat.id)
        if groups[index]:
            message = _(
                "There is no hat “%(name)s” in %(group)s; the one in %(function)s is used."
            ) % {"name": title, "group": groups[index], "function": hat.function.name}
        elif len(candidates) > 1:
            message = _("Several hats are called “%(name)s”; the one in %(function)s is used.") % {
                "name": title,
                "function": hat.function.name,
            }
        else:
            continue
        result.problems.append(Problem(sheet.name, None, sheet.hat_columns[index], message))
    return chosen


def place_hats(result, hats, chosen, groups, function, functions, placed):
    """Fill the plan's hat ids, titles and functions: a matched column keeps its
    hat; a new one goes into the function chosen for it, else `function`, else
    the function named above it in the sheet (created when missing), else the
    first top-level function, else (an empty organisation) "Imported"."""
    sheet = result.sheet
    top = next((f for f in functions if f.parent_id is None), None)
    functions = {norm(f.name): f for f in functions}
    taken = {(hat.function_id, norm(hat.title)) for hat in hats}
    new_function_names = {}
    for index, title in enumerate(sheet.hats):
        hat = chosen[index]
        result.hat_ids.append(hat.id if hat else None)
        result.hat_titles.append(title)
        if hat:
            result.hat_function.append(hat.function)
            continue
        target = placed.get(index) or function
        if target is None and not groups[index] and top is not None:
            target = top
        if target is None:
            name = groups[index] or default_function_name()
            target = functions.get(norm(name))
            if target is None:
                target = new_function_names.setdefault(norm(name), name)
        result.hat_function.append(target)
        place = ("new", norm(target)) if isinstance(target, str) else target.id
        fresh = free_title(result, index, title, target, place, taken, groups[index])
        taken.add((place, norm(fresh)))
    result.functions_new = list(new_function_names.values())


def free_title(result, index, title, target, place, taken, group):
    """`title`, or when the receiving function already has it (possible only when
    every new hat goes to one chosen function) the title with the sheet's function
    name or a number added, reported."""
    if (place, norm(title)) not in taken:
        return title
    suffixes = [f" ({group})"] if group and len(group) < MAX_NAME["hat"] // 2 else []
    suffixes = chain(suffixes, (f" {n}" for n in count(2)))
    fresh = next(
        option
        for suffix in suffixes
        if (place, norm(option := title[: MAX_NAME["hat"] - len(suffix)] + suffix)) not in taken
    )
    result.hat_titles[index] = fresh
    result.problems.append(
        Problem(
            result.sheet.name,
            None,
            result.sheet.hat_columns[index],
            _("%(function)s already has a hat “%(name)s”; the new hat is called “%(new)s”.")
            % {
                "function": target if isinstance(target, str) else target.name,
                "name": title,
                "new": fresh,
            },
        )
    )
    return fresh


def match_tasks(result):
    """Fill the plan's area ids and task ids: a task matches by (area, name); a
    task in an area that does not exist yet is new."""
    org, sheet = result.org, result.sheet
    areas = {norm(a.name): a.id for a in Area.objects.for_org(org)}
    result.area_ids = {norm(a): areas.get(norm(a)) for a in sheet.areas}
    tasks, known = {}, set()
    for task in Task.objects.for_org(org).order_by("position", "id"):
        tasks.setdefault((task.area_id, norm(task.name)), task.id)
        known.add(task.id)
    chosen = result.choices.get("tasks") or {}
    for index, read in enumerate(sheet.tasks):
        area_id = areas.get(norm(read.area)) if read.area else None
        choice = chosen.get(task_key(read))
        if (area_id, norm(read.name)) in tasks or choice in known:
            result.same_named.append(index)
        if (read.area and area_id is None) or choice == "apart":
            result.task_ids.append(None)
        elif choice in known:
            result.task_ids.append(choice)  # kept apart before: the task made then
        else:
            result.task_ids.append(tasks.get((area_id, norm(read.name))))


def read_letters(result):
    """The letters of the matched tasks: {task id: {hat id: frozenset}}, every hat
    on the task, in the sheet or not. Keeps the row ids in `result.existing`."""
    known_tasks = [tid for tid in result.task_ids if tid]
    if known_tasks:
        for rid, tid, hid, letter in (
            Responsibility.objects.for_org(result.org)
            .filter(task_id__in=known_tasks)
            .values_list("id", "task_id", "hat_id", "letter")
        ):
            result.existing.setdefault((tid, hid), {})[letter] = rid
    rows = {}
    for (tid, hid), letters in result.existing.items():
        rows.setdefault(tid, {})[hid] = frozenset(letters)
    return rows


def compare_task(result, t_index, read, row, titles, in_sheet):
    """Plan one task's cells (`row`: {hat id: letters} stored, {} for a new task):
    the sheet's letters replace those of the hats in the sheet (`in_sheet`); an A
    given by the sheet moves away from hats outside it."""
    sheet = result.sheet
    given = []  # sheet hat indexes that the import gives A
    sheet_row = {}
    for h_index, title in enumerate(sheet.hats):
        hid = result.hat_ids[h_index]
        new = sheet.cells.get((t_index, h_index), frozenset())
        old = row.get(hid, frozenset()) if hid else frozenset()
        sheet_row[h_index] = new
        if "A" in new and "A" not in old:
            given.append(h_index)
        if old == new:
            result.unchanged += bool(new)
            continue
        result.changes.append(CellPlan(t_index, h_index, read.name, title, old, new))
    outside = {hid: cell for hid, cell in row.items() if hid not in in_sheet}
    if given:
        move_a(result, t_index, read, sheet.hats[given[0]], given[0], outside, titles)
    # The task as it will be: the sheet's cells replace the matched ones.
    merged = [*sheet_row.values(), *outside.values()]
    if task_status(merged).a_count > 1 and task_status(sheet_row.values()).a_count <= 1:
        owners = [sheet.hats[h] for h, cell in sheet_row.items() if "A" in cell]
        owners += sorted(titles.get(h, "") for h, cell in outside.items() if "A" in cell)
        result.problems.append(
            Problem(
                sheet.name,
                read.row,
                None,
                _("“%(task)s” will have A on %(hats)s after the import.")
                % {"task": read.name, "hats": ", ".join(owners)},
            )
        )


def move_a(result, t_index, read, receiver, h_index, outside, titles):
    """Take the A from every hat outside the sheet (`outside`, updated in place)
    that has it on this task: the sheet gives it to `receiver`."""
    for hid in sorted(outside, key=lambda h: (titles.get(h, ""), h)):
        old = outside[hid]
        if "A" not in old:
            continue
        outside[hid] = old - {"A"}
        giver = titles.get(hid, "")
        result.moves.append((read.name, giver, receiver))
        result.changes.append(
            CellPlan(
                t_index,
                None,
                read.name,
                giver,
                old,
                old - {"A"},
                hat_id=hid,
                note=f"A → {receiver}"[:200],
            )
        )
        result.problems.append(
            Problem(
                result.sheet.name,
                read.row,
                result.sheet.hat_columns[h_index],
                _(
                    "“%(task)s” already has A on %(old)s; the import would give it "
                    "a second A. A moves from %(old)s to %(new)s."
                )
                % {"task": read.name, "old": giver, "new": receiver},
            )
        )


BATCH = 1000  # rows per INSERT or DELETE: a fixed number of queries per batch on any database


def next_position(queryset):
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


def batches(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def apply(plan, author=None):
    """Write `plan`: all of it or, on any error, nothing. Returns the summary.

    Every write is a bulk INSERT or DELETE in batches, so the number of queries
    follows the number of batches, not of rows; so does the cross-organisation
    check every bulk write makes (OrgQuerySet)."""
    org, sheet = plan.org, plan.sheet
    position = next_position(Function.objects.for_org(org).filter(parent=None))
    functions = [
        Function(org=org, name=name, position=position + offset)
        for offset, name in enumerate(plan.functions_new)
    ]
    Function.objects.bulk_create(functions, batch_size=BATCH)
    created_functions = {norm(f.name): f for f in functions}

    hat_ids = list(plan.hat_ids)
    fresh_hats = []  # (sheet index, Hat)
    targets = {}
    for index, hid in enumerate(hat_ids):
        if hid is not None:
            continue
        target = plan.hat_function[index]
        if isinstance(target, str):
            target = created_functions[norm(target)]
        targets[target.id] = target
        fresh_hats.append((index, target))
    # The next free position in each receiving function, in one query.
    tops = dict(
        Hat.objects.for_org(org)
        .filter(function_id__in=list(targets))
        .values("function_id")
        .annotate(top=Max("position"))
        .values_list("function_id", "top")
    )
    positions = {fid: (tops.get(fid) or 0) + 1 for fid in targets}
    hats = []
    for index, target in fresh_hats:
        hats.append(
            Hat(
                org=org,
                function=target,
                title=plan.hat_titles[index],
                position=positions[target.id],
            )
        )
        positions[target.id] += 1
    Hat.objects.bulk_create(hats, batch_size=BATCH)
    for (index, _target), hat in zip(fresh_hats, hats, strict=True):
        hat_ids[index] = hat.id

    area_ids = dict(plan.area_ids)
    position = next_position(Area.objects.for_org(org))
    areas = []
    for name in sheet.areas:  # the reader lists each area once
        if area_ids.get(norm(name)) is None:
            areas.append(Area(org=org, name=name, position=position))
            position += 1
    Area.objects.bulk_create(areas, batch_size=BATCH)
    area_ids.update({norm(a.name): a.id for a in areas})

    task_ids = list(plan.task_ids)
    # A new task's letters are the sheet's: its status counts are written with
    # it (see TaskQuerySet); those of existing tasks are refreshed.
    new_cells = defaultdict(lambda: defaultdict(set))
    for change in plan.changes:
        if task_ids[change.task] is None:
            new_cells[change.task][hat_ids[change.hat]] |= change.new
    position = next_position(Task.objects.for_org(org))
    fresh = []
    for index, read in enumerate(sheet.tasks):
        if task_ids[index] is None:
            area_id = area_ids[norm(read.area)] if read.area else None
            task = Task(
                org=org,
                area_id=area_id,
                name=read.name,
                description=read.description,
                position=position,
            )
            task.a_count, task.r_count, task.unusual_count = status_counts(
                new_cells[index].values()
            )
            fresh.append((index, task))
            position += 1
    Task.objects.bulk_create([t for _i, t in fresh], batch_size=BATCH)
    for index, task in fresh:
        task_ids[index] = task.id

    # The existing tasks whose letters change, locked before their letters are
    # written (as a cell write does), their status counts refreshed after.
    touched = {plan.task_ids[change.task] for change in plan.changes} - {None}
    Task.objects.lock(touched)
    removed, added, history = [], [], []
    for change in plan.changes:
        tid = task_ids[change.task]
        hid = change.hat_id if change.hat is None else hat_ids[change.hat]
        planned_hid = change.hat_id if change.hat is None else plan.hat_ids[change.hat]
        old_rows = plan.existing.get((plan.task_ids[change.task], planned_hid), {})
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
                note=change.note,
            )
        )
    for ids in batches(removed):
        Responsibility.objects.for_org(org).filter(id__in=ids).delete()
    Responsibility.objects.bulk_create(added, batch_size=BATCH)
    CellChange.objects.bulk_create(history, batch_size=BATCH)
    Task.objects.refresh_status(touched)
    remember(plan, hat_ids, task_ids)
    Organisation.touch(org.id)
    return plan.summary()


def remember(plan, hat_ids, task_ids):
    """Keep where this import put things, as ids, for the next import of a sheet
    with the same headers: every column's hat, the area given to rows without
    one, and the tasks whose matching was chosen (a task kept apart is found
    again as the task made for it)."""
    given = plan.choices.get("tasks") or {}
    hats = {str(column): {"hat": hid} for column, hid in zip(plan.columns, hat_ids, strict=True)}
    hats.update({str(column): {"ignore": True} for column in plan.ignored})
    choices = {
        "hats": hats,
        "tasks": {
            task_key(read): tid
            for read, tid in zip(plan.sheet.tasks, task_ids, strict=True)
            if task_key(read) in given
        },
    }
    if plan.choices.get("area"):
        choices["area"] = plan.choices["area"]
    # One statement: an INSERT that updates the row of the same headers.
    ImportMapping.objects.bulk_create(
        [ImportMapping(org=plan.org, signature=plan.signature, choices=choices)],
        update_conflicts=True,
        unique_fields=["org", "signature"],
        update_fields=["choices", "updated"],
    )
