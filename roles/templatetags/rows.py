"""Rows of the long lists on the pages people open most (a hat's duties, a
wearer's tasks, a function's tasks), rendered by filters: the template engine
spends tens of microseconds a row on a loop body, format_html a few. Each
filter keeps the markup its template had; every value is escaped."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.filter
def duty_items(duties):
    """<li>s of a hat's duties: [(task, letters)], tasks with A stand out."""
    return format_html_join(
        "",
        '<li><span class="badge text-bg-{} letters">{}</span> {}</li>',
        (
            ("primary" if "A" in letters else "secondary", letters, task.name)
            for task, letters in duties
        ),
    )


@register.filter
def involved_items(involved):
    """<li>s of the tasks a hat is only consulted on or informed of."""
    return format_html_join(
        "",
        '<li><span class="badge text-bg-light border letters">{}</span> {}{}</li>',
        (
            (
                letters,
                task.name,
                format_html(' <span class="text-body-secondary small">({})</span>', task.area.name)
                if task.area
                else "",
            )
            for task, letters in involved
        ),
    )


@register.filter
def snapshot_duty_rows(duties):
    """<tr>s of a published hat's duties: [{"area", "task", "letters"}]."""
    return format_html_join(
        "",
        '<tr><td>{}</td><td>{}</td><td><strong class="raci-letters">{}</strong></td></tr>',
        ((d["area"] or "—", d["task"], d["letters"]) for d in duties),
    )


@register.filter
def snapshot_involved_items(involved):
    """<li>s of a published hat's consulted/informed tasks."""
    return format_html_join(
        "",
        '<li>{}{}: <strong class="raci-letters">{}</strong></li>',
        ((f"{d['area']} – " if d["area"] else "", d["task"], d["letters"]) for d in involved),
    )


@register.filter
def person_duty_rows(group):
    """<tr>s of a person's tasks in one area: a task's cell spans its hats."""
    return format_html_join(
        "",
        '<tr>{}<td><strong class="raci-letters">{}</strong></td><td><a href="{}">{}</a></td></tr>',
        (
            (
                format_html('<td rowspan="{}">{}</td>', span, task.name) if span else "",
                letters,
                url,
                hat.title,
            )
            for task, span, letters, hat, url in group.lines
        ),
    )


@register.filter
def function_task_rows(group):
    """<tr>s of the tasks a function's hats hold R or A for, in one area."""
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td></tr>",
        (
            (
                row.task.name,
                format_html_join(
                    "; ",
                    '<span class="text-nowrap"><a href="{}">{}</a>: '
                    '<strong class="raci-letters">{}</strong></span>',
                    ((url, hat.title, letters) for hat, letters, url in row.cells),
                ),
            )
            for row in group.tasks
        ),
    )
