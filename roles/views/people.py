"""People: the list, a person's view, and adding, editing, inviting and
deactivating people."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, mail
from ..access import deny_unless, get_in_org, org_view
from ..forms.people import PeopleFilterForm, PersonAddForm, PersonEditForm
from ..models import Assignment, AuditEvent, Person
from ..services import people as services


def can_invite(acc, person):
    """Admins invite anyone; managers the members they may add."""
    return acc.is_admin or (acc.can_manage_people and person.access == Person.MEMBER)


def page_links(page, around=2):
    """Page numbers to link: the first, the last, and `around` on each side of
    the current one; None marks a gap."""
    last = page.paginator.num_pages
    wanted = {1, last, *range(page.number - around, page.number + around + 1)}
    out, previous = [], 0
    for n in sorted(n for n in wanted if 1 <= n <= last):
        if n > previous + 1:
            out.append(None)
        out.append(n)
        previous = n
    return out


@require_safe
@org_view()
def people_list(request):
    acc = request.access
    form = PeopleFilterForm(request.GET or None, org=acc.org)
    function = form.cleaned_data["function"] if form.is_valid() else None
    page, rows = services.people_page(
        acc.org, acc, function.id if function else None, request.GET.get("page")
    )
    return render(
        request,
        "roles/people.html",
        {
            "form": form,
            "function": function,
            "page": page,
            "page_links": page_links(page),
            "rows": rows,
            "can_add": acc.can_manage_people,
            "show_confirmations": acc.is_manager,
            "nav": "people",
        },
    )


@require_safe
@org_view()
def person_detail(request, person_id):
    acc = request.access
    person = get_in_org(Person, acc, pk=person_id)
    assignments = list(
        Assignment.objects.for_org(acc.org)
        .filter(person=person)
        .select_related("hat__function")
        .order_by("-ended", "hat__title")
    )
    current = [a for a in assignments if a.ended is None]
    past = [a for a in assignments if a.ended is not None]
    hats = [a.hat for a in current]
    latest = services.latest_acknowledgements(
        acc.org, person_ids=[person.id], hat_ids=[h.id for h in hats]
    )
    for a in current:
        a.status = services.ack_status(a.hat, person.id, latest)
    return render(
        request,
        "roles/person_detail.html",
        {
            "person": person,
            "current": current,
            "past": past,
            "share": sum(a.share or 0 for a in current),
            "duties": services.duties_of_hats(acc.org, hats),
            "is_me": person.id == acc.person.id,
            "can_edit": acc.is_admin,
            "can_invite": can_invite(acc, person) and person.active,
            "invitation": services.last_invitation(person),
            "undeliverable": mail.undeliverable(person) if acc.is_admin else None,
            "nav": "people",
        },
    )


@require_http_methods(["GET", "POST"])
@org_view("manager")
def person_create(request):
    acc = request.access
    form = PersonAddForm(request.POST or None, org=acc.org, access=acc)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                person = services.add_person(
                    acc.org,
                    data["name"],
                    data["email"],
                    access=data.get("access", Person.MEMBER),
                    hat=data.get("hat"),
                    share=data.get("share"),
                    author=acc.person,
                )
        except IntegrityError:
            form.add_error(
                "email", _("%(email)s already belongs to someone here.") % {"email": data["email"]}
            )
        else:
            messages.success(request, _("%(name)s added.") % {"name": person.name})
            if data.get("invite"):
                invite(request, person)
            return redirect("roles:person-detail", org=acc.org.slug, person_id=person.id)
    return render(request, "roles/person_form.html", {"form": form, "nav": "people"})


@require_http_methods(["GET", "POST"])
@org_view("admin")
def person_edit(request, person_id):
    acc = request.access
    person = get_in_org(Person, acc, pk=person_id)
    form = PersonEditForm(request.POST or None, instance=person, org=acc.org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        old_access = (
            Person.objects.for_org(acc.org).values_list("access", flat=True).get(pk=person.pk)
        )
        try:
            with transaction.atomic():
                services.update_person(
                    person, data["name"], data["email"], data["access"], data["active"], acc.person
                )
        except services.LastAdmin as refused:
            form.add_error(None, str(refused))
        except IntegrityError:
            form.add_error("email", _("That email already belongs to someone here."))
        else:
            if old_access != data["access"]:
                audit.record(
                    AuditEvent.ACCESS_CHANGED,
                    request,
                    org=acc.org,
                    detail=f"{data['name']}: {old_access} → {data['access']}",
                )
            messages.success(request, _("%(name)s saved.") % {"name": data["name"]})
            if person.id == acc.person.id and not data["active"]:
                return redirect("roles:home")
            return redirect("roles:person-detail", org=acc.org.slug, person_id=person.id)
    return render(
        request, "roles/person_form.html", {"form": form, "person": person, "nav": "people"}
    )


def invite(request, person):
    try:
        invitation = services.invite_person(request, person)
    except services.InviteRefused as refused:
        messages.error(request, str(refused))
        return False
    if invitation is None:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": person.email})
    else:
        messages.success(
            request,
            _(
                "%(email)s already has a login: they join when they accept the invitation "
                "after signing in. It is open until %(date)s."
            )
            % {"email": person.email, "date": date_format(localtime(invitation.expires))},
        )
    return True


@require_POST
@org_view("manager")
def person_invite_retry(request, person_id):
    """Try the person's undelivered invitation again at once."""
    acc = request.access
    person = get_in_org(Person, acc, pk=person_id)
    deny_unless(can_invite(acc, person))
    email = services.last_invitation(person)
    if email is not None and email.state != email.SENT:
        mail.retry_now(email)
        messages.info(request, _("Trying to deliver the invitation again."))
    return redirect("roles:person-detail", org=acc.org.slug, person_id=person.id)


@require_POST
@org_view("manager")
def person_invite(request, person_id):
    acc = request.access
    person = get_in_org(Person, acc, pk=person_id)
    deny_unless(can_invite(acc, person))
    invite(request, person)
    return redirect("roles:person-detail", org=acc.org.slug, person_id=person.id)


@require_http_methods(["GET", "POST"])
@org_view("admin")
def person_deactivate(request, person_id):
    acc = request.access
    person = get_in_org(Person, acc, pk=person_id)
    current = list(
        Assignment.objects.for_org(acc.org)
        .filter(person=person, ended__isnull=True)
        .select_related("hat")
    )
    if request.method == "POST":
        if not person.active:
            messages.info(request, _("%(name)s is already inactive.") % {"name": person.name})
            return redirect("roles:person-detail", org=acc.org.slug, person_id=person.id)
        try:
            ended = services.deactivate_person(person, acc.person)
        except services.LastAdmin as refused:
            messages.error(request, str(refused))
            return redirect("roles:person-detail", org=acc.org.slug, person_id=person.id)
        messages.success(
            request,
            _("%(name)s deactivated; %(n)d hat(s) now vacant. Their history is kept.")
            % {"name": person.name, "n": ended},
        )
        if person.id == acc.person.id:
            return redirect("roles:home")
        return redirect("roles:people", org=acc.org.slug)
    return render(
        request,
        "roles/person_confirm_deactivate.html",
        {
            "person": person,
            "current": current,
            "headed": list(person.headed_functions.all()),
            "nav": "people",
        },
    )
