"""The audit trail: who did what security-relevant thing, when, from where, in
which organisation. Writes are one INSERT each, in the request that caused them."""

from .models import AuditEvent, Person
from .network import client_address


def signed_in_user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def event(kind, request, user, actor, detail, org=None):
    return AuditEvent(
        org=org,
        kind=kind,
        user=user,
        actor=(actor or (user.email if user else ""))[:254],
        address=client_address(request) if request is not None else None,
        detail=str(detail)[:300],
    )


def record(kind, request=None, *, org=None, actor="", detail=""):
    """One event in `org`, by whoever is signed in (or `actor`)."""
    event(kind, request, signed_in_user(request), actor, detail, org).save()


def record_for_login(kind, request, user, *, actor="", detail=""):
    """An event about a login (sign-in, password, two-factor): one row in each
    organisation the login belongs to, so each organisation's admins see it in
    their own trail and nobody else's; one row without an organisation when it
    belongs to none (or `user` is None: an unknown email)."""
    org_ids = []
    if user is not None:
        org_ids = list(
            Person.objects.filter(user=user, active=True).values_list("org_id", flat=True)
        )
    rows = [] if org_ids else [event(kind, request, user, actor, detail)]
    for org_id in org_ids:
        row = event(kind, request, user, actor, detail)
        row.org_id = org_id
        rows.append(row)
    AuditEvent.objects.bulk_create(rows)
