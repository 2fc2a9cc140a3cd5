"""The company handbook: every hat, grouped by function, as one PDF (the whole
company, or one function and the functions below it)."""

import io

from django.template.loader import render_to_string
from django.utils import timezone

from .. import pdf, tree
from ..models import Hat, Responsibility
from ..overview import function_tree, walk

# Hats per rendered part: measured at L (600 hats), see bench/README.md.
PART_HATS = 50


def handbook_rows(org, function=None):
    """[(FunctionNode, [(hat, wearers, kpis, checklist, duties)])] in tree order."""
    nodes = walk(function_tree(org))
    if function is not None:
        keep = tree.descendants({n.function.id: n.function.parent_id for n in nodes}, [function.id])
        nodes = [n for n in nodes if n.function.id in keep]
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


def render_html(org, function=None):
    """The whole handbook as one HTML document (contents linked by anchors)."""
    return render_to_string(
        "roles/handbook.html",
        {
            "org": org,
            "function": function,
            "sections": handbook_rows(org, function),
            "today": timezone.localdate(),
        },
    )


def parts(sections, size):
    """The sections cut into parts of about `size` hats; a function whose hats
    span two parts continues in the next one without its heading."""
    part, count = [], 0
    for section in sections:
        hats = section["hats"] or [None]
        for start in range(0, len(hats), size):
            piece = [h for h in hats[start : start + size] if h is not None]
            part.append({**section, "hats": piece, "continued": start > 0})
            count += max(1, len(piece))
            if count >= size:
                yield part
                part, count = [], 0
    if part:
        yield part


def render_pdf_in_parts(org, function=None, progress=None, size=PART_HATS):
    """The handbook as a PDF, rendered `size` hats at a time so that only one
    part's layout is in memory; the parts are joined with pypdf. The parts are
    laid out in turn (each told its first page number), then the contents with
    the pages found, numbered apart (i, ii, …) so that they are laid out once."""
    from pypdf import PdfWriter  # noqa: PLC0415 - heavy; only in the job
    from weasyprint import HTML  # noqa: PLC0415

    sections = handbook_rows(org, function)
    total = sum(len(s["hats"]) for s in sections)
    context = {"org": org, "function": function, "today": timezone.localdate()}
    bodies, page, done, anchors_pages = [], 1, 0, {}
    for part in parts(sections, size):
        html = render_to_string(
            "roles/handbook_part_document.html",
            {**context, "sections": part, "first_page": page},
        )
        document = HTML(string=html, url_fetcher=pdf.url_fetcher()).render()
        for index, rendered in enumerate(document.pages):
            for anchor in rendered.anchors:
                kind, _sep, pk = anchor.partition("-")
                anchors_pages.setdefault((kind, pk), page + index)
        page += len(document.pages)
        bodies.append(document.write_pdf())
        del document
        done += sum(len(s["hats"]) for s in part)
        if progress:
            progress(done, total)
    for section in sections:
        section["page"] = anchors_pages.get(("function", str(section["node"].function.id)), "")
        for item in section["hats"]:
            item["page"] = anchors_pages.get(("hat", str(item["hat"].id)), "")
    contents = render_to_string(
        "roles/handbook.html", {**context, "sections": sections, "pages": True, "front": True}
    )
    front = HTML(string=contents, url_fetcher=pdf.url_fetcher()).render().write_pdf()
    writer = PdfWriter()
    for part_pdf in [front, *bodies]:
        writer.append(io.BytesIO(part_pdf))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
