"""Weekly numbers: a field per KPI that saves itself (My hats, the team grid),
the scorecards, a KPI's graph and its settings, and their import from a sheet."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, charts, jobs, tree
from .. import numbers as rules
from ..access import ADMIN, MANAGER, deny_unless, get_in_org, id_param, org_view
from ..forms.numbers import KPISettingsForm, NumbersImportForm
from ..interchange import numbers as interchange
from ..interchange.import_job import store_upload
from ..models import KPI, Assignment, AuditEvent, Function, Job, Person
from ..services import numbers as services
from .downloads import download
from .interchange import import_job, import_status, start_import
from .people import page_links

GRAPH_SPANS = (13, 26, 52)
SCORECARD_PAGE = 50  # KPIs per page of a scorecard


@dataclass
class Field:
    """One number to enter: a KPI, a wearer, a period."""

    kpi: KPI
    person: Person
    period: datetime.date
    value: object = None
    late: bool = False
    last: object = None
    error: str = ""
    saved: bool = False
    typed: str | None = None  # what was typed, shown again when refused

    @cached_property
    def key(self):
        return f"{self.kpi.id}-{self.person.id}-{self.period:%Y%m%d}"

    @property
    def was(self):
        return services.canonical(self.value)

    @property
    def shown(self):
        if self.typed is not None:
            return self.typed
        return "" if self.value is None else formats.localize_input(shown_number(self.value))

    @property
    def last_shown(self):
        if self.last is None:
            return None
        return formats.number_format(shown_number(self.last), force_grouping=True)

    @property
    def label(self):
        return rules.period_label(self.period, self.kpi.frequency)

    @cached_property
    def goal(self):
        return services.goal(self.kpi)


def shown_number(value):
    return Decimal(services.canonical(value))


def week_param(request, org):
    """The week asked for (?week=YYYY-MM-DD, any day of it), else this week;
    never a week after this one."""
    this = services.current(org)
    try:
        day = datetime.date.fromisoformat(request.GET.get("week", "")[:10])
    except ValueError:
        return this
    if not rules.plausible(day):
        return this
    return min(rules.period_start(day, rules.WEEKLY, org.week_ends), this)


def fields_for(org, pairs, week):
    """A Field per (kpi, person) of `pairs` for the period of each KPI that
    contains `week` (a monthly KPI: the month of the week's last day, or of
    today in the running week), with its value and the previous period's.
    One query."""
    day = min(rules.period_end(week), timezone.localdate())
    fields = [Field(k, p, services.period_of(org, k, day)) for k, p in pairs]
    if not fields:
        return fields
    first = min(rules.shift(fl.period, -1, fl.kpi.frequency) for fl in fields)
    last = max(fl.period for fl in fields)
    found = services.person_values(
        org, {fl.kpi.id for fl in fields}, first, last, {fl.person.id for fl in fields}
    )
    for fl in fields:
        fl.value, fl.late = found.get((fl.kpi.id, fl.person.id, fl.period), (None, False))
        previous = rules.shift(fl.period, -1, fl.kpi.frequency)
        fl.last = found.get((fl.kpi.id, fl.person.id, previous), (None, False))[0]
    return fields


def week_nav(org, week):
    this = services.current(org)
    return {
        "week": week,
        "week_title": rules.period_title(week),
        "previous_week": rules.shift(week, -1),
        "next_week": rules.shift(week, 1) if week < this else None,
        "is_this_week": week == this,
    }


def my_numbers(org, person, hats, week):
    """[(hat, [Field])] for the hats a person wears. Two queries."""
    kpis = list(KPI.objects.filter(hat__in=hats).order_by("hat_id", "position", "id"))
    fields = fields_for(org, [(k, person) for k in kpis], week)
    return [(hat, [fl for fl in fields if fl.kpi.hat_id == hat.id]) for hat in hats]


# Entering a value ---------------------------------------------------------------


@require_POST
@org_view()
def number_enter(request):
    """Save one value (htmx: answer with the field again, saved or refused)."""
    acc = request.access
    kpi_id, person_id = id_param(request.POST.get("kpi")), id_param(request.POST.get("person"))
    if kpi_id is None or person_id is None:
        raise Http404
    # The hat is read only when needed (another wearer's entry, a refusal that names it).
    kpi = get_object_or_404(KPI, pk=kpi_id, hat__org_id=acc.org.id)
    if person_id == acc.person.id:
        person = acc.person
    else:
        person = get_in_org(Person, acc, pk=person_id)
        deny_unless(acc.can_edit_hat(kpi.hat))
    try:
        period = datetime.date.fromisoformat(request.POST.get("period", "")[:10])
    except ValueError:
        period = None
    if not rules.plausible(period):
        period = None
    was = request.POST.get("was")
    typed = request.POST.get("value", "")[:100]
    field = Field(kpi, person, period or services.current(acc.org, kpi.frequency))
    try:
        if period is None:
            raise services.Refused(_("That is not a period."))
        stored, field.last = services.enter_value(
            acc.org, kpi, person, period, typed, acc.person, was=was
        )
        field.value, field.late, field.saved = (
            (stored.value, stored.late, True) if stored else (None, False, True)
        )
    except services.Conflict as conflict:
        field.value, field.error = conflict.current, str(conflict)
        field.last = _stored(acc.org, kpi, person, rules.shift(field.period, -1, kpi.frequency))
    except services.Refused as refused:
        field.error, field.typed = str(refused), typed
        field.value = _stored(acc.org, kpi, person, field.period)
        field.last = _stored(acc.org, kpi, person, rules.shift(field.period, -1, kpi.frequency))
    if request.htmx:
        return render(request, "roles/numbers.html#field", {"f": field})
    if field.error:
        messages.error(request, field.error)
    else:
        messages.success(request, _("Saved."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("roles:me", kwargs={"org": acc.org.slug})
    return redirect(target)


def _stored(org, kpi, person, period):
    return services.value_of(org, kpi, person, period)


# The team grid ---------------------------------------------------------------------


def function_subtree(org, function):
    parent_of = dict(Function.objects.for_org(org).values_list("id", "parent_id"))
    return tree.descendants(parent_of, [function.id])


@require_safe
@org_view(MANAGER)
def team_numbers(request, function_id):
    acc = request.access
    function = get_in_org(Function, acc, pk=function_id)
    deny_unless(acc.can_edit_function(function))
    week = week_param(request, acc.org)
    wears = list(
        Assignment.objects.for_org(acc.org)
        .filter(
            hat__function_id__in=function_subtree(acc.org, function),
            ended__isnull=True,
            person__active=True,
        )
        .select_related("hat", "person")
        .order_by("hat__function_id", "hat__position", "hat__title", "hat_id", "person__name")
    )
    hats = list({w.hat_id: w.hat for w in wears}.values())
    kpis = {}
    for kpi in KPI.objects.filter(hat__in=hats).order_by("position", "id"):
        kpis.setdefault(kpi.hat_id, []).append(kpi)
    pairs = [(k, w.person) for w in wears for k in kpis.get(w.hat_id, [])]
    fields = {(fl.kpi.id, fl.person.id): fl for fl in fields_for(acc.org, pairs, week)}
    grids = []
    for hat in hats:
        if hat.id not in kpis:
            continue
        people = [w.person for w in wears if w.hat_id == hat.id]
        rows = [(p, [fields[(k.id, p.id)] for k in kpis[hat.id]]) for p in people]
        grids.append((hat, kpis[hat.id], rows))
    return render(
        request,
        "roles/numbers_team.html",
        {"function": function, "grids": grids, "nav": "scorecard", **week_nav(acc.org, week)},
    )


# Scorecards and graphs ------------------------------------------------------------------


def scorecard_tables(acc, request, per_page=None):
    """(the function chosen by ?function=, or None; the functions; the page of
    KPIs (None: all); the tables [(title, period labels, ScoreRows)] of its
    KPIs and those below it)."""
    functions = list(Function.objects.for_org(acc.org).order_by("position", "name"))
    chosen = id_param(request.GET.get("function"))
    function = next((fn for fn in functions if fn.id == chosen), None)
    ids = None
    if function is not None:
        ids = tree.descendants({fn.id: fn.parent_id for fn in functions}, [function.id])
    kpis, page = services.kpis_of(acc.org, ids), None
    if per_page:
        page = Paginator(kpis, per_page).get_page(request.GET.get("page"))
        kpis = page.object_list
    rows = services.score_rows(acc.org, list(kpis))
    tables = []
    for frequency, title in ((rules.WEEKLY, _("Weekly")), (rules.MONTHLY, _("Monthly"))):
        group = [r for r in rows if r.kpi.frequency == frequency]
        if group:
            tables.append((title, [c.label for c in group[0].cells], group))
    return function, functions, page, tables


@require_safe
@org_view()
def scorecard(request):
    """KPIs × the last 13 periods, for the company or one function (and below)."""
    acc = request.access
    function, functions, page, tables = scorecard_tables(acc, request, SCORECARD_PAGE)
    return render(
        request,
        "roles/scorecard.html",
        {
            "tables": tables,
            "page": page,
            "page_links": page_links(page),
            "functions": functions,
            "function": function,
            "may_enter": function is not None and acc.can_edit_function(function),
            "nav": "scorecard",
        },
    )


@require_safe
@org_view()
def scorecard_xlsx(request):
    acc = request.access
    function, _functions, _page, tables = scorecard_tables(acc, request)
    name = f"{acc.org.slug}-scorecard" + (f"-{function.name}" if function else "")
    return download(
        interchange.scorecard_xlsx(tables),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{name}.xlsx",
    )


def graph_of(org, kpi, n=GRAPH_SPANS[0], wearers=True):
    """The context of a KPI's graph over its last `n` periods: the hat's
    figure, and each wearer's values if `wearers`. Three queries at most."""
    periods = rules.last_periods(services.current(org, kpi.frequency), n, kpi.frequency)
    hat_figures = services.figures(org, [kpi], periods[0], periods[-1])
    how = _("sum") if kpi.aggregated_by == "sum" else _("average")
    series = [
        charts.Series(
            _("Hat (%(how)s)") % {"how": how},
            [hat_figures.get((kpi.id, p)) for p in periods],
            main=True,
        )
    ]
    if wearers:
        found = services.person_values(org, [kpi.id], periods[0], periods[-1])
        names = dict(
            Person.objects.for_org(org)
            .filter(id__in={p for _k, p, _d in found})
            .values_list("id", "name")
        )
        for person_id, name in sorted(names.items(), key=lambda item: item[1]):
            values = [found.get((kpi.id, person_id, p), (None,))[0] for p in periods]
            series.append(charts.Series(name, values))
    goal = services.goal(kpi)
    labels = [rules.period_label(p, kpi.frequency) for p in periods]
    high = kpi.goal_high if kpi.direction == rules.RANGE else None
    way = rules.trend(series[0].values)
    statuses = [rules.status(v, kpi.direction, goal, kpi.goal_high) for v in series[0].values]
    return {
        "kpi": kpi,
        "n": n,
        "chart": charts.line_chart(series, labels, goal, high),
        "series": series,
        "rows": list(zip(labels, statuses, *[s.values for s in series], strict=True)),
        "goal": goal,
        "trend": way,
        "trend_good": rules.trend_is_good(kpi.direction, way),
    }


def hat_graphs(org, hat):
    """The graph of each of a hat's KPIs (the hat's figure), for its PDF."""
    return [graph_of(org, kpi, wearers=False) for kpi in hat.kpis.all()]


@require_safe
@org_view()
def kpi_graph(request, kpi_id):
    acc = request.access
    kpi = get_object_or_404(
        KPI.objects.select_related("hat__function"), pk=kpi_id, hat__org=acc.org
    )
    n = id_param(request.GET.get("n"))
    n = n if n in GRAPH_SPANS else GRAPH_SPANS[0]
    return render(
        request,
        "roles/kpi_graph.html",
        {
            **graph_of(acc.org, kpi, n),
            "hat": kpi.hat,
            "spans": GRAPH_SPANS,
            "may_edit": acc.can_edit_hat(kpi.hat),
            "nav": "scorecard",
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@org_view(MANAGER)
def kpi_settings(request, kpi_id):
    acc = request.access
    kpi = get_object_or_404(
        KPI.objects.select_related("hat__function"), pk=kpi_id, hat__org=acc.org
    )
    deny_unless(acc.can_edit_hat(kpi.hat))
    form = KPISettingsForm(request.POST or None, instance=kpi)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The KPI's settings are saved."))
        return redirect("roles:kpi-graph", org=acc.org.slug, kpi_id=kpi.id)
    return render(
        request, "roles/kpi_settings.html", {"kpi": kpi, "form": form, "nav": "scorecard"}
    )


# Importing numbers ----------------------------------------------------------------------
# The matrix import's pattern and pieces (roles/views/interchange.py): the upload
# is stored and read by a job whose data is the preview; applying is a job too.


@require_http_methods(["GET", "HEAD", "POST"])
@org_view(ADMIN)
def numbers_import(request):
    """Upload a sheet of numbers; see what it would change before anything is saved."""
    acc = request.access
    form = NumbersImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["file"].name
        params = {"upload": store_upload(acc.org, form.content, name), "name": name}
        return start_import(request, Job.NUMBERS_READ, params)
    return render(request, "roles/numbers_import.html", {"form": form, "nav": "interchange"})


def numbers_job(request, numbers_job_id):
    return import_job(request, numbers_job_id, jobs.NUMBERS_IMPORT_KINDS)


@require_safe
@org_view(ADMIN)
def numbers_import_preview(request, numbers_job_id):
    """The import's page: progress while its job runs, then the preview, or
    what was saved."""
    job = numbers_job(request, numbers_job_id)
    polled = import_status(request, job)
    if polled is not None:
        return polled
    context = {"job": job, "data": job.data or {}, "nav": "interchange"}
    return render(request, "roles/numbers_import_job.html", context)


@require_POST
@org_view(ADMIN)
def numbers_import_apply(request, numbers_job_id):
    """Save the preview's values: a job, all or nothing, once per preview."""
    acc = request.access
    job = numbers_job(request, numbers_job_id)
    data = job.data or {}
    if (
        job.state != Job.DONE
        or data.get("kind") != "preview"
        or not data.get("digest")
        or request.POST.get("digest") != data["digest"]
    ):
        messages.error(request, _("That preview has expired. Upload the file again."))
        return redirect("roles:numbers-import", org=acc.org.slug)
    if data.get("applied_by"):
        messages.error(request, interchange.ALREADY_APPLIED)
        return redirect("roles:numbers-import-preview", org=acc.org.slug, numbers_job_id=job.pk)
    params = {"preview": job.pk, "digest": data["digest"], "name": data["name"]}
    audit.record(AuditEvent.IMPORT, request, org=acc.org, detail=data["name"])
    return start_import(request, Job.NUMBERS_APPLY, params)
