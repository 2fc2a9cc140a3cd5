"""The company handbook: every hat, grouped by function, as one PDF (the whole
company, or one function and the functions below it)."""

import io
import os

from django.conf import settings
from django.db import connection, connections
from django.template.loader import render_to_string
from django.utils import timezone

from .. import pdf, tree
from ..models import Hat, Responsibility
from ..overview import function_tree, walk

# Hats per laid-out piece of a chapter (memory), see bench/README.md.
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


def pieces(section, size):
    """A function's section cut into pieces of at most `size` hats; a piece after
    the first continues the function without its heading."""
    hats = section["hats"]
    for start in range(0, max(len(hats), 1), size):
        yield {**section, "hats": hats[start : start + size], "continued": start > 0}


def render_chapter(task):
    """One function's chapter as a PDF: (pdf bytes, {anchor: page in the chapter},
    hats). Its pages are numbered "chapter–page", so a chapter needs nothing of
    the chapters before it and chapters can be laid out side by side. A function
    with more than `size` hats is laid out `size` hats at a time, each piece told
    its first page, so that only one piece's layout is in memory."""
    from weasyprint import HTML  # noqa: PLC0415 - heavy; only in the job

    number, section, context, size = task
    anchors, page, bodies = {}, 1, []
    for piece in pieces(section, size):
        html = render_to_string(
            "roles/handbook_part_document.html",
            {**context, "sections": [piece], "chapter": number, "first_page": page},
        )
        document = HTML(string=html, url_fetcher=pdf.url_fetcher()).render()
        for index, rendered in enumerate(document.pages):
            for anchor in rendered.anchors:
                anchors.setdefault(anchor, page + index)
        page += len(document.pages)
        bodies.append(document.write_pdf())
        del document
    body = bodies[0] if len(bodies) == 1 else join_pdfs(bodies)
    return body, anchors, len(section["hats"])


def join_pdfs(pdfs):
    """One PDF of the given PDFs (bytes), in order."""
    from pypdf import PdfWriter  # noqa: PLC0415 - heavy; only in the job

    writer = PdfWriter()
    for one in pdfs:
        writer.append(io.BytesIO(one))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def chapters_in_processes(tasks, processes):
    """render_chapter over `tasks`, in order, on `processes` processes at once when
    that is both useful and safe: not inside a transaction (the database
    connection is closed before the fork, so no process shares it)."""
    if processes <= 1 or len(tasks) < 2 or connection.in_atomic_block:
        yield from map(render_chapter, tasks)
        return
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    connections.close_all()
    from ..jobs import follow_parent  # noqa: PLC0415 - jobs imports the job kinds

    pool = ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("fork"), initializer=follow_parent
    )
    try:
        yield from pool.map(render_chapter, tasks)
    finally:
        # Cancelled or failed: the chapters not begun are dropped, not waited for.
        pool.shutdown(wait=True, cancel_futures=True)


def render_pdf_in_parts(org, function=None, progress=None, size=None, processes=None):
    """The handbook as a PDF: the contents, then a chapter per function, joined
    with pypdf. The chapters are laid out on every core at once (pages numbered
    "chapter–page", so none waits for another), then the contents with the pages
    found, numbered apart (i, ii, …)."""
    from weasyprint import HTML  # noqa: PLC0415 - heavy; only in the job

    sections = handbook_rows(org, function)
    total = sum(len(s["hats"]) for s in sections)
    context = {"org": org, "function": function, "today": timezone.localdate()}
    size = size or PART_HATS
    tasks = [(number, section, context, size) for number, section in enumerate(sections, 1)]
    processes = processes or settings.HANDBOOK_PROCESSES or os.cpu_count() or 1
    bodies, done = [], 0
    for (number, section, _c, _s), (body, anchors, hats) in zip(
        tasks, chapters_in_processes(tasks, processes), strict=True
    ):
        bodies.append(body)
        function_id = section["node"].function.id
        heading = anchors.get(f"function-{function_id}", 1)
        section["page"] = f"{number}–{heading}"
        for item in section["hats"]:
            found = anchors.get(f"hat-{item['hat'].id}")
            item["page"] = f"{number}–{found}" if found else ""
        done += hats
        if progress:
            progress(done, total)
    contents = render_to_string(
        "roles/handbook.html", {**context, "sections": sections, "pages": True, "front": True}
    )
    front = HTML(string=contents, url_fetcher=pdf.url_fetcher()).render().write_pdf()
    return join_pdfs([front, *bodies])
