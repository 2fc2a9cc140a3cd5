import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .. import access as acl
from .. import jobs
from ..models import WorkerBeat


@require_safe
def home(request):
    """Land on the caller's organisation, or a picker when they belong to several."""
    people = acl.memberships(request.user)
    if len(people) == 1:
        return redirect("roles:org-map", org=people[0].org.slug)
    return render(request, "roles/home.html", {"people": people})


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
