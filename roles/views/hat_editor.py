"""The hat editor: the hat's fields, KPIs and checklist saved together, merged
three ways with an edit saved meanwhile (the conflict page), and the duties
and wearers edited on the same page."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..access import get_in_org, org_view
from ..forms.hats import (
    ChecklistFormSet,
    DutyForm,
    EndWearerForm,
    HatForm,
    KPIFormSet,
    PublishForm,
    WearerForm,
    checklist_initial,
    kpi_initial,
    ordered_rows,
    sign_base,
)
from ..models import Assignment, Task
from ..revisions import LABELS
from ..services import hats as service
from .hats import GET_OR_POST, KPI_FIELDS, find_hat, hat_sheet

# The editor ----------------------------------------------------------------------
CONFLICT_FIELDS = service.MERGE_FIELDS
SEARCH_MAX = 100


@dataclass
class ConflictRow:
    field: str
    label: str
    theirs: str
    mine: str
    choice: str = ""


def _value_text(name, value):
    if value is None:
        return ""
    if name == "function":
        return value.name
    if name == "reports_to":
        return value.title
    return str(value)


def _state_text(name, state):
    if name == "kpis":
        return "\n".join(service.kpi_text(k) for k in state["kpis"])
    return "\n".join(state["checklist"])


def _put(data, name, value):
    """Write one field of a hat state into the editor's POST data."""
    if name in service.EDIT_FIELDS:
        data[name] = "" if value is None else str(value)
        return
    for key in [k for k in data if k.startswith(f"{name}-")]:
        del data[key]
    fields = KPI_FIELDS if name == "kpis" else ("text",)
    for i, row in enumerate(value):
        for f in fields:
            data[f"{name}-{i}-{f}"] = row[f] if name == "kpis" else row
        data[f"{name}-{i}-position"] = str(i + 1)
    data[f"{name}-TOTAL_FORMS"] = str(len(value))
    data[f"{name}-INITIAL_FORMS"] = "0"


def _conflict_page(request, hat, current, base, mine, form, fields, choices, unresolved=False):
    """The editor again (409), merged three ways: what only the other person
    changed is shown as saved now, what only this user changed stays in the
    form, and only `fields` both changed are listed side by side to choose."""
    acc = request.access
    theirs = service.hat_state(current)
    merged = service.merge(base, theirs, mine)
    wanted = set(fields) | set(merged.conflicts)
    fields = [f for f in CONFLICT_FIELDS if f in wanted]
    data = request.POST.copy()
    for name in CONFLICT_FIELDS:
        # Theirs wherever this user keeps theirs: changed only by them, or
        # "keep theirs" chosen earlier. The form never carries a stale value.
        if name not in fields and (name in merged.theirs or name not in mine):
            _put(data, name, theirs[name])
        if name not in fields:
            data.pop(f"resolve_{name}", None)
    data["version"] = str(current.version)
    data["base"] = sign_base(current, theirs)
    data["conflict_fields"] = ",".join(fields)
    rows = []
    for name in fields:
        if name in service.EDIT_FIELDS:
            their_text = service.field_text(current, name)
            my_text = _value_text(name, form.cleaned_data.get(name))
        else:
            their_text, my_text = _state_text(name, theirs), _state_text(name, mine)
        rows.append(ConflictRow(name, LABELS[name], their_text, my_text, choices.get(name, "")))
    bound = HatForm(data, instance=find_hat(request, hat.pk), org=acc.org, access=acc)
    bound.is_valid()
    kpis = KPIFormSet(data, prefix="kpis")
    checklist = ChecklistFormSet(data, prefix="checklist")
    kpis.is_valid()
    checklist.is_valid()
    return _editor(
        request,
        current,
        status=409,
        form=bound,
        kpis=kpis,
        checklist=checklist,
        conflicts=rows,
        conflict_fields=data["conflict_fields"],
        unresolved=unresolved,
        kept_theirs=[LABELS[n] for n in merged.theirs if n not in fields],
    )


def _search(request, name):
    # NUL cannot be stored or compared in PostgreSQL text: drop it from search terms.
    return request.GET.get(name, "").replace("\x00", "").strip()[:SEARCH_MAX]


def _editor(request, hat, status=200, **forms):
    """Render the editor with the given (bound) forms and fresh ones for the rest."""
    acc = request.access
    org = acc.org
    sheet = hat_sheet(hat, history=20)
    if "form" not in forms:
        base = service.hat_state(hat, sheet.kpis, sheet.checklist)
        forms["form"] = HatForm(instance=hat, org=org, access=acc, base=base)
        forms["kpis"] = KPIFormSet(prefix="kpis", initial=kpi_initial(sheet.kpis))
        forms["checklist"] = ChecklistFormSet(
            prefix="checklist", initial=checklist_initial(sheet.checklist)
        )
    task_q, person_q = _search(request, "q"), _search(request, "who")
    forms.setdefault("duty_form", DutyForm(org=org)).offer_tasks(hat, task_q)
    forms.setdefault("wearer_form", WearerForm(org=org, hat=hat)).offer_people(person_q)
    forms.setdefault("publish_form", PublishForm())
    end_form = forms.pop("end_form", None)
    end_for = forms.pop("end_for", None)
    ends = [
        (a, end_form if end_for == a.pk else EndWearerForm(prefix=f"end{a.pk}"))
        for a in sheet.wearers
    ]
    context = {
        "sheet": sheet,
        "hat": hat,
        "ends": ends,
        "conflicts": [],
        "task_q": task_q,
        "person_q": person_q,
        **forms,
    }
    return render(request, "roles/hat_edit.html", context, status=status)


@org_view("manager")
@GET_OR_POST
def hat_edit(request, hat_id):
    hat = find_hat(request, hat_id, edit=True)
    if request.method != "POST":
        return _editor(request, hat)
    acc = request.access
    # The editor may be bound to a copy: a valid ModelForm writes into its instance.
    form = HatForm(request.POST, instance=find_hat(request, hat_id), org=acc.org, access=acc)
    kpis = KPIFormSet(request.POST, prefix="kpis")
    checklist = ChecklistFormSet(request.POST, prefix="checklist")
    if not (form.is_valid() and kpis.is_valid() and checklist.is_valid()):
        return _editor(request, hat, form=form, kpis=kpis, checklist=checklist)
    version, base = form.cleaned_data["version"], form.cleaned_data["base"]
    choices = {
        name: request.POST.get(f"resolve_{name}", "")
        for name in CONFLICT_FIELDS
        if request.POST.get(f"resolve_{name}") in ("mine", "theirs")
    }
    # "Keep theirs" leaves a field out of what this user sends.
    values = {k: v for k, v in form.values().items() if choices.get(k) != "theirs"}
    kpi_rows = ordered_rows(kpis, KPI_FIELDS)
    items = [row["text"] for row in ordered_rows(checklist, ("text",))]
    sent_kpis = None if choices.get("kpis") == "theirs" else kpi_rows
    sent_items = None if choices.get("checklist") == "theirs" else items
    mine = service.edit_state(values, sent_kpis, sent_items)
    pending = [f for f in request.POST.get("conflict_fields", "").split(",") if f]
    unresolved = [f for f in pending if f in CONFLICT_FIELDS and f not in choices]
    if unresolved:
        theirs = service.hat_state(hat)
        still = [f for f in unresolved if f in mine and mine[f] != theirs[f]]
        if still:  # else nothing differs there now: saving (and merging) is safe
            return _conflict_page(
                request, hat, hat, base, mine, form, still, choices, unresolved=True
            )
    try:
        changes = service.save_hat(
            hat, values, version, acc.person, kpis=sent_kpis, checklist=sent_items, base=base
        )
    except service.StaleHat as stale:
        return _conflict_page(
            request, hat, stale.current, base, mine, form, stale.conflicts, choices
        )
    except ValidationError as loop:  # another edit made meanwhile closes a loop
        form.add_error("reports_to", loop)
        return _editor(request, hat, form=form, kpis=kpis, checklist=checklist)
    if changes and hat.version != version:
        messages.success(
            request,
            _("Saved the hat, together with the changes someone else saved meanwhile."),
        )
    elif changes:
        messages.success(request, _("Saved the hat."))
    elif hat.version != version:
        messages.info(request, _("Someone else saved the same changes a moment ago."))
    else:
        messages.info(request, _("Nothing to save: no field changed."))
    return redirect("roles:hat-edit", org=acc.org.slug, hat_id=hat.pk)


@org_view("manager")
@require_POST
def hat_duty_add(request, hat_id):
    hat = find_hat(request, hat_id, edit=True)
    acc = request.access
    form = DutyForm(request.POST, org=acc.org)
    if not form.is_valid():
        return _editor(request, hat, duty_form=form)
    data = form.cleaned_data
    result = service.add_duty(
        hat,
        data["letters"],
        acc.person,
        task=data.get("task"),
        task_name=data.get("new_task", ""),
        area_name=data.get("area", ""),
    )
    messages.success(
        request,
        _("%(hat)s is now %(letters)s for “%(task)s”.")
        % {"hat": hat.title, "letters": result.text, "task": result.task.name},
    )
    for other in result.lost_a:
        messages.warning(
            request,
            _("The A for “%(task)s” moved here from %(hat)s.")
            % {"task": result.task.name, "hat": other.title},
        )
    return redirect(_duties_url(acc, hat))


def _duties_url(acc, hat):
    return reverse("roles:hat-edit", kwargs={"org": acc.org.slug, "hat_id": hat.pk}) + "#duties"


@org_view("manager")
@require_POST
def hat_duty_remove(request, hat_id, task_id):
    hat = find_hat(request, hat_id, edit=True)
    acc = request.access
    task = get_in_org(Task, acc, pk=task_id)
    result = service.remove_duty(hat, task, acc.person)
    if result.changed:
        messages.success(
            request,
            _("%(hat)s is no longer R or A for “%(task)s”.")
            % {"hat": hat.title, "task": task.name},
        )
    return redirect(_duties_url(acc, hat))


@org_view("manager")
@require_POST
def hat_wearer_add(request, hat_id):
    hat = find_hat(request, hat_id, edit=True)
    acc = request.access
    form = WearerForm(request.POST, org=acc.org, hat=hat)
    if form.is_valid():
        person = form.cleaned_data["person"]
        try:
            service.add_wearer(hat, person, form.cleaned_data["share"], acc.person)
        except IntegrityError:  # the same person added twice at once
            form.add_error("person", _("%(name)s already wears this hat.") % {"name": person.name})
        else:
            messages.success(
                request,
                _("%(name)s now wears %(hat)s.") % {"name": person.name, "hat": hat.title},
            )
            return redirect(
                reverse("roles:hat-edit", kwargs={"org": acc.org.slug, "hat_id": hat.pk})
                + "#wearers"
            )
    return _editor(request, hat, wearer_form=form)


@org_view("manager")
@require_POST
def hat_wearer_end(request, hat_id, assignment_id):
    hat = find_hat(request, hat_id, edit=True)
    acc = request.access
    assignment = get_in_org(
        Assignment.objects.select_related("person"),
        acc,
        pk=assignment_id,
        hat=hat,
        ended__isnull=True,
    )
    form = EndWearerForm(request.POST, prefix=f"end{assignment.pk}")
    if not form.is_valid():
        return _editor(request, hat, end_form=form, end_for=assignment.pk)
    service.end_wearer(assignment, form.cleaned_data["note"], acc.person)
    messages.success(
        request,
        _("%(name)s no longer wears %(hat)s.") % {"name": assignment.person.name, "hat": hat.title},
    )
    return redirect(
        reverse("roles:hat-edit", kwargs={"org": acc.org.slug, "hat_id": hat.pk}) + "#wearers"
    )
