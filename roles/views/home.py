from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import access as acl
from ..models import Invitation
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
    """Liveness: 200 when the app and its database answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
