"""Rows of the long lists on the pages people open most (a hat's duties, a
wearer's tasks, a function's tasks), rendered by filters: the template engine
spends tens of microseconds a row on a loop body, and even format_html
several. Each filter keeps the markup its template had and escapes every
value with `esc` (what Django's escape does, without its lazy-string wrapper)."""

from html import escape as esc

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


def _safe(parts):
    # Every value in `parts` went through esc().
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


@register.filter
def wearer_names(wearers):
    """A hat's wearers, "Name (40 %)" each, or a "vacant" badge. `wearers`:
    anything with .person.name and .share (Assignments, matrix Wearers)."""
    if not wearers:
        return _safe(
            ('<span class="badge text-bg-warning vacant">', esc(gettext("vacant")), "</span>")
        )
    return _safe(
        ", ".join(
            f'<span class="wearer">{esc(w.person.name)}'
            + (f' <span class="text-body-secondary">({int(w.share)} %)</span>' if w.share else "")
            + "</span>"
            for w in wearers
        )
    )


@register.filter
def duty_items(duties):
    """<li>s of a hat's duties: [(task, letters)], tasks with A stand out."""
    return _safe(
        f'<li><span class="badge text-bg-{"primary" if "A" in letters else "secondary"} '
        f'letters">{esc(letters)}</span> {esc(task.name)}</li>'
        for task, letters in duties
    )


@register.filter
def involved_items(involved):
    """<li>s of the tasks a hat is only consulted on or informed of."""
    return _safe(
        f'<li><span class="badge text-bg-light border letters">{esc(letters)}</span> '
        f"{esc(task.name)}"
        + (
            f' <span class="text-body-secondary small">({esc(task.area.name)})</span>'
            if task.area
            else ""
        )
        + "</li>"
        for task, letters in involved
    )


@register.filter
def snapshot_duty_rows(duties):
    """<tr>s of a published hat's duties: [{"area", "task", "letters"}] (a
    stored snapshot: a key it lacks shows as empty)."""
    return _safe(
        f"<tr><td>{esc(d.get('area') or '—')}</td><td>{esc(d.get('task') or '')}</td>"
        f'<td><strong class="raci-letters">{esc(d.get("letters") or "")}</strong></td></tr>'
        for d in duties
    )


@register.filter
def snapshot_involved_items(involved):
    """<li>s of a published hat's consulted/informed tasks."""
    return _safe(
        f"<li>{esc(d['area']) + ' – ' if d.get('area') else ''}{esc(d.get('task') or '')}: "
        f'<strong class="raci-letters">{esc(d.get("letters") or "")}</strong></li>'
        for d in involved
    )


@register.filter
def person_duty_rows(group):
    """<tr>s of a person's tasks in one area: a task's cell spans its hats."""
    return _safe(
        "<tr>"
        + (f'<td rowspan="{int(span)}">{esc(task.name)}</td>' if span else "")
        + f'<td><strong class="raci-letters">{esc(letters)}</strong></td>'
        f'<td><a href="{esc(url)}">{esc(hat.title)}</a></td></tr>'
        for task, span, letters, hat, url in group.lines
    )


@register.filter
def function_task_rows(group):
    """<tr>s of the tasks a function's hats hold R or A for, in one area."""
    return _safe(
        f"<tr><td>{esc(row.task.name)}</td><td>"
        + "; ".join(
            f'<span class="text-nowrap"><a href="{esc(url)}">{esc(hat.title)}</a>: '
            f'<strong class="raci-letters">{esc(letters)}</strong></span>'
            for hat, letters, url in row.cells
        )
        + "</td></tr>"
        for row in group.tasks
    )
