"""The organisation's audit trail: read and exported by its admins only."""

import csv
import io

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from ..access import ADMIN, org_view
from ..interchange.exporter import neutralise
from ..models import AuditEvent
from .people import page_links

PER_PAGE = 50


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("All events")), *AuditEvent.KIND_CHOICES],
    )


def trail(request):
    """The organisation's events, newest first, of the kind asked for."""
    form = AuditFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    events = AuditEvent.objects.for_org(request.access.org)
    if kind:
        events = events.filter(kind=kind)
    return form, kind, events


@require_safe
@org_view(ADMIN)
def audit_trail(request):
    form, kind, events = trail(request)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "roles/audit.html",
        {
            "form": form,
            "kind": kind,
            "page": page,
            "page_links": page_links(page),
            "nav": "audit",
        },
    )


@require_safe
@org_view(ADMIN)
def audit_csv(request):
    _form, _kind, events = trail(request)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Time"), _("Event"), _("Who"), _("Address"), _("Detail")])
    labels = dict(AuditEvent.KIND_CHOICES)
    for e in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                localtime(e.when).isoformat(timespec="seconds"),
                neutralise(str(labels.get(e.kind, e.kind))),
                neutralise(e.actor),
                e.address or "",
                neutralise(e.detail),
            ]
        )
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{request.access.org.slug}-audit.csv"'
    return response
