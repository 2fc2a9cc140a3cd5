"""The RACI matrix page and its cell edits (htmx and plain form posts); the
pages of tasks and areas are in views/tasks.py."""

import hashlib
import json
from functools import partial

from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import raci
from ..access import deny_unless, get_in_org, id_param, org_view
from ..forms.matrix import CellForm
from ..forms.widgets import options
from ..matrix.cells import CellView, cell_renderer
from ..matrix.filters import Filters
from ..matrix.page import build_matrix
from ..matrix.queries import read_status_totals
from ..models import Hat, Responsibility, Task
from ..pagecache import render_cached
from ..services import matrix as services
from .interchange import csv_separator

SESSION_NOTICE = "matrix_notice"
# An undo is offered as a token signed by the server (see undo_token): what the
# two cells were and became, for whom. Nothing the browser sends is trusted.
UNDO_SALT = "roles.matrix.undo"
UNDO_MAX_AGE = 15 * 60  # seconds
OPTIONS_TTL = 60 * 60  # seconds a filter's options are kept unused


def other_csv(url):
    """(URL, label) of the CSV with the separator the language does not default to
    (roles.views.interchange.csv_separator)."""
    if csv_separator() == ";":
        return f"{url}?sep=comma", _("CSV with commas")
    return f"{url}?sep=semicolon", _("CSV with semicolons (Excel in Swedish)")


def filters_of(query_string):
    """Filters carried back from a form post as the `q` field."""
    return Filters.from_query(QueryDict(query_string or ""))


def matrix_url(slug, filters):
    query = filters.query()
    url = reverse("roles:matrix", kwargs={"org": slug})
    return f"{url}?{urlencode(query)}" if query else url


def back_to_matrix(request):
    return redirect(matrix_url(request.access.org.slug, filters_of(request.POST.get("q"))))


def filter_options(choices, selected):
    """The <option>s of a filter. A large organisation has hundreds of
    functions, areas and people, and writing them costs more than the rest of
    the page: they are kept in the cache under a digest of what they show, so
    any change to a name or to the list is a new entry (never a stale one)."""
    choices = list(choices)
    digest = hashlib.blake2b(repr((choices, selected)).encode(), digest_size=16).hexdigest()
    return cache.get_or_set(
        f"matrix-options:{digest}", lambda: options(choices, {str(selected)}), OPTIONS_TTL
    )


def totals_of(status_totals):
    """(key, label, tasks) of each status some task has, for the totals line."""
    return [
        (key, label, status_totals[key])
        for key, label in raci.STATUS_LABELS.items()
        if status_totals.get(key)
    ]


def letters_text(letters):
    return raci.format_cell(letters) or _("empty")


@require_safe
@org_view()
def matrix(request):
    acc = request.access
    # The notice (after a change made without JavaScript) is the session's:
    # a page that shows one is not kept.
    notice = (
        request.session.pop(SESSION_NOTICE, None) if SESSION_NOTICE in request.session else None
    )
    return render_cached(
        request,
        "roles/matrix.html",
        partial(matrix_context, acc, request.GET, notice),
        frame={"nav": "matrix"},
        keep=notice is None,
    )


def matrix_context(acc, query_dict, notice):
    filters = Filters.from_query(query_dict)
    data = build_matrix(acc, filters)
    slug = acc.org.slug
    csv_url = reverse("roles:matrix-csv", kwargs={"org": slug})
    cell_url = reverse("roles:matrix-cell", kwargs={"org": slug})
    query = urlencode(filters.query())
    cells = cell_renderer(data.columns, CellView.empty_label())
    for group in data.groups:
        for row in group.rows:
            row.cells = cells(row.task, row.letters)
    return {
        "m": data,
        "q": query,
        "who_links": [
            (name, "?" + urlencode(filters.query(person=person_id, page=None, cpage=None)))
            for person_id, name in data.who_matches
        ],
        "function_options": filter_options(data.function_options, filters.function),
        "area_options": filter_options([(a.id, a.name) for a in data.areas], filters.area),
        "person_options": filter_options(data.people, filters.person),
        "cell_url": cell_url,
        "choices": [(c, c or _("empty")) for c in raci.CHOICES],
        "totals": totals_of(data.status_totals),
        "notice": notice,
        "can_edit_rows": acc.can_edit_matrix_rows,
        "export_xlsx": reverse("roles:matrix-xlsx", kwargs={"org": slug}),
        "export_csv": csv_url,
        "export_csv_other": other_csv(csv_url),
        "import_url": (
            reverse("roles:matrix-import", kwargs={"org": slug}) if acc.can_import else None
        ),
        "prev_page": filters.query(page=data.page - 1 if data.page > 2 else None),
        "next_page": filters.query(page=data.page + 1),
        "prev_cpage": filters.query(cpage=data.cpage - 1 if data.cpage > 2 else None),
        "next_cpage": filters.query(cpage=data.cpage + 1),
    }


def hat_with_may_edit(acc, hat_id):
    """The hat (404 unless the caller's organisation's) with `may_edit`: whether
    the caller may change its column, answered in the same query."""
    hats = Hat.objects.only("id", "org_id", "title", "function_id").annotate(
        may_edit=acc.may_edit_hat_expression()
    )
    return get_in_org(hats, acc, pk=hat_id)


def may_edit(acc, hat):
    """The caller may change this hat's column: the flag loaded with the hat when
    there is one (no function tree to read), else the predicate."""
    flag = getattr(hat, "may_edit", None)
    return acc.can_edit_cell(hat) if flag is None else bool(flag)


def cell_ids(source):
    """(task id, hat id) named by `task` and `hat`, or by `c` ("<task>-<hat>",
    what a matrix cell sends without JavaScript); None for anything else."""
    task_id, hat_id = source.get("task"), source.get("hat")
    if task_id is None and hat_id is None:
        task_id, _sep, hat_id = source.get("c", "").partition("-")
    task_id, hat_id = id_param(task_id), id_param(hat_id)
    return None if task_id is None or hat_id is None else (task_id, hat_id)


def cell_target(request, source):
    """The task id and the hat a cell request names: 404 unless the hat is the
    caller's organisation's, 403 unless the caller may change its column. The
    task is checked when it is locked for the write. One query."""
    acc = request.access
    ids = cell_ids(source)
    if ids is None:
        raise Http404
    hat = hat_with_may_edit(acc, ids[1])
    deny_unless(may_edit(acc, hat))
    return ids[0], hat


def undo_token(acc, outcome):
    """The signed offer to undo an A move: the task, both hats, their letters
    before and after, and who may use it (for a short while)."""
    result, other = outcome.result, outcome.result.moved_from
    payload = {
        "t": outcome.task.id,
        "h": outcome.hat.id,
        "l": raci.format_cell(result.old),
        "e": raci.format_cell(result.new),
        "o": other.id,
        "ol": raci.format_cell(outcome.before[other.id]),
        "oe": raci.format_cell(outcome.row.get(other.id, frozenset())),
        "p": acc.person.id,
    }
    return signing.dumps(payload, salt=UNDO_SALT, compress=True)


def read_undo_token(acc, token):
    """The undo a token offers, as {"task", "hat", "other" ids and the letter
    sets "letters", "expected", "other_letters", "other_expected"}; None when the
    token is forged, expired, someone else's or garbled."""
    try:
        data = signing.loads(token or "", salt=UNDO_SALT, max_age=UNDO_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(data, dict) or data.get("p") != acc.person.id:
        return None
    ids = {
        key: id_param(data.get(short))
        for key, short in (("task", "t"), ("hat", "h"), ("other", "o"))
    }
    cells = {
        key: raci.parse_cell(str(data.get(short, "")))
        for key, short in (
            ("letters", "l"),
            ("expected", "e"),
            ("other_letters", "ol"),
            ("other_expected", "oe"),
        )
    }
    if None in ids.values() or any(cell.unknown for cell in cells.values()):
        return None
    return {**ids, **{key: cell.letters for key, cell in cells.items()}}


def cell_notice(outcome, acc):
    """What to say after a cell write, and the undo an A move offers."""
    task, hat = outcome.task, outcome.hat
    if outcome.stale:
        return {
            "level": "warning",
            "text": _(
                "Someone changed “%(task)s” for %(hat)s meanwhile: it is now “%(now)s”. "
                "Nothing was changed; look again and choose."
            )
            % {"task": task.name, "hat": hat.title, "now": letters_text(outcome.current)},
        }
    result = outcome.result
    if not result.changed:
        return {
            "level": "info",
            "text": _("“%(task)s” for %(hat)s is already “%(now)s”.")
            % {"task": task.name, "hat": hat.title, "now": letters_text(result.new)},
        }
    names = {
        "task": task.name,
        "hat": hat.title,
        "old": letters_text(result.old),
        "new": letters_text(result.new),
    }
    if result.old == result.new:  # only the other A's went away
        text = _("“%(task)s” for %(hat)s stays “%(new)s”.") % names
    else:
        text = _("“%(task)s” for %(hat)s: %(old)s → %(new)s.") % names
    notice = {"level": "success", "text": text}
    if result.lost_a:
        lost = ", ".join(h.title for h in result.lost_a)
        notice["text"] = text + " " + _("A moved from %(hat)s.") % {"hat": lost}
    if len(result.lost_a) == 1:  # an undo puts back one A; two lost ones stay a fix
        notice["undo"] = {"token": undo_token(acc, outcome), "cell": f"cell-{task.id}-{hat.id}"}
    return notice


def cell_response(request, outcome, notice):
    """htmx: the changed cells, the row status and the column counts, swapped in place."""
    acc = request.access
    task = outcome.task
    query = urlencode(filters_of(request.POST.get("q")).query())
    empty = CellView.empty_label()
    cells = []
    for h in outcome.hats:
        cell = CellView(task, h, outcome.row.get(h.id, frozenset()), may_edit(acc, h))
        cell.html = cell.render(empty, oob=True)
        cells.append(cell)
    response = render(
        request,
        "roles/matrix.html#update",
        {
            "cells": cells,
            "task_id": task.id,
            "status": raci.task_status(outcome.row.values()),
            "holders": outcome.a_holders,
            "totals": totals_of(read_status_totals(acc.org)),
            "counts": [
                (h.id, raci.count_items(outcome.counts[h.id]))
                for h in outcome.hats
                if h.id in outcome.counts
            ],
            "notice": notice,
            "q": query,
            "oob": True,
        },
    )
    response["HX-Trigger"] = json.dumps({"announce": notice["text"]})
    return response


def notice_response(request, notice):
    """htmx: only the notice, swapped in place and announced."""
    response = render(request, "roles/matrix.html#notice", {"notice": notice, "oob": True})
    response["HX-Trigger"] = json.dumps({"announce": notice["text"]})
    return response


def finish_cell_write(request, outcome):
    notice = cell_notice(outcome, request.access)
    if request.htmx:
        return cell_response(request, outcome, notice)
    level = {"warning": messages.WARNING, "info": messages.INFO}.get(
        notice["level"], messages.SUCCESS
    )
    messages.add_message(request, level, notice["text"])
    if notice.get("undo"):
        request.session[SESSION_NOTICE] = {"level": "info", "text": "", "undo": notice["undo"]}
    return back_to_matrix(request)


@require_http_methods(["GET", "POST"])
@org_view("manager")
def matrix_cell(request):
    """GET: a page to set one cell (the path without JavaScript). POST: set it."""
    acc = request.access
    source = request.POST if request.method == "POST" else request.GET
    task_id, hat = cell_target(request, source)
    if request.method == "POST":
        form = CellForm(request.POST)
        if form.is_valid():
            outcome = services.change_cell(
                acc.org,
                task_id,
                hat,
                form.cleaned_data["letters"],
                acc.person,
                expected=form.cleaned_data["expected"],
                access=acc,
            )
            if outcome is None:
                raise Http404
            return finish_cell_write(request, outcome)
        if request.htmx:
            notice = {"level": "danger", "text": " ".join(form.errors.get("letters", []))}
            return notice_response(request, notice)
        status = 400
    else:
        form = None
        status = 200
    task = get_in_org(Task.objects.only("id", "org_id", "name"), acc, pk=task_id)
    current = frozenset(
        Responsibility.objects.filter(task=task, hat=hat).values_list("letter", flat=True)
    )
    choices = [(c, c or _("empty")) for c in raci.CHOICES]
    if raci.format_cell(current) not in raci.CHOICES:
        choices.append((raci.format_cell(current), raci.format_cell(current)))
    return render(
        request,
        "roles/matrix_cell.html",
        {
            "task": task,
            "hat": hat,
            "current": raci.format_cell(current),
            "choices": choices,
            "form": form,
            "q": source.get("q", ""),
            "back": matrix_url(acc.org.slug, filters_of(source.get("q"))),
            "nav": "matrix",
        },
        status=status,
    )


@require_POST
@org_view("manager")
def matrix_undo(request):
    """Put back both cells of an A move, as the signed offer made when the A
    moved says (see undo_token): the caller may give back the A it took from a
    hat outside their functions, and nothing else."""
    acc = request.access
    undo = read_undo_token(acc, request.POST.get("token"))
    if undo is None:
        notice = {
            "level": "warning",
            "text": _(
                "That change can no longer be undone (the offer has expired); nothing was changed."
            ),
        }
        if request.htmx:
            return notice_response(request, notice)
        messages.warning(request, notice["text"])
        return back_to_matrix(request)
    hat = hat_with_may_edit(acc, undo["hat"])
    deny_unless(may_edit(acc, hat))  # the caller's own cell: still theirs to change
    other = hat_with_may_edit(acc, undo["other"])
    outcome = services.undo_move(
        acc.org,
        undo["task"],
        hat,
        undo["letters"],
        undo["expected"],
        other,
        undo["other_letters"],
        undo["other_expected"],
        acc.person,
        access=acc,
    )
    if outcome is None:
        raise Http404
    task = outcome.task
    if outcome.stale:
        notice = {
            "level": "warning",
            "text": _(
                "The cells have changed since, so that change can no longer be undone; "
                "nothing was changed."
            ),
        }
    else:
        notice = {
            "level": "success",
            "text": _("Undone: “%(task)s” is back as it was for %(hat)s and %(other)s.")
            % {"task": task.name, "hat": hat.title, "other": other.title},
        }
    if request.htmx:
        return cell_response(request, outcome, notice)
    messages.add_message(
        request, messages.WARNING if outcome.stale else messages.SUCCESS, notice["text"]
    )
    return back_to_matrix(request)
