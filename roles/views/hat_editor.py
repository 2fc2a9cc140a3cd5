"""The hat editor: one form for the whole page. Every button posts all of it;
the view it reaches saves the typed fields first (merged three ways with an
edit saved meanwhile, or the conflict page), then does its own action (add a
duty, a wearer, end an assignment, publish). What was typed into another part
of the page and not acted on is shown again, never dropped."""

import hashlib
import json
import re
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..access import get_in_org, id_param, org_view
from ..forms.hats import (
    ChecklistFormSet,
    DutyForm,
    EndWearerForm,
    HatForm,
    KPIFormSet,
    PublishForm,
    TaskChoiceField,
    WearerForm,
    checklist_initial,
    kpi_initial,
    ordered_rows,
    sign_base,
)
from ..models import Assignment, Hat, Person, Task
from ..revisions import LABELS
from ..services import hats as service
from .hats import GET_OR_POST, KPI_FIELDS, find_hat, hat_sheet

# The editor ----------------------------------------------------------------------
CONFLICT_FIELDS = service.MERGE_FIELDS
SEARCH_MAX = 100
SUGGESTIONS = 20  # at most this many suggestions per keystroke


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


# The parts of the page besides the hat's own fields, each with its own action.
END_NOTE = re.compile(r"^end(\d+)-note$")


def _typed(post, *names):
    return {n: post.get(n, "") for n in names if post.get(n, "").strip()}


KEPT = "hat-editor-kept"  # session key: side-form typing carried over a redirect
# The fields of each side form whose action can be done.
SIDE_FIELDS = {
    "duty": ("task", "new_task", "area", "letters"),
    "wearer": ("person", "share"),
    "publish": ("note", "kind"),
}


def _side_typing(post):
    """What the side forms of the page (duty, wearer, handover notes, change
    note) hold, from a POST or from the session."""
    names = ("task", "new_task", "area", "letters", "person", "share", "note", "kind")
    data = {n: post.get(n, "") for n in names if post.get(n, "")}
    data.update({k: v for k, v in post.items() if END_NOTE.match(k) and v.strip()})
    return data


def _kept_forms(request, hat, done=(), post=None):
    """The side forms holding what the user typed but did not act on (the
    button pressed was another one), unbound with that text as initial data,
    so the page shows it again. `done`: the forms whose action ran. `post`:
    the typing, by default the request's POST."""
    if post is None:
        post = request.POST if request.method == "POST" else {}
    org, kept = request.access.org, {}
    duty = _typed(post, "task", "new_task", "area")
    if duty and "duty" not in done:
        kept["duty_form"] = DutyForm(org=org, initial={**duty, "letters": post.get("letters")})
    wearer = _typed(post, "person", "share")
    if wearer and "wearer" not in done:
        kept["wearer_form"] = WearerForm(org=org, hat=hat, initial=wearer)
    publish = _typed(post, "note")
    if publish and "publish" not in done:
        kept["publish_form"] = PublishForm(initial={**publish, "kind": post.get("kind")})
    ends = {}
    for key, value in post.items():
        match = END_NOTE.match(key)
        if match and value.strip() and f"end{match[1]}" not in done:
            pk = int(match[1])
            ends[pk] = EndWearerForm(prefix=f"end{pk}", initial={"note": value})
    if ends:
        kept["end_forms"] = ends
    return kept


def _refused_choices(request, hat):
    """The side forms whose list fields hold a value the page never offered
    (another organisation's id, a made-up letter), bound to show the error.
    Such a post saves nothing at all, whichever button sent it."""
    org, refused = request.access.org, {}
    checks = (
        ("duty_form", DutyForm(request.POST, org=org), ("task", "letters")),
        ("wearer_form", WearerForm(request.POST, org=org, hat=hat), ("person",)),
    )
    for key, form, names in checks:
        if not any(request.POST.get(n, "").strip() for n in names):
            continue
        form.is_valid()
        errors = form.errors.as_data()
        if any(e.code == "invalid_choice" for n in names for e in errors.get(n, ())):
            refused[key] = form
    return refused


def publish_digest(changes):
    """A short fingerprint of the unpublished changes a page showed."""
    plain = [(c["field"], c["old"], c["new"]) for c in changes]
    text = json.dumps(plain, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _editor(request, hat, status=200, done=(), **forms):
    """Render the editor with the given (bound) forms, what was typed into
    the other side forms (see _kept_forms), and fresh forms for the rest."""
    acc = request.access
    org = acc.org
    sheet = hat_sheet(hat, history=20)
    carried = request.session.pop(KEPT, None) if request.method == "GET" else None
    carried = carried if carried and carried.get("hat") == hat.pk else None
    if carried:
        forms = {**_kept_forms(request, hat, post=carried["data"]), **forms}
    else:
        forms = {**_kept_forms(request, hat, done), **forms}
    if "form" not in forms:
        base = service.hat_state(hat, sheet.kpis, sheet.checklist)
        forms["form"] = HatForm(instance=hat, org=org, access=acc, base=base)
        forms["kpis"] = KPIFormSet(prefix="kpis", initial=kpi_initial(sheet.kpis))
        forms["checklist"] = ChecklistFormSet(
            prefix="checklist", initial=checklist_initial(sheet.checklist)
        )
    suggest = {kind: reverse(f"roles:suggest-{kind}", kwargs={"org": org.slug}) for kind in SUGGEST}
    # A hat cannot report to itself: not suggested.
    forms["form"].fields["reports_to"].widget.attrs["data-suggest"] = (
        f"{suggest['hats']}?exclude={hat.pk}"
    )
    task_q, person_q = _search(request, "q"), _search(request, "who")
    duty_form = forms.setdefault("duty_form", DutyForm(org=org))
    duty_form.offer_tasks(hat, task_q)
    duty_form.fields["task"].widget.attrs["data-suggest"] = suggest["tasks"]
    wearer_form = forms.setdefault("wearer_form", WearerForm(org=org, hat=hat))
    wearer_form.offer_people(person_q)
    wearer_form.fields["person"].widget.attrs["data-suggest"] = suggest["people"]
    latest, unpublished = service.unpublished_changes(hat)
    publish_form = forms.setdefault("publish_form", PublishForm())
    if latest is None:
        publish_form.fields["kind"].choices = publish_form.fields["kind"].choices[:1]
    publish_form.initial["shown"] = publish_digest(unpublished)
    end_forms = forms.pop("end_forms", {})
    ends = [(a, end_forms.get(a.pk) or EndWearerForm(prefix=f"end{a.pk}")) for a in sheet.wearers]
    context = {
        "sheet": sheet,
        "hat": hat,
        "ends": ends,
        "conflicts": [],
        "task_q": task_q,
        "person_q": person_q,
        "unpublished": unpublished,
        "latest": latest,
        # The page shows typing not saved yet: leaving asks first.
        "unsaved": request.method == "POST" or carried is not None,
        **forms,
    }
    return render(request, "roles/hat_edit.html", context, status=status)


@dataclass
class Saved:
    hat: Hat  # as saved now
    changed: bool


def _save_typed(request, hat):
    """Save the hat's fields, KPIs and checklist the editor posted. A Saved,
    or the page to answer with instead: the editor with the form's errors, or
    the conflict page (409). Either page keeps everything that was typed."""
    acc = request.access
    # The editor may be bound to a copy: a valid ModelForm writes into its instance.
    form = HatForm(request.POST, instance=find_hat(request, hat.pk), org=acc.org, access=acc)
    kpis = KPIFormSet(request.POST, prefix="kpis")
    checklist = ChecklistFormSet(request.POST, prefix="checklist")
    if not (form.is_valid() and kpis.is_valid() and checklist.is_valid()):
        return _editor(request, hat, form=form, kpis=kpis, checklist=checklist)
    refused = _refused_choices(request, hat)
    if refused:
        return _editor(request, hat, form=form, kpis=kpis, checklist=checklist, **refused)
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
    duty_order = [t for t in map(id_param, request.POST.getlist("duty_order")) if t]
    if duty_order and service.order_duties(hat, duty_order):
        changes = [*changes, "duties"]
    if changes and hat.version != version and changes != ["duties"]:
        messages.success(
            request,
            _("Saved the hat, together with the changes someone else saved meanwhile."),
        )
    elif changes:
        messages.success(request, _("Saved the hat."))
    elif hat.version != version:
        messages.info(request, _("Someone else saved the same changes a moment ago."))
    return Saved(find_hat(request, hat.pk), bool(changes))


def _save_first(request, hat):
    """Before a side action: save the editor's fields when the request comes
    from the editor (it carries the hat's `version`). A Saved, or a page."""
    if "version" not in request.POST:
        return Saved(hat, False)
    return _save_typed(request, hat)


def _done(request, hat, anchor="", done=()):
    """After an action: back to the editor (POST, redirect, GET). A side form
    holding typing the user did not act on is carried over in the session
    and shown again."""
    if _kept_forms(request, hat, done):
        spent = {name for form in done for name in SIDE_FIELDS.get(form, ())}
        typing = {
            k: v
            for k, v in _side_typing(request.POST).items()
            if k not in spent and k.split("-")[0] not in done
        }
        request.session[KEPT] = {"hat": hat.pk, "data": typing}
        messages.info(
            request,
            _("What you started typing below is kept: finish it, or clear it."),
        )
    url = reverse("roles:hat-edit", kwargs={"org": request.access.org.slug, "hat_id": hat.pk})
    return redirect(url + anchor)


@org_view("manager")
@GET_OR_POST
def hat_edit(request, hat_id):
    hat = find_hat(request, hat_id, edit=True)
    if request.method != "POST":
        return _editor(request, hat)
    saved = _save_typed(request, hat)
    if not isinstance(saved, Saved):
        return saved
    if not saved.changed and saved.hat.version == hat.version:
        messages.info(request, _("Nothing to save: no field changed."))
    return _done(request, saved.hat)


@org_view("manager")
@require_POST
def hat_duty_add(request, hat_id):
    hat = find_hat(request, hat_id, edit=True)
    saved = _save_first(request, hat)
    if not isinstance(saved, Saved):
        return saved
    hat = saved.hat
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
    return _done(request, hat, "#duties", done={"duty"})


@org_view("manager")
@require_POST
def hat_duty_remove(request, hat_id, task_id):
    hat = find_hat(request, hat_id, edit=True)
    acc = request.access
    task = get_in_org(Task, acc, pk=task_id)
    saved = _save_first(request, hat)
    if not isinstance(saved, Saved):
        return saved
    result = service.remove_duty(saved.hat, task, acc.person)
    if result.changed:
        messages.success(
            request,
            _("%(hat)s is no longer R or A for “%(task)s”.")
            % {"hat": hat.title, "task": task.name},
        )
    return _done(request, saved.hat, "#duties")


@org_view("manager")
@require_POST
def hat_wearer_add(request, hat_id):
    hat = find_hat(request, hat_id, edit=True)
    saved = _save_first(request, hat)
    if not isinstance(saved, Saved):
        return saved
    hat = saved.hat
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
            return _done(request, hat, "#wearers", done={"wearer"})
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
    saved = _save_first(request, hat)
    if not isinstance(saved, Saved):
        return saved
    hat = saved.hat
    prefix = f"end{assignment.pk}"
    form = EndWearerForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return _editor(request, hat, end_forms={assignment.pk: form})
    service.end_wearer(assignment, form.cleaned_data["note"], acc.person)
    messages.success(
        request,
        _("%(name)s no longer wears %(hat)s.") % {"name": assignment.person.name, "hat": hat.title},
    )
    return _done(request, hat, "#wearers", done={prefix})


# Publishing --------------------------------------------------------------------
@org_view("manager")
@require_POST
def hat_publish(request, hat_id):
    """Publish what is saved as a new revision or a minor edit. From the
    editor, the typed fields are saved first; if that changed anything, or the
    changes differ from those the page showed, nothing is published and the
    editor shows the changes to check. Nothing changed: refused."""
    hat = find_hat(request, hat_id, edit=True)
    acc = request.access
    from_editor = "version" in request.POST
    saved = _save_first(request, hat)
    if not isinstance(saved, Saved):
        return saved
    hat = saved.hat
    latest, changes = service.unpublished_changes(hat)
    form = PublishForm(request.POST, first=latest is None)
    back = reverse(
        "roles:hat-edit" if from_editor else "roles:hat-detail",
        kwargs={"org": acc.org.slug, "hat_id": hat.pk},
    )
    if not form.is_valid():
        if from_editor:
            return _editor(request, hat, publish_form=form)
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    if not changes:
        messages.error(
            request,
            _("Nothing to publish: the hat reads as its revision %(number)s.")
            % {"number": hat.revision},
        )
        return redirect(back + ("#publish" if from_editor else ""))
    shown = form.cleaned_data["shown"]
    if saved.changed or (shown and shown != publish_digest(changes)):
        messages.warning(
            request,
            _("Nothing published yet: check below what publishing will change, then publish."),
        )
        return _editor(request, hat, status=409 if not saved.changed else 200)
    minor = form.cleaned_data["kind"] == "minor"
    publish = service.save_minor_edit if minor else service.publish_hat
    try:
        revision = publish(hat, acc.person, form.cleaned_data["note"])
    except service.NothingToPublish:  # published by someone else a moment ago
        messages.error(request, _("Nothing to publish: the hat reads as its latest revision."))
        return redirect(back)
    if revision.minor:
        messages.success(
            request,
            _("Published revision %(number)s as a minor edit: wearers are not asked again.")
            % {"number": revision.number},
        )
    else:
        messages.success(
            request,
            _("Published revision %(number)s. Its wearers are asked to confirm it.")
            % {"number": revision.number},
        )
    if from_editor:  # back to the editor, with whatever else was typed there
        return _done(request, hat, "#publish", done={"publish"})
    return redirect("roles:hat-revisions", org=acc.org.slug, hat_id=hat.pk)


# Suggestions for the search-as-you-type fields -----------------------------------
def _hat_rows(org, q, exclude=None):
    qs = Hat.objects.for_org(org).exclude(pk=exclude)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(function__name__icontains=q))
    rows = qs.order_by("title", "function__name", "pk").values_list("pk", "title", "function__name")
    return [(pk, f"{title} ({function})") for pk, title, function in rows[:SUGGESTIONS]]


def _person_rows(org, q, exclude=None):
    qs = Person.objects.for_org(org).filter(active=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q))
    return list(qs.order_by("name", "pk").values_list("pk", "name")[:SUGGESTIONS])


def _task_rows(org, q, exclude=None):
    qs = Task.objects.for_org(org).select_related("area")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(area__name__icontains=q))
    label = TaskChoiceField(queryset=Task.objects.none()).label_from_instance
    rows = qs.order_by("area__position", "area_id", "position", "pk")[:SUGGESTIONS]
    return [(task.pk, label(task)) for task in rows]


SUGGEST = {"hats": _hat_rows, "people": _person_rows, "tasks": _task_rows}


@org_view("manager")
@require_safe
def suggest(request, kind):
    """At most SUGGESTIONS of the organisation's hats, active people or tasks
    named like `q`, as JSON for the editor's search-as-you-type fields. One
    query whatever the size of the organisation."""
    exclude = id_param(request.GET.get("exclude"))
    rows = SUGGEST[kind](request.access.org, _search(request, "q"), exclude)
    return JsonResponse({"results": [{"id": pk, "label": label} for pk, label in rows]})
