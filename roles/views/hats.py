"""Hat pages: the job description (page and PDF), new hats, publishing and
revisions. The editor is in views/hat_editor.py."""

from collections import namedtuple
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import IntegrityError
from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from .. import hat_templates, pdf, raci
from ..access import deny_unless, get_in_org, id_param, org_view
from ..forms.hats import (
    NewHatForm,
    PublishForm,
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
)
from ..pagecache import render_cached
from ..revisions import LABELS, diff_snapshots
from ..services import hat_templates as from_template
from ..services import hats as service
from . import numbers
from .downloads import download

HAT_QS = Hat.objects.select_related(
    "function", "function__head", "reports_to", "reports_to__function"
)
KPI_FIELDS = ("name", "target", "unit", "period")
GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])


def hat_in_org(org_id, hat_id):
    """The hat with the date of its current revision (all the page shows of
    the revision), or None."""
    return (
        HAT_QS.filter(org_id=org_id, pk=hat_id)
        .annotate(
            revision_created=Subquery(
                HatRevision.objects.filter(hat_id=OuterRef("pk"), number=OuterRef("revision"))
                .order_by("pk")
                .values("created")[:1]
            )
        )
        .first()
    )


def hat_assignments(hat_id, number):
    """Every wearer, past and present, with whether they confirmed revision
    `number` (the current one) of the hat."""
    return (
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


# A hat's KPIs and checklist, each in order, in one query.
KPIRow = namedtuple("KPIRow", "name target unit period")
ChecklistRow = namedtuple("ChecklistRow", "text")
_BLANK = Value("", output_field=CharField())


def hat_lists(hat_id):
    """(kind, position, id, name or text, target, unit, period) of the hat's
    KPIs (kind 0) and checklist items (kind 1), in order."""
    return (
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


# The revision a hat page shows: its number and date.
RevisionRef = namedtuple("RevisionRef", "number created")


def find_hat(request, hat_id, edit=False):
    """The organisation's hat `hat_id` (404 otherwise); with `edit`, 403 unless
    the caller may edit it."""
    hat_id = id_param(hat_id)
    hat = hat_in_org(request.access.org.id, hat_id) if hat_id else None
    if hat is None:
        raise Http404
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
    """Everything the hat page shows, read in a fixed number of queries."""

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
    assignments = list(hat_assignments(hat.id, hat.revision))
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
            revision = (
                HatRevision.objects.filter(hat_id=hat.id, number=hat.revision)
                .select_related("author")
                .order_by("pk")
                .first()
            )
    changes = (
        list(HatChange.objects.filter(hat_id=hat.id).select_related("author")[:history])
        if history
        else []
    )
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
        handovers=list(
            Handover.objects.filter(hat_id=hat.id).select_related("outgoing", "incoming")
        ),
        history=[(c, history_label(c)) for c in changes],
    )


@org_view()
@require_safe
def hat_detail(request, hat_id):
    acc = request.access

    def build():
        hat = find_hat(request, hat_id)
        return {
            # The history is on the revisions page: the reading view reads no changes.
            "sheet": hat_sheet(hat, history=0),
            "can_edit": acc.can_edit_hat(hat),
            "show_acks": acc.is_manager,
        }

    return render_cached(
        request, "roles/hat_detail.html", build, title=lambda c: c["sheet"].hat.title
    )


@org_view()
@require_safe
def hat_pdf(request, hat_id):
    import weasyprint  # heavy; only this view needs it

    hat = find_hat(request, hat_id)
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


# New hats ----------------------------------------------------------------------
@org_view("manager")
@GET_OR_POST
def hat_create(request, function_id):
    """A blank hat, or one from the template library: a template is first shown
    as what it would add (areas, tasks and letters, new or reused), and added
    when the manager confirms. The template speaks the organisation's language."""
    acc = request.access
    function = get_in_org(Function, acc, pk=function_id)
    deny_unless(acc.can_edit_function(function))
    lang = acc.org.language
    form = NewHatForm(request.POST or None, function=function, language=lang)
    going_back = "back" in request.POST
    if request.method == "POST" and not going_back and form.is_valid():
        key, title = form.cleaned_data.get("template"), form.cleaned_data["title"]
        template = hat_templates.get_template(key, lang) if key else None
        if template is not None and not request.POST.get("confirm"):
            return render(
                request,
                "roles/hat_template_preview.html",
                {
                    "form": form,
                    "function": function,
                    "plan": from_template.plan(function, template, title),
                },
            )
        try:
            if template is not None:
                hat = from_template.create_from_template(function, template, acc.person, title)
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
            "templates": hat_templates.all_templates(lang),
        },
    )


# Publishing and revisions ---------------------------------------------------------
@org_view()
@require_safe
def hat_revisions(request, hat_id):
    hat = find_hat(request, hat_id)
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
            "publish_form": PublishForm(first=not revisions) if can_edit else None,
            "history": [
                (c, history_label(c))
                for c in HatChange.objects.filter(hat_id=hat.id).select_related("author")[:50]
            ],
        },
    )
