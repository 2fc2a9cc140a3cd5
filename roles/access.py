"""The one place that turns a request for /o/<slug>/… into
(organisation, the caller's Person, access level), and the permission predicates
that every page reuses. The views are the authority; templates only hide buttons."""

from functools import cached_property, wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from .auth import two_factor_ready
from .links import Links
from .models import Function, Notification, Organisation, Person
from .models.base import stamp_raised_after
from .tree import descendants, headed_and_below_sql

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

ADMIN, MANAGER, MEMBER = Person.ADMIN, Person.MANAGER, Person.MEMBER
RANK = {MEMBER: 0, MANAGER: 1, ADMIN: 2}


class Access:
    """The caller's standing in one organisation."""

    def __init__(self, person):
        self.person = person
        self.org = person.org
        self.level = person.access
        self._may_edit = {}  # function id: may edit, known without a query

    def __repr__(self):
        return f"<Access {self.org.slug}:{self.person.email}:{self.level}>"

    @cached_property
    def links(self):
        """URLs of the organisation's pages (see roles.links)."""
        return Links(self.org.slug)

    @cached_property
    def unread(self):
        """How many of the caller's notifications are unread (the bell): asked
        only by a page that shows the bell, not by a save answered with a
        fragment."""
        return Notification.objects.filter(person_id=self.person.id, read_at__isnull=True).count()

    @cached_property
    def nav(self):
        """{name: URL} of the pages in the navigation of every page."""
        return self.links.nav

    @property
    def is_admin(self):
        return self.level == ADMIN

    @property
    def is_manager(self):
        """Manager or above."""
        return RANK[self.level] >= RANK[MANAGER]

    def at_least(self, level):
        return RANK[self.level] >= RANK[level]

    @cached_property
    def managed_function_ids(self):
        """Functions the caller may edit: all for admins; for managers the ones they
        head and everything below them; none for members. One query."""
        if not self.is_manager:
            return frozenset()
        return self._managed(function_links(self.org.id))

    def know_ancestors(self, function_id, chain):
        """Answer can_edit_function(function_id) without a query, from `chain`:
        (id, parent_id, head_id) of that function and every function above it,
        in any order, read by the page anyway. A manager may edit a function
        when they head it or any function above it: the same as
        managed_function_ids."""
        if any(row[0] == function_id for row in chain):
            self._may_edit[function_id] = self.is_manager and function_id in self._managed(chain)

    def _managed(self, rows):
        if self.is_admin:
            return frozenset(r[0] for r in rows)
        parent_of = {fid: parent for fid, parent, _ in rows}
        heads = [fid for fid, _, head in rows if head == self.person.id]
        return frozenset(descendants(parent_of, heads))

    # Predicates -----------------------------------------------------------
    def can_edit_function(self, function):
        fid = function if isinstance(function, int) else getattr(function, "id", None)
        if fid in self._may_edit:
            return self._may_edit[fid]
        return self.is_admin or (self.is_manager and fid in self.managed_function_ids)

    def can_create_function(self, parent=None):
        """Admins anywhere; managers below a function they manage."""
        if self.is_admin:
            return True
        return parent is not None and self.can_edit_function(parent)

    def can_edit_hat(self, hat):
        return self.can_edit_function(hat.function_id)

    def can_edit_cell(self, hat):
        return self.can_edit_hat(hat)

    def may_edit_hat_expression(self, function_field="function_id"):
        """`can_edit_hat` as a boolean SQL expression over the rows of a query whose
        `function_field` is a hat's function, so that a hat and the answer come in
        one query without loading the function tree. For managers the functions
        they head and everything below them, as a recursive subquery (UNION stops
        at a cycle, see roles.tree)."""
        if self.is_admin or not self.is_manager:
            return Value(self.is_admin, output_field=BooleanField())
        managed = headed_and_below_sql(self.org.id, self.person.id)
        return ExpressionWrapper(Q(**{f"{function_field}__in": managed}), BooleanField())

    @property
    def can_edit_matrix_rows(self):
        """Add, rename, reorder and delete tasks and areas."""
        return self.is_manager

    def can_change_task(self, function_ids):
        """Rename, move to another area or delete a task (or an area of tasks)
        whose letters are held by hats of `function_ids`: admins always; managers
        only when every one of those functions is theirs (no letters: fine)."""
        if self.is_admin:
            return True
        return self.is_manager and set(function_ids) <= self.managed_function_ids

    @property
    def can_manage_people(self):
        return self.is_manager

    @property
    def can_import(self):
        return self.is_admin

    @property
    def can_change_settings(self):
        return self.is_admin


def function_links(org_id):
    """(id, parent id, head id) of every function of the organisation."""
    return list(Function.objects.filter(org_id=org_id).values_list("id", "parent_id", "head_id"))


def resolve(request, slug):
    """Return the caller's Access for organisation `slug`, or raise 404. One
    query."""
    if not request.user.is_authenticated:
        raise Http404
    # One Person per (organisation, user): the first is the only one.
    found = (
        Person.objects.select_related("org")
        .filter(org__slug=slug, user_id=request.user.id, active=True)
        .order_by()[:1]
    )
    if not found:
        raise Http404
    return Access(found[0])


def org_view(level=MEMBER):
    """Decorate a view under /o/<slug:org>/: sets `request.access`, 404 for
    non-members, 403 below `level`. The view no longer receives `org`."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, org, *args, **kwargs):
            access = resolve(request, org)
            request.access = access
            if access.org.require_two_factor and not two_factor_ready(request):
                messages.warning(
                    request,
                    _(
                        "%(org)s requires two-factor sign-in. Add an authenticator app "
                        "or a security key to continue."
                    )
                    % {"org": access.org.name},
                )
                return redirect("mfa_index")
            if not access.at_least(level):
                raise PermissionDenied
            if request.method in SAFE_METHODS:
                return view(request, *args, **kwargs)
            try:
                with stamp_raised_after():
                    return view(request, *args, **kwargs)
            finally:
                # Any request that may have written raises, once, the stamp
                # that the kept pages and the map are keyed by (roles.pagecache).
                Organisation.touch(access.org.id)

        wrapper.org_level = level
        return wrapper

    return decorate


def deny_unless(condition):
    if not condition:
        raise PermissionDenied


def get_in_org(model_or_qs, access, **lookup):
    """get_object_or_404 within the caller's organisation only."""
    qs = model_or_qs if hasattr(model_or_qs, "model") else model_or_qs.objects.all()
    return get_object_or_404(qs.filter(org=access.org), **lookup)


def memberships(user):
    """The caller's active Person rows, with their organisations."""
    return list(
        Person.objects.select_related("org").filter(user=user, active=True).order_by("org__name")
    )


def id_param(value):
    """A database id from a query or form parameter, or None. Strict: ASCII
    digits only (str.isdigit() accepts "²"), and no more than a bigint holds."""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not (value.isascii() and value.isdecimal()) or len(value) > 18:
        return None
    return int(value)
