from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .. import access as acl


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
    """Liveness: 200 when the app and its database answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
