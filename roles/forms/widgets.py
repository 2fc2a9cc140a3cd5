"""Widgets for long lists of choices."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

SELECTED = SafeString(" selected")


class FastSelect(forms.Select):
    """A <select> written in Python. Django's Select renders every option
    through a template, about 50 microseconds an option on the benchmark
    machine: a list of 200 tasks or 400 functions cost 10-20 ms. The markup is
    Django's (name, attributes, value, `selected`), every value escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(attrs), options(self.choices, chosen)
        )


def options(choices, chosen):
    """<option>s (and <optgroup>s) of Django-style `choices`; those whose value
    is in `chosen` (strings) selected."""
    parts = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            group = format_html('<optgroup label="{}">{}</optgroup>', value, options(label, chosen))
            parts.append(group)
        else:
            text = "" if value is None else str(value)
            selected = SELECTED if text in chosen else ""
            parts.append(format_html('<option value="{}"{}>{}</option>', text, selected, label))
    return format_html_join("", "{}", ((part,) for part in parts))
