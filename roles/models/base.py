"""Tenancy at the model layer: every organisation row knows its organisation,
and no link may cross from one organisation to another."""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

BATCH = 1000  # ids per query


def org_links(model, names=None):
    """The foreign keys of `model` (or those of them in `names`) to another
    organisation row, apart from `org` itself."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.is_relation
        and field.name != "org"
        and (names is None or field.name in names or field.attname in names)
        and isinstance(field.related_model, type)
        and issubclass(field.related_model, OrgOwned)
    ]


def cross_org_links(rows, names=None):
    """Names of the foreign keys by which any of `rows` (of one organisation
    model) points into another organisation: the one check behind every write,
    row by row (OrgOwned.save) or in bulk (OrgQuerySet). A linked row already
    loaded is trusted; the others are read, one query per foreign key and
    BATCH ids, whatever the number of rows."""
    rows = list(rows)
    if not rows:
        return []
    bad = []
    for field in org_links(type(rows[0]), names):
        wanted = set()
        for row in rows:
            target_id = getattr(row, field.attname)
            if target_id is None:
                continue
            cached = field.get_cached_value(row, None)
            if cached is not None and cached.pk == target_id:
                if cached.org_id != row.org_id:
                    bad.append(field.name)
                    break
            else:
                wanted.add((target_id, row.org_id))
        else:
            ids = sorted({target_id for target_id, _org in wanted})
            found = set()
            for start in range(0, len(ids), BATCH):
                found.update(
                    field.related_model._base_manager.filter(
                        pk__in=ids[start : start + BATCH]
                    ).values_list("pk", "org_id")
                )
            if wanted - found:
                bad.append(field.name)
    return bad


def refuse_cross_org(rows, names=None):
    """Raise ValidationError when any of `rows` links two organisations."""
    bad = cross_org_links(rows, names)
    if bad:
        raise ValidationError(
            _("%(fields)s must belong to the same organisation."),
            params={"fields": ", ".join(bad)},
            code="cross_org",
        )


class OrgQuerySet(models.QuerySet):
    """Bulk writes check their links as `save()` does (refuse_cross_org)."""

    def for_org(self, org):
        return self.filter(org=org)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        refuse_cross_org(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        refuse_cross_org(objs, fields)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        """A link set on many rows at once must be of their organisation: one
        more query per link given as a row or an id (not for expressions)."""
        for field in org_links(self.model, kwargs):
            value = kwargs.get(field.name, kwargs.get(field.attname))
            if isinstance(value, models.Model):
                org_id = value.org_id
            elif isinstance(value, int):
                org_id = (
                    field.related_model._base_manager.filter(pk=value)
                    .values_list("org_id", flat=True)
                    .first()
                )
            else:
                continue  # None, or an expression the database evaluates
            if org_id is None or self.exclude(org_id=org_id).exists():
                raise ValidationError(
                    _("%(fields)s must belong to the same organisation."),
                    params={"fields": field.name},
                    code="cross_org",
                )
        return super().update(**kwargs)


class OrgOwned(models.Model):
    """Abstract base for rows that belong to one organisation.

    `save()` and the bulk writes of its queryset refuse a foreign key to
    another organisation's row (refuse_cross_org): no row links two
    organisations, whatever path wrote it.
    """

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        refuse_cross_org([self])
        super().save(*args, **kwargs)
        touch_on_commit(self.org_id)

    def delete(self, *args, **kwargs):
        org_id = self.org_id
        result = super().delete(*args, **kwargs)
        touch_on_commit(org_id)
        return result


# True while a caller that raises the stamp itself once it is done (a writing
# request, see roles.access.org_view) runs: its writes need not raise it each.
_stamp_raised_after = ContextVar("stamp_raised_after", default=False)


@contextmanager
def stamp_raised_after():
    """Within this block the caller raises the organisation's stamp itself when
    the block ends, once, instead of once per row written (each raise is a
    commit of its own)."""
    token = _stamp_raised_after.set(True)
    try:
        yield
    finally:
        _stamp_raised_after.reset(token)


def touch_on_commit(org_id):
    """Raise the organisation's stamp once the write is committed. Requests
    raise it themselves (stamp_raised_after); this covers writes from elsewhere
    (a job, the admin, a shell, a command)."""
    from .organisation import Organisation  # noqa: PLC0415 - it imports this module

    if not _stamp_raised_after.get():
        transaction.on_commit(partial(Organisation.touch, org_id))


def org_field(related_name):
    return models.ForeignKey(
        "roles.Organisation",
        on_delete=models.CASCADE,
        related_name=related_name,
        verbose_name=_("organisation"),
    )
