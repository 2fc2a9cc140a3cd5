"""Hat pages: the job description (page and PDF), the editor, new hats,
publishing and revisions."""

from collections import namedtuple
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import IntegrityError
from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import hat_templates, pdf, raci
from ..access import deny_unless, get_in_org, id_param, org_view
from ..forms.hats import (
    ChecklistFormSet,
    DutyForm,
    EndWearerForm,
    HatForm,
    KPIFormSet,
    NewHatForm,
    PublishForm,
    WearerForm,
    checklist_initial,
    kpi_initial,
    ordered_rows,
    sign_base,
)
from ..models import (
    KPI,
    Acknowledgement,
    Assignment,
    ChecklistItem,
    Function,
    Handover,
    Hat,
    HatChange,
    HatRevision,
    Task,
)
from ..prepared import Prepared
from ..revisions import LABELS, diff_snapshots
from ..services import hats as service
from . import numbers
from .downloads import download

HAT_QS = Hat.objects.select_related(
    "function", "function__head", "reports_to", "reports_to__function"
)
KPI_FIELDS = ("name", "target", "unit", "period")


# The hat page is the page wearers open most: its queries are prepared
# (compiled once) rather than compiled on every request.
hat_in_org = Prepared(
    # With the date of its current revision: all the page shows of the revision.
    lambda org_id, hat_id: HAT_QS.filter(org_id=org_id, pk=hat_id).annotate(
        revision_created=Subquery(
            HatRevision.objects.filter(hat_id=OuterRef("pk"), number=OuterRef("revision"))
            .order_by("pk")
            .values("created")[:1]
        )
    )
)
hat_assignments = Prepared(
    # Every wearer, past and present, with whether they confirmed revision
    # `number` (the current one) of the hat.
    lambda hat_id, number: (
        Assignment.objects.filter(hat_id=hat_id)
        .select_related("person")
        .annotate(
            confirmed=Exists(
                Acknowledgement.objects.filter(
                    person_id=OuterRef("person_id"), hat_id=hat_id, revision__number=number
                )
            )
        )
        .order_by("started", "id")
    )
)
hat_revision = Prepared(
    lambda hat_id, number: (
        HatRevision.objects.filter(hat_id=hat_id, number=number)
        .select_related("author")
        .order_by("pk")[:1]
    )
)
hat_history = Prepared(
    lambda hat_id: HatChange.objects.filter(hat_id=hat_id).select_related("author")[:50]
)
# A hat's KPIs and checklist, each in order, in one query.
KPIRow = namedtuple("KPIRow", "name target unit period")
ChecklistRow = namedtuple("ChecklistRow", "text")
_BLANK = Value("", output_field=CharField())
hat_lists = Prepared(
    lambda hat_id: (
        KPI.objects.filter(hat_id=hat_id)
        .order_by()
        .annotate(kind=Value(0))
        .values_list("kind", "position", "id", "name", "target", "unit", "period")
        .union(
            ChecklistItem.objects.filter(hat_id=hat_id)
            .order_by()
            .annotate(kind=Value(1), t=_BLANK, u=_BLANK, p=_BLANK)
            .values_list("kind", "position", "id", "text", "t", "u", "p"),
            all=True,
        )
        .order_by("kind", "position", "id")
    )
)
# The revision a hat page shows: its number and date.
RevisionRef = namedtuple("RevisionRef", "number created")
hat_handovers = Prepared(
    lambda hat_id: Handover.objects.filter(hat_id=hat_id).select_related("outgoing", "incoming")
)


def _hat(request, hat_id, edit=False):
    hat_id = id_param(hat_id)
    found = hat_in_org(request.access.org.id, hat_id) if hat_id else []
    if not found:
        raise Http404
    hat = found[0]
    if edit:
        deny_unless(request.access.can_edit_hat(hat))
    return hat


# The job description -----------------------------------------------------------
@dataclass
class AreaDuties:
    name: str
    duties: list = field(default_factory=list)  # (task, letters text)


@dataclass
class Sheet:
    """Everything the hat page shows, prepared in a fixed number of queries."""

    hat: Hat
    areas: list  # AreaDuties for R/A tasks, in area order
    involved: list  # (task, letters) where the hat is only C or I
    kpis: list  # KPIRow
    checklist: list  # ChecklistRow
    wearers: list  # current Assignments, person loaded
    past: list  # ended Assignments, newest first
    revision: RevisionRef | HatRevision | None  # .number and .created
    acks: list  # (person, confirmed: bool) for current wearers
    handovers: list
    history: list  # (HatChange, label)

    @property
    def duty_count(self):
        return sum(len(a.duties) for a in self.areas)

    @property
    def unconfirmed(self):
        return [p for p, ok in self.acks if not ok]


def history_label(change):
    if change.kind == HatChange.FIELD:
        return LABELS.get(change.field, change.field)
    if change.kind == HatChange.KPI:
        return LABELS["kpis"]
    if change.kind == HatChange.CHECKLIST:
        return LABELS["checklist"]
    if change.kind == HatChange.DUTY:
        return _("Duty: %(task)s") % {"task": change.field}
    if change.kind == HatChange.WEARER:
        return _("Wearer: %(person)s") % {"person": change.field}
    return _("Published revision")


def hat_sheet(hat, history=50):
    """The rows the hat page shows: five queries whatever the size of the
    organisation, one fewer without the history, one more for a hat not read
    by hat_in_org (which brings the revision's date).
    `history` is how many changes to show, newest first, at most 50."""
    cells, tasks = service.hat_letters(hat)
    areas, involved = {}, []
    for tid in sorted(cells, key=lambda t: service.task_order(tasks[t])):
        task, letters = tasks[tid], cells[tid]
        text = raci.format_cell(letters)
        if letters & {"A", "R"}:
            key = task.area_id or 0
            if key not in areas:
                areas[key] = AreaDuties(task.area.name if task.area else _("Other tasks"))
            areas[key].duties.append((task, text))
        else:
            involved.append((task, text))
    assignments = hat_assignments(hat.id, hat.revision)
    wearers = [a for a in assignments if a.ended is None and a.person.active]
    past = sorted(
        (a for a in assignments if a.ended is not None), key=lambda a: a.ended, reverse=True
    )
    revision = None
    if hat.revision:
        if hasattr(hat, "revision_created"):  # read with the hat (hat_in_org)
            if hat.revision_created is not None:
                revision = RevisionRef(hat.revision, hat.revision_created)
        else:
            found = hat_revision(hat.id, hat.revision)
            revision = found[0] if found else None
    changes = hat_history(hat.id)[:history] if history else []
    kpis, checklist = [], []
    for kind, _position, _id, text, target, unit, period in hat_lists(hat.id):
        if kind == 0:
            kpis.append(KPIRow(text, target, unit, period))
        else:
            checklist.append(ChecklistRow(text))
    return Sheet(
        hat=hat,
        areas=list(areas.values()),
        involved=involved,
        kpis=kpis,
        checklist=checklist,
        wearers=wearers,
        past=past,
        revision=revision,
        acks=[(a.person, bool(revision and a.confirmed)) for a in wearers],
        handovers=hat_handovers(hat.id),
        history=[(c, history_label(c)) for c in changes],
    )


@org_view()
@require_safe
def hat_detail(request, hat_id):
    hat = _hat(request, hat_id)
    acc = request.access
    can_edit = acc.can_edit_hat(hat)
    return render(
        request,
        "roles/hat_detail.html",
        {
            "sheet": hat_sheet(hat),
            "can_edit": can_edit,
            "show_acks": acc.is_manager,
            "publish_form": PublishForm() if can_edit else None,
        },
    )


@org_view()
@require_safe
def hat_pdf(request, hat_id):
    import weasyprint  # heavy; only this view needs it

    hat = _hat(request, hat_id)
    sheet = hat_sheet(hat, history=0)
    html = render_to_string(
        "roles/hat_pdf.html",
        {
            "sheet": sheet,
            "org": request.access.org,
            "printed": timezone.now(),
            "graphs": numbers.hat_graphs(request.access.org, hat),
        },
        request=request,
    )
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=pdf.url_fetcher())
    name = "".join(ch if ch.isalnum() else "-" for ch in hat.title).strip("-") or "hat"
    return download(document.write_pdf(), "application/pdf", f"{name}.pdf", inline=True)


# The editor ----------------------------------------------------------------------
CONFLICT_FIELDS = service.MERGE_FIELDS
GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])
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
    bound = HatForm(data, instance=_hat(request, hat.pk), org=acc.org, access=acc)
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
    hat = _hat(request, hat_id, edit=True)
    if request.method != "POST":
        return _editor(request, hat)
    acc = request.access
    # The editor may be bound to a copy: a valid ModelForm writes into its instance.
    form = HatForm(request.POST, instance=_hat(request, hat_id), org=acc.org, access=acc)
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
    hat = _hat(request, hat_id, edit=True)
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
    hat = _hat(request, hat_id, edit=True)
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
    hat = _hat(request, hat_id, edit=True)
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
    hat = _hat(request, hat_id, edit=True)
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


# New hats ----------------------------------------------------------------------
@org_view("manager")
@GET_OR_POST
def hat_create(request, function_id):
    acc = request.access
    function = get_in_org(Function, acc, pk=function_id)
    deny_unless(acc.can_edit_function(function))
    form = NewHatForm(request.POST or None, function=function)
    if request.method == "POST" and form.is_valid():
        key, title = form.cleaned_data.get("template"), form.cleaned_data["title"]
        try:
            if key:
                template = hat_templates.get_template(key)
                if title:
                    template = _retitled(template, title)
                hat = service.create_from_template(function, template, acc.person)
            else:
                hat = service.create_hat(function, title, acc.person)
        except IntegrityError:  # the same title created at the same moment
            form.add_error("title", _("This function already has a hat with that title."))
        else:
            messages.success(request, _("Created the hat %(title)s.") % {"title": hat.title})
            return redirect("roles:hat-edit", org=acc.org.slug, hat_id=hat.pk)
    return render(
        request,
        "roles/hat_create.html",
        {
            "form": form,
            "function": function,
            "templates": hat_templates.all_templates(),
        },
    )


def _retitled(template, title):
    from dataclasses import replace

    return replace(template, title=title)


# Publishing and revisions ---------------------------------------------------------
@org_view("manager")
@require_POST
def hat_publish(request, hat_id):
    hat = _hat(request, hat_id, edit=True)
    acc = request.access
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("roles:hat-detail", org=acc.org.slug, hat_id=hat.pk)
    revision = service.publish_hat(hat, acc.person, form.cleaned_data["note"])
    messages.success(
        request,
        _("Published revision %(number)s. Its wearers are asked to confirm it.")
        % {"number": revision.number},
    )
    return redirect("roles:hat-revisions", org=acc.org.slug, hat_id=hat.pk)


@org_view()
@require_safe
def hat_revisions(request, hat_id):
    hat = _hat(request, hat_id)
    acc = request.access
    revisions = list(hat.revisions.select_related("author").order_by("-number"))
    by_number = {r.number: r for r in revisions}
    b = by_number.get(id_param(request.GET.get("b"))) or (revisions[0] if revisions else None)
    a = by_number.get(id_param(request.GET.get("a")))
    if a is None and b is not None and "a" not in request.GET:
        a = by_number.get(b.number - 1)
    changes = diff_snapshots(a.snapshot if a else None, b.snapshot) if b else []
    can_edit = acc.can_edit_hat(hat)
    unpublished = []
    if can_edit:
        latest = revisions[0].snapshot if revisions else None
        unpublished = diff_snapshots(latest, service.snapshot_hat(hat))
    return render(
        request,
        "roles/hat_revisions.html",
        {
            "hat": hat,
            "revisions": revisions,
            "a": a,
            "b": b,
            "changes": changes,
            "can_edit": can_edit,
            "unpublished": unpublished,
            "publish_form": PublishForm() if can_edit else None,
        },
    )
