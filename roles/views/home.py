import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import access as acl
from .. import jobs
from ..models import Invitation, WorkerBeat
from ..services import people as people_services


@require_safe
def home(request):
    """Land on the caller's organisation, or a picker when they belong to several
    or have invitations to answer."""
    people = acl.memberships(request.user)
    invitations = people_services.open_invitations(request.user)
    if len(people) == 1 and not invitations:
        return redirect("roles:org-map", org=people[0].org.slug)
    return render(request, "roles/home.html", {"people": people, "invitations": invitations})


@require_POST
def invitation_answer(request, invitation_id, answer):
    """Accept or decline one of the caller's own invitations; anyone else's is a 404."""
    try:
        invitation = people_services.answer_invitation(
            request, invitation_id, accept=answer == "accept"
        )
    except Invitation.DoesNotExist:
        raise Http404 from None
    except people_services.InvitationClosed as closed:
        messages.error(request, str(closed))
        return redirect("roles:home")
    if invitation.status == Invitation.ACCEPTED:
        messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.org.name})
        return redirect("roles:org-map", org=invitation.org.slug)
    messages.info(request, _("Invitation to %(org)s declined.") % {"org": invitation.org.name})
    return redirect("roles:home")


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Readiness for load balancers and monitoring: 200 when the database accepts
    a write (made in a transaction that is rolled back) and a job worker was seen
    within WORKER_STALE_SECONDS; 503 otherwise. The JSON body names what failed
    (never the database's own error text)."""
    checks = {"database": "ok", "worker": "ok"}
    try:
        with transaction.atomic():
            WorkerBeat.objects.create(worker_id=f"healthz-{uuid.uuid4().hex}")
            transaction.set_rollback(True)
    except Exception:  # any database failure (down, read-only) means "not healthy"
        checks["database"] = "failed"
        checks["worker"] = "unknown"
    else:
        seen = jobs.worker_seen()
        age = None if seen is None else (timezone.now() - seen).total_seconds()
        checks["worker_last_seen_seconds"] = None if age is None else round(age, 1)
        if age is None or age > settings.WORKER_STALE_SECONDS:
            checks["worker"] = "failed"
    healthy = checks["database"] == "ok" and checks["worker"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503
    )
