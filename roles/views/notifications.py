"""Notifications: the list with the bell's unread items, mark read, a
person's preferences, the organisation's defaults, and the unsubscribe link
of the emails (valid without signing in)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import notify
from ..access import ADMIN, org_view
from ..forms.notifications import ChannelsForm, PreferencesForm
from ..models import Notification
from ..models.notifications import APP, KINDS

PER_PAGE = 50


@require_safe
@org_view()
def notification_list(request):
    acc = request.access
    page = Paginator(
        Notification.objects.filter(org=acc.org, person=acc.person).order_by("-created", "-id"),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    rows = []
    for n in page:
        title, lines = notify.describe(n)
        rows.append({"n": n, "title": title, "lines": lines})
    return render(
        request,
        "roles/notifications/list.html",
        {"page": page, "rows": rows, "nav": "notifications"},
    )


@require_POST
@org_view()
def notification_read(request, notification_id):
    acc = request.access
    n = get_object_or_404(
        Notification.objects.filter(org=acc.org, person=acc.person), pk=notification_id
    )
    notify.mark_read(acc.person, n.pk)
    return redirect("roles:notifications", org=acc.org.slug)


@require_POST
@org_view()
def notification_read_all(request):
    acc = request.access
    count = notify.mark_read(acc.person)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("roles:notifications", org=acc.org.slug)


@require_http_methods(["GET", "HEAD", "POST"])
@org_view()
def notification_preferences(request):
    acc = request.access
    person = acc.person
    current = {kind: channel for kind, _label, channel, _own in notify.preferences(person)}
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial_channels=current,
        language=person.language,
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for kind, _label in KINDS:
                if form.cleaned_data[kind] != current[kind]:
                    notify.set_preference(person, kind, form.cleaned_data[kind])
            person.language = form.cleaned_data["language"]
            person.save(update_fields=["language"])
        messages.success(request, _("Your notification settings were saved."))
        return redirect("roles:notification-preferences", org=acc.org.slug)
    return render(
        request,
        "roles/notifications/channels.html",
        {
            "form": form,
            "nav": "notifications",
            "heading": _("Notification settings"),
            "intro": _(
                "For each kind of notification: by email (at most one email an hour for "
                "each kind, later items go into the next one), in the app only, or off."
            ),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@org_view(ADMIN)
def notification_defaults(request):
    org = request.access.org
    current = {kind: notify.default_channel(org, kind) for kind, _label in KINDS}
    data = request.POST if request.method == "POST" else None
    form = ChannelsForm(data, initial_channels=current)
    if request.method == "POST" and form.is_valid():
        org.notification_defaults = {kind: form.cleaned_data[kind] for kind, _label in KINDS}
        org.save(update_fields=["notification_defaults"])
        messages.success(request, _("The organisation's notification defaults were saved."))
        return redirect("roles:notification-defaults", org=org.slug)
    return render(
        request,
        "roles/notifications/channels.html",
        {
            "form": form,
            "nav": "notifications",
            "heading": _("Notification defaults"),
            "intro": _(
                "What everyone in the organisation gets unless they choose otherwise in "
                "their own notification settings."
            ),
        },
    )


@csrf_exempt  # the signed token is the credential; mail clients post without a cookie
@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """GET shows a button (mail scanners follow links); POST, from that button
    or a mail client's one-click (RFC 8058), keeps the kind in the app only."""
    found = notify.read_unsubscribe_token(token)
    if found is None:
        context = {"invalid": True}
        return render(request, "roles/notifications/unsubscribe.html", context, status=400)
    person, kind = found
    done = request.method == "POST"
    if done:
        notify.set_preference(person, kind, APP)
    return render(
        request,
        "roles/notifications/unsubscribe.html",
        {"person": person, "kind_label": dict(KINDS)[kind], "done": done, "token": token},
    )
