"""The CEO's map at /o/<slug>/: the org chart of functions → hats → wearers,
the hatting health panel with its trend, the workload chart, and the
organisation's thresholds."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from .. import audit, links, tree
from .. import health as hc
from ..access import org_view
from ..forms.org import ThresholdsForm
from ..models import AuditEvent, HealthSnapshot
from ..pagecache import PAGE_CACHE_SECONDS, page_key
from ..services import numbers

TREND_DAYS = 90
# Offenders listed per check before the list says "and N more" and links to
# the page with the full list.
OFFENDER_LIMIT = 10
# The chart shows every level while the boxes fit this budget; a larger
# organisation gets the top levels (the deepest that fit, at least two) and,
# below them, a link to each function's page, where its sub-functions are.
CHART_BOXES = 30
# Wearers named per hat before "and N more" (the hat page lists them all).
WEARER_LIMIT = 12


class MapLinks(links.Links):
    """The organisation's URLs (roles.links), and where each gap is fixed."""

    def new_hat(self, function_id):
        return self.url("roles:hat-create", "function_id", function_id) or self.function(
            function_id
        )

    def offender(self, check_key, o, access):
        """Where an offender is fixed: a function without a hat gets "new hat"
        when the caller may add one there."""
        if o.kind == "function":
            if check_key == "function_hats" and access.can_edit_function(o.id):
                return self.new_hat(o.id)
            return self.function(o.id)
        return {"hat": self.hat, "person": self.person, "task": self.task, "kpi": self.kpi}[o.kind](
            o.id
        )

    def kpi(self, pk):
        """A KPI is looked into on its graph."""
        return self.url("roles:kpi-graph", "kpi_id", pk)


# The chart -------------------------------------------------------------------


@dataclass
class HatBox:
    title: str
    href: str | None
    vacant: bool
    wearers: str  # HTML: the first WEARER_LIMIT wearers, linked (see wearer_list)
    held_by: str = ""  # vacant: the head who holds it from above
    gaps: list = field(default_factory=list)
    more_wearers: int = 0


@dataclass
class FunctionBox:
    id: int
    name: str
    href: str | None
    head: str
    head_href: str | None
    depth: int
    hats: list
    children: list
    gaps: list = field(default_factory=list)
    new_hat_href: str | None = None
    below: int = 0  # functions under this box that the chart leaves to its page
    kpis: tuple | None = None  # (KPIs on target this period, KPIs with a target)
    scorecard_href: str | None = None


@dataclass
class ChartRow:
    """One box of the chart in document order. The template opens a branch
    after a box with `opens`, and closes `closes` branches after it: a flat loop
    instead of one template include per box."""

    node: FunctionBox
    opens: bool
    closes: range


def visible_depth(depths, budget=CHART_BOXES):
    """The deepest level to draw: every level while the boxes fit `budget`,
    else the deepest that fits (at least the top and its children)."""
    per_level = {}
    for depth in depths:
        per_level[depth] = per_level.get(depth, 0) + 1
    if len(depths) <= budget:
        return max(per_level, default=0)
    shown, limit = 0, 1
    for depth in sorted(per_level):
        shown += per_level[depth]
        if shown > budget:
            break
        limit = max(limit, depth)
    return limit


def chart_rows(roots):
    """The boxes in document order, with where branches open and close."""
    rows, stack = [], [(r, 0) for r in reversed(roots)]
    while stack:
        node, closing = stack.pop()
        if node.children:
            rows.append(ChartRow(node, True, range(0)))
            kids = list(reversed(node.children))
            # The last child closes this branch and those its parent left open.
            stack.append((kids[0], closing + 1))
            stack.extend((c, 0) for c in kids[1:])
        else:
            rows.append(ChartRow(node, False, range(closing)))
    return rows


def wearer_list(wears, names, links):
    """The wearers of one hat as the chart shows them: "Name (50 %), …", each
    name linked. A few tags, written here: a large chart names hundreds of
    wearers, and a template loop over them costs more than the rest of the page."""
    return format_html_join(
        ", ",
        "{}{}",
        (
            (
                wearer_link(names[w.person_id], links.person(w.person_id)),
                f" ({w.share} %)" if w.share else "",  # 1–100 (a constraint)
            )
            for w in wears
        ),
    )


def wearer_link(name, href):
    return format_html('<a href="{}">{}</a>', href, name) if href else name


def chart(data, index, links, access):
    """(roots, levels cut) of FunctionBoxes built from OrgData, to the depth
    `visible_depth` allows; boxes are built only for the functions drawn.
    Gaps inside the boxes are shown to managers and admins (from `index`, an
    hc.Index of `data`); "add a hat" where the caller may add one."""
    show_gaps = access.is_manager
    functions, names = index.functions, index.names
    order = tree.depth_first((f.id, f.parent_id) for f in data.functions)
    depth_of = dict(order)
    children, roots = {fid: [] for fid, _depth in order}, []
    for fid, depth in order:  # siblings in the order of data.functions
        (children[functions[fid].parent_id] if depth else roots).append(fid)
    order = [fid for fid, _depth in order]
    limit = visible_depth(list(depth_of.values()))
    below, cut = {}, False
    for fid in reversed(order):  # children before their parents
        if depth_of[fid] >= limit:
            below[fid] = sum(1 + below[c] for c in children[fid])
            cut = cut or (depth_of[fid] == limit and bool(children[fid]))

    with_hats = {h.function_id for h in data.hats}
    no_hat = _("no hat")
    boxes = {}
    for fid in order:
        if depth_of[fid] > limit:
            continue
        f = functions[fid]
        head = names.get(f.head_id) if f.head_id is not None else None
        boxes[fid] = FunctionBox(
            fid,
            f.name,
            links.function(fid),
            head or "",
            links.person(f.head_id) if head is not None else None,
            depth_of[fid],
            [],
            [],
            [] if fid in with_hats else [no_hat],
            links.new_hat(fid) if access.can_edit_function(fid) else None,
            below.get(fid, 0),
        )
    for fid, box in boxes.items():
        if depth_of[fid] < limit:
            box.children = [boxes[c] for c in children[fid]]

    hats = [h for h in data.hats if h.function_id in boxes]
    shown = {h.id for h in hats}
    wears = {}
    for w in data.wears:
        if w.hat_id in shown:
            wears.setdefault(w.hat_id, []).append(w)
    if show_gaps:
        owning = index.owning
        unconfirmed = Counter(hat.id for _person, hat in index.unconfirmed[0] if hat.id in shown)
        no_purpose, no_task = _("no purpose"), _("no task R or A")
        not_confirmed = _("%(n)s not confirmed")
    for h in hats:
        worn = sorted(wears.get(h.id, []), key=lambda w: names[w.person_id])
        gaps = []
        if show_gaps:
            if not (h.purpose or "").strip():
                gaps.append(no_purpose)
            if h.id not in owning:
                gaps.append(no_task)
            if unconfirmed.get(h.id):
                gaps.append(not_confirmed % {"n": unconfirmed[h.id]})
        held_by = ""
        if not worn:
            holder = hc.holder_of(data, h.function_id, functions)
            held_by = names.get(holder, "—")
        boxes[h.function_id].hats.append(
            HatBox(
                h.title,
                links.hat(h.id),
                not worn,
                wearer_list(worn[:WEARER_LIMIT], names, links),
                held_by,
                gaps,
                max(0, len(worn) - WEARER_LIMIT),
            )
        )
    return [boxes[r] for r in roots], cut


# The health panel --------------------------------------------------------------


@dataclass
class OffenderRow:
    label: str
    href: str | None


@dataclass
class CheckRow:
    key: str
    label: str
    passing: int
    total: int
    percent: int
    step: int  # percent rounded down to a step of 5, for the bar's CSS class
    tone: str  # "ok", "nearly" or "problem": the colour of the bar
    groups: list  # [(label, [OffenderRow])]
    more: int = 0
    more_href: str | None = None  # where the full list is

    @property
    def ok(self):
        return self.passing == self.total

    @property
    def failing(self):
        return self.total - self.passing

    @property
    def open(self):
        """Short lists of offenders show at once; long ones wait for a click."""
        return self.failing <= 10


def step_of(ratio):
    return max(0, min(100, int(ratio * 100) // 5 * 5))


NEARLY = 0.75  # from here up a check is nearly in order (amber); below it, red


def tone_of(ratio):
    """The colour a share of passing items is shown in: red only for a real
    problem, amber for nearly there (a check at 89 % is not red)."""
    if ratio >= 1:
        return "ok"
    return "nearly" if ratio >= NEARLY else "problem"


def full_list_href(key, links):
    """The page that lists every offender of a check, where there is one."""
    if key == "task_complete":
        matrix = links.url("roles:matrix")
        return f"{matrix}?problems=1" if matrix else None
    if key in ("person_hats", "hat_confirmed"):
        return links.url("roles:people")
    if key == "overload":
        return links.url("roles:workload")
    return None


def check_rows(health, links, access):
    """The panel's rows, each with at most OFFENDER_LIMIT offenders."""
    rows = []
    for check in health.checks:
        budget, groups = OFFENDER_LIMIT, []
        for label, offenders in check.grouped():
            shown = offenders[:budget]
            budget -= len(shown)
            if shown:
                groups.append(
                    (
                        label,
                        [OffenderRow(o.label, links.offender(check.key, o, access)) for o in shown],
                    )
                )
        rows.append(
            CheckRow(
                check.key,
                check.label,
                check.passing,
                check.total,
                round(check.ratio * 100),
                step_of(check.ratio),
                tone_of(check.ratio),
                groups,
                max(0, check.offender_count - OFFENDER_LIMIT),
                full_list_href(check.key, links),
            )
        )
    return rows


@dataclass
class Trend:
    points: str  # SVG polyline points
    area: str  # SVG path under the line
    last: tuple | None  # (x, y) of the latest point
    first_date: datetime.date | None
    first_percent: int
    last_percent: int
    low: int
    high: int
    days: int


TREND_W, TREND_H = 160, 40  # a sparkline: 10rem × 2.5rem


def trend(org, today, current):
    """The last 90 days of snapshots as SVG points, with today's live score. One query."""
    start = today - datetime.timedelta(days=TREND_DAYS - 1)
    series = dict(
        HealthSnapshot.objects.for_org(org)
        .filter(date__gte=start, date__lte=today)
        .order_by("date")
        .values_list("date", "score")
    )
    series[today] = current
    dates = sorted(series)
    # The line spans the days measured, so a young organisation's few days
    # still draw a line, not a cluster at the right edge.
    span = max(1, (dates[-1] - dates[0]).days)
    # The height spans the scores measured (at least 5 points), so a change of a
    # few points is visible, as in any sparkline; the text gives the numbers.
    low, high = min(series.values()), max(series.values())
    if high - low < 0.05:
        middle = (high + low) / 2
        low, high = middle - 0.025, middle + 0.025
    coords = []
    for d in dates:
        x = (d - dates[0]).days / span * TREND_W
        y = TREND_H - (series[d] - low) / (high - low) * TREND_H
        coords.append((round(x, 1), round(y, 1)))
    percents = [round(series[d] * 100) for d in dates]
    area = f"M{coords[0][0]},{TREND_H} " + " ".join(f"L{x},{y}" for x, y in coords)
    return Trend(
        " ".join(f"{x},{y}" for x, y in coords),
        f"{area} L{coords[-1][0]},{TREND_H} Z",
        coords[-1] if coords else None,
        dates[0] if dates else None,
        percents[0],
        percents[-1],
        min(percents),
        max(percents),
        len(dates),
    )


@org_view()
@require_safe
def org_map(request):
    """The map of the whole organisation, cached per person until the next write
    to the organisation (its stamp) or the next day (the periods due move)."""
    # Its context is kept, not its HTML: the map holds no form.
    key = page_key(request, "map")
    context = cache.get(key)
    if context is None:
        context = map_context(request.access)
        cache.set(key, context, PAGE_CACHE_SECONDS)
    return render(request, "roles/map.html", context)


def map_context(acc):
    org = acc.org
    links = MapLinks(org.slug)
    # Members see the chart and their own unconfirmed hats, not the checks:
    # the tasks and letters are read only for managers.
    data = hc.load(org, tasks=acc.is_manager)
    index = hc.Index(data)
    context = {
        "nav": "map",
        "function_count": len(data.functions),
        "show_health": acc.is_manager,
        "me_href": links.url("roles:me"),
    }
    if acc.is_manager:
        # The panel lists OFFENDER_LIMIT offenders per check: only those are built.
        health = hc.evaluate(data, index, limit=OFFENDER_LIMIT)
        context.update(
            checks=check_rows(health, links, acc),
            score=round(health.score * 100),
            score_step=step_of(health.score),
            score_tone=tone_of(health.score),
            passing=health.passing,
            total=health.total,
            trend=trend(org, timezone.localdate(), health.score),
            trend_w=TREND_W,
            trend_h=TREND_H,
            workload_href=links.url("roles:workload"),
            settings_href=links.url("roles:org-settings") if acc.is_admin else None,
        )
    else:
        label = _("%(hat)s, revision %(number)s")
        context["my_gaps"] = [
            OffenderRow(label % {"hat": hat.title, "number": hat.revision}, links.hat(hat.id))
            for person_id, hat in index.unconfirmed[0]
            if person_id == acc.person.id
        ]
    tree, cut = chart(data, index, links, acc)
    rows = chart_rows(tree)
    on_target = numbers.on_target_by_function(data.kpis, {h.id: h.function_id for h in data.hats})
    scorecard = links.url("roles:scorecard")
    for row in rows:
        row.node.kpis = on_target.get(row.node.id)
        if row.node.kpis and scorecard:
            row.node.scorecard_href = f"{scorecard}?function={row.node.id}"
    context.update(tree=rows, chart_cut=cut)
    if not rows and acc.is_admin:
        context["new_function_href"] = links.url("roles:function-create")
    return context


# Workload ----------------------------------------------------------------------


@dataclass
class LoadBar:
    row: hc.LoadRow
    href: str | None
    share_step: int
    a_step: int
    hats_step: int


@org_view("manager")
@require_safe
def workload(request):
    return render(request, "roles/workload.html", workload_context(request.access))


def workload_context(acc):
    data = hc.load(acc.org)
    rows = hc.workload(data)
    links = MapLinks(acc.org.slug)
    # Bars are scaled to the largest value on the page, or the threshold if larger.
    limits = data.thresholds
    top_share = max([limits.overload_share] + [r.share for r in rows])
    top_a = max([limits.max_accountable] + [r.a_count for r in rows])
    top_hats = max([limits.max_hats] + [r.hats for r in rows])
    bars = [
        LoadBar(
            r,
            links.person(r.person_id),
            step_of(r.share / top_share),
            step_of(r.a_count / top_a),
            step_of(r.hats / top_hats),
        )
        for r in rows
    ]
    return {
        "nav": "map",
        "bars": bars,
        "limits": limits,
        "overloaded": sum(r.overloaded for r in rows),
        "map_href": links.url("roles:org-map"),
    }


# Settings ----------------------------------------------------------------------


@org_view("admin")
@require_http_methods(["GET", "HEAD", "POST"])
def org_settings(request):
    org = request.access.org
    form = ThresholdsForm(request.POST if request.method == "POST" else None, instance=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        if "require_two_factor" in form.changed_data:
            audit.record(
                AuditEvent.SETTINGS_CHANGED,
                request,
                org=org,
                detail=f"require_two_factor={org.require_two_factor}",
            )
        messages.success(request, _("The settings were saved."))
        return redirect("roles:org-settings", org=org.slug)
    return render(request, "roles/settings.html", {"form": form, "nav": "settings"})
