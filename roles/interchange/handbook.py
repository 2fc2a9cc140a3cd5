"""The company handbook: every hat, grouped by function, as one PDF."""

from django.template.loader import render_to_string
from django.utils import timezone

from .. import pdf
from ..models import Hat, Responsibility
from ..overview import function_tree, walk


def handbook_rows(org):
    """[(FunctionNode, [(hat, wearers, kpis, checklist, duties)])] in tree order."""
    nodes = walk(function_tree(org))
    hats = {
        h.id: h
        for h in Hat.objects.for_org(org)
        .select_related("reports_to")
        .prefetch_related("kpis", "checklist")
    }
    duties = {}
    for hat_id, letter, task, area in (
        Responsibility.objects.for_org(org)
        .filter(letter__in=["R", "A"])
        .order_by("task__area__position", "task__position", "task_id")
        .values_list("hat_id", "letter", "task__name", "task__area__name")
    ):
        entry = duties.setdefault(hat_id, {})
        key = (area or "", task)
        entry[key] = "".join(sorted(entry.get(key, "") + letter))
    sections = []
    for node in nodes:
        items = []
        for hat_node in node.hats:
            hat = hats[hat_node.hat.id]
            items.append(
                {
                    "hat": hat,
                    "wearers": hat_node.wearers,
                    "kpis": list(hat.kpis.all()),
                    "checklist": list(hat.checklist.all()),
                    "duties": [
                        {"area": a, "task": t, "letters": "/".join(sorted(ls))}
                        for (a, t), ls in duties.get(hat.id, {}).items()
                    ],
                }
            )
        sections.append({"node": node, "hats": items})
    return sections


def render_html(request, org):
    return render_to_string(
        "roles/handbook.html",
        {"org": org, "sections": handbook_rows(org), "today": timezone.localdate()},
        request=request,
    )


def render_pdf(request, org):
    from weasyprint import HTML  # noqa: PLC0415 - heavy; only when a PDF is asked for

    return HTML(string=render_html(request, org), url_fetcher=pdf.url_fetcher()).write_pdf()
