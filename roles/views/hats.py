"""Hat pages: the job description (page and PDF), the editor, new hats,
publishing and revisions."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import hat_templates, raci
from ..access import deny_unless, get_in_org, org_view
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
)
from ..models import Acknowledgement, Assignment, Function, Hat, HatChange, HatRevision, Task
from ..revisions import LABELS, diff_snapshots, item_text
from ..services import hats as service

HAT_QS = Hat.objects.select_related(
    "function", "function__head", "reports_to", "reports_to__function"
)
KPI_FIELDS = ("name", "target", "unit", "period")


def _hat(request, hat_id, edit=False):
    hat = get_in_org(HAT_QS, request.access, pk=hat_id)
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
    kpis: list
    checklist: list
    wearers: list  # current Assignments, person loaded
    past: list  # ended Assignments, newest first
    revision: HatRevision | None
    acks: list  # (person, confirmed: bool) for current wearers
    handovers: list
    history: list  # (HatChange, label)

    @property
    def duty_count(self):
        return sum(len(a.duties) for a in self.areas)

    @property
    def unconfirmed(self):
        return [p for p, ok in self.acks if not ok]


def _task_order(task):
    area = task.area
    return (area.position if area else 10**9, task.area_id or 0, task.position, task.id)


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
    """Prepared rows of the hat page. Nine queries whatever the size of the organisation."""
    cells, tasks = service.hat_letters(hat)
    areas, involved = {}, []
    for tid in sorted(cells, key=lambda t: _task_order(tasks[t])):
        task, letters = tasks[tid], cells[tid]
        text = raci.format_cell(letters)
        if letters & {"A", "R"}:
            key = task.area_id or 0
            if key not in areas:
                areas[key] = AreaDuties(task.area.name if task.area else _("Other tasks"))
            areas[key].duties.append((task, text))
        else:
            involved.append((task, text))
    assignments = list(hat.assignments.select_related("person").order_by("started", "id"))
    wearers = [a for a in assignments if a.ended is None and a.person.active]
    past = sorted(
        (a for a in assignments if a.ended is not None), key=lambda a: a.ended, reverse=True
    )
    revision = None
    confirmed = set()
    if hat.revision:
        revision = (
            HatRevision.objects.filter(hat=hat, number=hat.revision)
            .select_related("author")
            .first()
        )
        if revision:
            confirmed = set(
                Acknowledgement.objects.filter(revision=revision).values_list(
                    "person_id", flat=True
                )
            )
    changes = list(hat.changes.select_related("author")[:history])
    return Sheet(
        hat=hat,
        areas=list(areas.values()),
        involved=involved,
        kpis=list(hat.kpis.all()),
        checklist=list(hat.checklist.all()),
        wearers=wearers,
        past=past,
        revision=revision,
        acks=[(a.person, a.person_id in confirmed) for a in wearers],
        handovers=list(hat.handovers.select_related("outgoing", "incoming")),
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


def pdf_url_fetcher():
    """A WeasyPrint URL fetcher that fetches nothing: no network, no files. The
    PDF template carries its own CSS and no images."""
    from weasyprint.urls import URLFetcher

    class NoFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"hatta PDFs fetch nothing ({url})")

    return NoFetcher(allowed_protocols=())


@org_view()
@require_safe
def hat_pdf(request, hat_id):
    import weasyprint  # heavy; only this view needs it

    hat = _hat(request, hat_id)
    sheet = hat_sheet(hat, history=0)
    html = render_to_string(
        "roles/hat_pdf.html",
        {"sheet": sheet, "org": request.access.org, "printed": timezone.now()},
        request=request,
    )
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=pdf_url_fetcher()).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = "".join(ch if ch.isalnum() else "-" for ch in hat.title).strip("-") or "hat"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


# The editor ----------------------------------------------------------------------
CONFLICT_FIELDS = (*service.EDIT_FIELDS, "kpis", "checklist")


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


def _conflicts(current, form, kpis, checklist, choices):
    """Fields where what is saved now (theirs) differs from what the user sent (mine)."""
    rows = []
    for name in service.EDIT_FIELDS:
        theirs = service.field_text(current, name)
        mine = _value_text(name, form.cleaned_data.get(name))
        if theirs != mine:
            rows.append(ConflictRow(name, LABELS[name], theirs, mine, choices.get(name, "")))
    theirs_kpis = "\n".join(service.kpi_text(k) for k in service.kpi_rows(current))
    mine_kpis = "\n".join(item_text("kpis", k) for k in kpis)
    if theirs_kpis != mine_kpis:
        rows.append(
            ConflictRow("kpis", LABELS["kpis"], theirs_kpis, mine_kpis, choices.get("kpis", ""))
        )
    theirs_list = "\n".join(service.checklist_rows(current))
    mine_list = "\n".join(checklist)
    if theirs_list != mine_list:
        rows.append(
            ConflictRow(
                "checklist",
                LABELS["checklist"],
                theirs_list,
                mine_list,
                choices.get("checklist", ""),
            )
        )
    return rows


def _editor(request, hat, status=200, **forms):
    """Render the editor with the given (bound) forms and fresh ones for the rest."""
    acc = request.access
    org = acc.org
    sheet = hat_sheet(hat, history=20)
    if "form" not in forms:
        forms["form"] = HatForm(instance=hat, org=org, access=acc)
        forms["kpis"] = KPIFormSet(prefix="kpis", initial=kpi_initial(sheet.kpis))
        forms["checklist"] = ChecklistFormSet(
            prefix="checklist", initial=checklist_initial(sheet.checklist)
        )
    forms.setdefault("duty_form", DutyForm(org=org))
    forms.setdefault("wearer_form", WearerForm(org=org, hat=hat))
    forms.setdefault("publish_form", PublishForm())
    end_form = forms.pop("end_form", None)
    end_for = forms.pop("end_for", None)
    ends = [
        (a, end_form if end_for == a.pk else EndWearerForm(prefix=f"end{a.pk}"))
        for a in sheet.wearers
    ]
    context = {"sheet": sheet, "hat": hat, "ends": ends, "conflicts": [], **forms}
    return render(request, "roles/hat_edit.html", context, status=status)


@org_view("manager")
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
    kpi_rows = ordered_rows(kpis, KPI_FIELDS)
    items = [row["text"] for row in ordered_rows(checklist, ("text",))]
    choices = {
        name: request.POST.get(f"resolve_{name}", "")
        for name in CONFLICT_FIELDS
        if request.POST.get(f"resolve_{name}") in ("mine", "theirs")
    }
    pending = [f for f in request.POST.get("conflict_fields", "").split(",") if f]
    unresolved = any(f not in choices for f in pending if f in CONFLICT_FIELDS)
    values = {k: v for k, v in form.values().items() if choices.get(k) != "theirs"}
    try:
        if unresolved:
            raise service.StaleHat(_hat(request, hat_id))
        changes = service.save_hat(
            hat,
            values,
            form.cleaned_data["version"],
            acc.person,
            kpis=None if choices.get("kpis") == "theirs" else kpi_rows,
            checklist=None if choices.get("checklist") == "theirs" else items,
        )
    except service.StaleHat as stale:
        current = stale.current
        rows = _conflicts(current, form, kpi_rows, items, choices)
        if not rows:  # they saved exactly what this user sent
            messages.info(request, _("Someone else saved the same changes a moment ago."))
            return redirect("roles:hat-edit", org=acc.org.slug, hat_id=hat.pk)
        data = request.POST.copy()
        data["version"] = str(current.version)
        data["conflict_fields"] = ",".join(r.field for r in rows)
        form = HatForm(data, instance=_hat(request, hat_id), org=acc.org, access=acc)
        form.is_valid()
        kpis = KPIFormSet(data, prefix="kpis")
        checklist = ChecklistFormSet(data, prefix="checklist")
        kpis.is_valid()
        checklist.is_valid()
        return _editor(
            request,
            current,
            status=409,
            form=form,
            kpis=kpis,
            checklist=checklist,
            conflicts=rows,
            conflict_fields=data["conflict_fields"],
            unresolved=unresolved,
        )
    if changes:
        messages.success(request, _("Saved the hat."))
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


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@org_view()
@require_safe
def hat_revisions(request, hat_id):
    hat = _hat(request, hat_id)
    acc = request.access
    revisions = list(hat.revisions.select_related("author").order_by("-number"))
    by_number = {r.number: r for r in revisions}
    b = by_number.get(_int(request.GET.get("b"))) or (revisions[0] if revisions else None)
    a = by_number.get(_int(request.GET.get("a")))
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
