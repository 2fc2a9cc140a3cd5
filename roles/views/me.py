"""My hats: every hat the signed-in person wears, as they read it, and
"I have read my hat"."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..access import org_view
from ..models import Assignment
from ..pagecache import render_cached
from ..services import hats as hat_services
from ..services import people as services
from . import numbers


@require_safe
@org_view()
def me(request):
    acc = request.access

    def build():
        worn, duties = services.my_hats(acc.org, acc.person)
        week = numbers.week_param(request, acc.org)
        return {
            "worn": worn,
            "duties": duties,
            "numbers": numbers.my_numbers(acc.org, acc.person, [i.hat for i in worn], week),
            **numbers.week_nav(acc.org, week),
            "person": acc.person,
        }

    return render_cached(request, "roles/me.html", build, frame={"nav": "me"})


@require_POST
@org_view()
def me_acknowledge(request, hat_id):
    acc = request.access
    assignment = (
        Assignment.objects.for_org(acc.org)
        .filter(person=acc.person, hat_id=hat_id, ended__isnull=True)
        .select_related("hat")
        .first()
    )
    if assignment is None:
        raise Http404
    hat = assignment.hat
    ack = hat_services.acknowledge(acc.person, hat)
    if ack is None:
        messages.warning(
            request,
            _("“%(hat)s” is not published yet: there is nothing to confirm.") % {"hat": hat},
        )
    else:
        messages.success(
            request,
            _("You confirmed revision %(n)d of “%(hat)s”.") % {"n": hat.revision, "hat": hat},
        )
    return redirect(reverse("roles:me", kwargs={"org": acc.org.slug}) + f"#hat-{hat.id}")
