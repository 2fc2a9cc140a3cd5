"""People: the people list and person view, and the writes
(add, edit, invite, deactivate)."""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, notify, raci
from ..auth import set_password_path
from ..links import Links
from ..mail import send_email
from ..models import (
    KPI,
    Acknowledgement,
    Assignment,
    AuditEvent,
    ChecklistItem,
    Function,
    HatChange,
    HatRevision,
    Invitation,
    Organisation,
    OutgoingEmail,
    Person,
    Responsibility,
    User,
)
from ..models.accounts import invitation_expiry
from ..revisions import diff_snapshots
from ..tree import descendants
from .functions import group_by_area
from .hats import LETTER_COLUMNS, read_letters, snapshot_from


class LastAdmin(Exception):
    """The organisation would be left without an active admin."""


class InviteRefused(Exception):
    pass


# Acknowledgement status -------------------------------------------------------
@dataclass
class AckStatus:
    """Where one wearer stands with the current revision of one hat."""

    current: int  # the hat's current revision number (0: never published)
    confirmed: int = 0  # the latest revision number they confirmed
    confirmed_at: object = None

    @property
    def published(self):
        return self.current > 0

    @property
    def up_to_date(self):
        return self.published and self.confirmed == self.current

    @property
    def behind(self):
        """Confirmed an older revision; the current one asks again."""
        return self.published and 0 < self.confirmed < self.current


def latest_acknowledgements(org, person_ids=None, hat_ids=None):
    """{(person_id, hat_id): (revision number, when)} of the latest confirmation. One query."""
    qs = Acknowledgement.objects.for_org(org)
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    if hat_ids is not None:
        qs = qs.filter(hat_id__in=hat_ids)
    latest = {}
    for pid, hid, number, when in qs.values_list(
        "person_id", "hat_id", "revision__number", "created"
    ):
        key = (pid, hid)
        if key not in latest or number > latest[key][0]:
            latest[key] = (number, when)
    return latest


def ack_status(hat, person_id, latest):
    number, when = latest.get((person_id, hat.id), (0, None))
    return AckStatus(current=hat.revision, confirmed=number, confirmed_at=when)


# Person view: what am I responsible for ------------------------------------------
@dataclass
class Duties:
    # DutyArea of DutyRow(task, cells=[(hat, "A/R", url)])
    areas: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # {"A": n, "R": n, "C": n, "I": n} distinct tasks
    total: int = 0


def duties_of_hats(org, hats):
    """Tasks the given hats hold any letter for, grouped by area, with counts of
    tasks per letter. One query."""
    cells, tasks = read_letters(
        Responsibility.objects.for_org(org)
        .filter(hat__in=[h.id for h in hats])
        .values_list(*LETTER_COLUMNS)
    )
    by_task = {}
    for hid, task_cells in cells.items():
        for tid, letters in task_cells.items():
            by_task.setdefault(tid, {})[hid] = letters
    return duties_from_cells(hats, by_task, tasks, org.slug)


# People list ---------------------------------------------------------------------
PER_PAGE = 50


@dataclass
class PersonRow:
    person: Person
    assignments: list = field(default_factory=list)  # current, hat and function preloaded
    share: int = 0
    accountable: int = 0
    responsible: int = 0
    overloaded: bool = False
    too_many_accountable: bool = False
    confirm_total: int = 0  # published hats in the caller's functions
    confirmed: int = 0
    unconfirmed: list = field(default_factory=list)  # hat titles
    show_confirmations: bool = False


def people_ids(org, function_id=None):
    """Ids of everyone (or of everyone in a function and its sub-functions: its
    wearers and heads), in list order. One query, three with a function."""
    ids = list(
        Person.objects.for_org(org).order_by("-active", "name", "id").values_list("id", flat=True)
    )
    if function_id is None:
        return ids
    tree = list(Function.objects.for_org(org).values_list("id", "parent_id", "head_id"))
    inside = descendants({fid: parent for fid, parent, _ in tree}, [function_id])
    keep = set(
        Assignment.objects.for_org(org)
        .filter(ended__isnull=True, hat__function_id__in=inside)
        .values_list("person_id", flat=True)
    )
    keep |= {head for fid, _, head in tree if fid in inside and head}
    return [pid for pid in ids if pid in keep]


def people_page(org, access, function_id=None, number=1, per_page=PER_PAGE):
    """(Page of person ids, PersonRows of that page). The same number of
    queries whatever the size: the list of ids, then only the page's rows."""
    page = Paginator(people_ids(org, function_id), per_page).get_page(number)
    by_id = Person.objects.for_org(org).in_bulk(list(page.object_list))
    people = [by_id[pid] for pid in page.object_list if pid in by_id]
    return page, person_rows(org, access, people)


def person_rows(org, access, people):
    """PersonRows of `people` (a page): the queries read only their
    assignments, letters and confirmations."""
    person_ids = [p.id for p in people]
    assignments = (
        Assignment.objects.for_org(org)
        .filter(ended__isnull=True)
        .select_related("hat__function")
        .filter(person_id__in=person_ids)
        .order_by("hat__title", "id")
    )
    assignments = list(assignments)
    hat_ids = sorted({a.hat_id for a in assignments})
    cells = Responsibility.objects.for_org(org).filter(letter__in=("A", "R"), hat_id__in=hat_ids)
    letters = {}  # hat_id -> {"A": {task ids}, "R": {...}}
    for hid, tid, letter in cells.values_list("hat_id", "task_id", "letter"):
        letters.setdefault(hid, {"A": set(), "R": set()})[letter].add(tid)
    latest = {}
    if access.is_manager:
        latest = latest_acknowledgements(org, person_ids=person_ids, hat_ids=hat_ids)
    managed = access.managed_function_ids
    by_person = {}
    for a in assignments:
        by_person.setdefault(a.person_id, []).append(a)
    rows = []
    for p in people:
        row = PersonRow(p, by_person.get(p.id, []), show_confirmations=access.is_manager)
        a_tasks, r_tasks = set(), set()
        for a in row.assignments:
            row.share += a.share or 0
            held = letters.get(a.hat_id)
            if held:
                a_tasks |= held["A"]
                r_tasks |= held["R"]
            if access.is_manager and a.hat.function_id in managed and a.hat.revision:
                row.confirm_total += 1
                if ack_status(a.hat, p.id, latest).up_to_date:
                    row.confirmed += 1
                else:
                    row.unconfirmed.append(a.hat.title)
        row.accountable, row.responsible = len(a_tasks), len(r_tasks)
        row.overloaded = row.share > org.overload_share
        row.too_many_accountable = row.accountable > org.max_accountable
        rows.append(row)
    return rows


# Writes -------------------------------------------------------------------------------
def other_active_admins(person):
    return (
        Person.objects.for_org(person.org)
        .filter(access=Person.ADMIN, active=True)
        .exclude(pk=person.pk)
        .exists()
    )


def check_keeps_an_admin(person, access, active):
    """Refuse to leave the organisation without an active admin."""
    was_admin = person.access == Person.ADMIN and person.active
    stays_admin = access == Person.ADMIN and active
    if was_admin and not stays_admin and not other_active_admins(person):
        raise LastAdmin(
            _("%(name)s is the organisation's last admin. Make someone else an admin first.")
            % {"name": person.name}
        )


@transaction.atomic
def add_person(org, name, email, access=Person.MEMBER, hat=None, share=None, author=None):
    """Add a person, optionally wearing a hat at once."""
    person = Person.objects.create(org=org, name=name, email=email, access=access)
    if hat is not None:
        assignment = Assignment.objects.create(org=org, hat=hat, person=person, share=share)
        HatChange.objects.create(
            org=org, hat=hat, author=author, kind=HatChange.WEARER, field="wearer", new=name
        )
        notify.wearer_started(assignment)
    return person


@transaction.atomic
def update_person(person, name, email, access, active, author=None):
    """Edit a person; deactivating ends their assignments (see deactivate)."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    check_keeps_an_admin(locked, access, active)
    was_active = locked.active
    locked.name, locked.email, locked.access, locked.active = name, email, access, active
    locked.save()
    if was_active and not active:
        end_assignments(locked, author)
        Function.objects.filter(org_id=locked.org_id, head=locked).update(head=None)
    return locked


def end_assignments(person, author=None):
    current = list(
        Assignment.objects.filter(person=person, ended__isnull=True).select_related("hat")
    )
    now = timezone.now()
    Assignment.objects.filter(pk__in=[a.pk for a in current]).update(ended=now)
    HatChange.objects.bulk_create(
        [
            HatChange(
                org_id=person.org_id,
                hat=a.hat,
                author=author,
                kind=HatChange.WEARER,
                field="wearer",
                old=person.name,
            )
            for a in current
        ]
    )
    return len(current)


@transaction.atomic
def deactivate_person(person, author=None):
    """End the person's current assignments (their hats stay, now vacant) and
    close their access. History is kept. Returns how many assignments ended."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    check_keeps_an_admin(locked, locked.access, False)
    ended = end_assignments(locked, author)
    # Their functions lose their head (an inactive person holds nothing from above).
    Function.objects.filter(org_id=locked.org_id, head=locked).update(head=None)
    Person.objects.filter(pk=locked.pk).update(active=False)
    return ended


@transaction.atomic
def invite_person(request, person):
    """Email the person: a new login gets a single-use, expiring set-password
    link; a login of theirs here gets a sign-in link. A login that already
    exists elsewhere is not attached: it gets a pending invitation that its owner
    accepts or declines after signing in. Returns the Invitation or None."""
    locked = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    if not locked.active:
        raise InviteRefused(_("%(name)s is inactive.") % {"name": locked.name})
    user, invitation = locked.user, None
    if user is None:
        user = User.objects.filter(email__iexact=locked.email).first()
        if user is not None and (
            Person.objects.filter(org_id=locked.org_id, user=user).exclude(pk=locked.pk).exists()
        ):
            raise InviteRefused(
                _("The login %(email)s already belongs to another person here.")
                % {"email": locked.email}
            )
        if user is None:
            user = User(email=locked.email, name=locked.name)
            user.set_unusable_password()
            user.save()
            Person.objects.filter(pk=locked.pk).update(user=user)
        else:
            invitation = pending_invitation(locked, user, request.access.person)
    context = {
        "person": locked,
        "org": locked.org,
        "inviter": request.access.person,
        "invitation": invitation,
        "sign_in_url": request.build_absolute_uri(reverse("account_login")),
        "set_password_url": "",
    }
    if invitation is None and not user.has_usable_password():
        context["set_password_url"] = request.build_absolute_uri(set_password_path(user))
    send_invitation_email(locked, user, context)
    audit.record(
        AuditEvent.INVITATION_SENT, request, org=locked.org, detail=f"{locked.name} <{user.email}>"
    )
    return invitation


def send_invitation_email(person, user, context):
    """The one place an invitation is sent: by a job after the transaction
    commits, so the request never waits for the mail server, and a failure is
    retried and shown on the person's page."""
    send_email(
        user.email,
        "registration/invite_subject.txt",
        "registration/invite_email.txt",
        context,
        person.org.language,
        "registration/invite_email.html",
        org=person.org,
        person=person,
        kind=INVITE,
    )


def pending_invitation(person, user, inviter):
    """The person's pending invitation to `user`, made or renewed (a fresh expiry)."""
    Invitation.objects.filter(person=person, status=Invitation.PENDING).exclude(user=user).delete()
    invitation, _created = Invitation.objects.update_or_create(
        person=person,
        status=Invitation.PENDING,
        defaults={
            "org": person.org,
            "user": user,
            "invited_by": inviter,
            "expires": invitation_expiry(),
        },
    )
    return invitation


def open_invitations(user):
    """The login's pending, unexpired invitations, with their organisations."""
    return list(
        Invitation.objects.filter(
            user=user, status=Invitation.PENDING, expires__gt=timezone.now(), person__active=True
        )
        .select_related("org", "invited_by")
        .order_by("org__name")
    )


class InvitationClosed(Exception):
    pass


@transaction.atomic
def answer_invitation(request, invitation_id, accept):
    """Accept (the login becomes the person's) or decline the caller's own
    invitation. Another login's invitation does not exist (Invitation.DoesNotExist)."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("org")
        .get(pk=invitation_id, user=request.user)
    )
    if invitation.status != Invitation.PENDING or invitation.expired:
        raise InvitationClosed(_("This invitation is no longer open."))
    person = Person.objects.select_for_update().get(pk=invitation.person_id)
    if accept:
        taken = Person.objects.filter(org_id=person.org_id, user=request.user).exclude(pk=person.pk)
        if not person.active or person.user_id is not None or taken.exists():
            raise InvitationClosed(_("This invitation is no longer open."))
        Person.objects.filter(pk=person.pk).update(user=request.user)
    invitation.status = Invitation.ACCEPTED if accept else Invitation.DECLINED
    invitation.answered = timezone.now()
    invitation.save(update_fields=["status", "answered"])
    Organisation.touch(invitation.org_id)
    kind = AuditEvent.INVITATION_ACCEPTED if accept else AuditEvent.INVITATION_DECLINED
    audit.record(kind, request, org=invitation.org, detail=person.name)
    return invitation


INVITE = "invite"


def last_invitation(person):
    """The person's latest invitation email, or None."""
    return OutgoingEmail.objects.filter(person=person, kind=INVITE).order_by("-created").first()


# My hats ------------------------------------------------------------------------------
@dataclass
class WornHat:
    assignment: Assignment
    snapshot: dict  # what the wearer reads: the current revision's, else live data
    revision: object  # the current HatRevision, or None when never published
    status: AckStatus
    confirmed_revision: object = None  # the latest HatRevision they confirmed
    changes: list = field(default_factory=list)  # since the revision they confirmed

    @property
    def hat(self):
        return self.assignment.hat


def my_hats(org, person):
    """Every hat `person` wears now, as they read it, with their confirmation
    status and what changed since the revision they confirmed; and the tasks
    they hold letters for. Six queries whatever the size (one when they wear no hat)."""
    assignments = list(
        Assignment.objects.filter(org_id=org.id, person_id=person.id, ended__isnull=True)
        .select_related("hat__function", "hat__reports_to")
        .order_by("hat__function__name", "hat__title")
    )
    if not assignments:
        return [], duties_from_cells([], {}, {}, org.slug)
    hats = [a.hat for a in assignments]
    # The organisation's own hats (the assignments are): the queries below need
    # no join to the organisation, and a list of ids plans faster than a subquery.
    hat_ids = [h.id for h in hats]
    current = {
        r.hat_id: r
        for r in HatRevision.objects.filter(
            reduce(or_, (Q(hat_id=h.id, number=h.revision) for h in hats))
        ).order_by()
    }
    confirmed = {}
    for ack in Acknowledgement.objects.filter(
        org_id=org.id, person_id=person.id, hat_id__in=hat_ids
    ).select_related("revision"):
        best = confirmed.get(ack.hat_id)
        if best is None or ack.revision.number > best[0].revision.number:
            confirmed[ack.hat_id] = (ack, ack.revision)
    # Always read, so the page runs the same queries whatever is published.
    kpis, checklists = {}, {}
    for kpi in KPI.objects.filter(hat_id__in=hat_ids):
        kpis.setdefault(kpi.hat_id, []).append(kpi)
    for item in ChecklistItem.objects.filter(hat_id__in=hat_ids):
        checklists.setdefault(item.hat_id, []).append(item)
    cells, tasks = read_letters(
        Responsibility.objects.filter(org_id=org.id, hat_id__in=hat_ids).values_list(
            *LETTER_COLUMNS
        )
    )
    worn = []
    for a in assignments:
        hat = a.hat
        revision = current.get(hat.id)
        ack, ack_revision = confirmed.get(hat.id, (None, None))
        status = AckStatus(
            current=revision.number if revision else 0,
            confirmed=ack_revision.number if ack_revision else 0,
            confirmed_at=ack.created if ack else None,
        )
        item = WornHat(
            assignment=a,
            snapshot=revision.snapshot
            if revision
            else snapshot_from(
                hat,
                cells.get(hat.id, {}),
                tasks,
                kpis=kpis.get(hat.id, []),
                checklist=checklists.get(hat.id, []),
            ),
            revision=revision,
            status=status,
            confirmed_revision=ack_revision,
        )
        if status.behind:
            item.changes = diff_snapshots(ack_revision.snapshot, revision.snapshot)
        worn.append(item)
    # The person view of the matrix, from the same rows.
    by_task = {}
    for hid, task_cells in cells.items():
        for tid, letters in task_cells.items():
            by_task.setdefault(tid, {})[hid] = letters
    return worn, duties_from_cells(hats, by_task, tasks, org.slug)


def duties_from_cells(hats, by_task, tasks, slug):
    """Duties from {task_id: {hat_id: letters}} and preloaded tasks; each cell
    is (hat, letters, the hat's URL), the URL made once per hat, not per row."""
    hat_by_id = {h.id: h for h in hats}
    links = Links(slug)
    urls = {h.id: links.hat(h.id) for h in hats}
    counts = dict.fromkeys(raci.ORDER, 0)
    cells_of = {}
    for tid, by_hat in by_task.items():
        for letter in set().union(*by_hat.values()):
            counts[letter] += 1
        rows = [(hat_by_id[hid], raci.format_cell(ls), urls[hid]) for hid, ls in by_hat.items()]
        rows.sort(key=lambda row: (row[0].title.lower(), row[0].id))
        cells_of[tid] = rows
    return Duties(group_by_area(tasks, cells_of), counts, len(by_task))
