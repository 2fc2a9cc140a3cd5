"""Tenancy at the model layer: every organisation row knows its organisation,
and no link may cross from one organisation to another."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgQuerySet(models.QuerySet):
    def for_org(self, org):
        return self.filter(org=org)


class OrgOwned(models.Model):
    """Abstract base for rows that belong to one organisation.

    `save()` refuses a foreign key to another organisation's row; that check is
    the one place where cross-organisation links are stopped.
    """

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        bad = self.cross_org_links()
        if bad:
            raise ValidationError(
                _("%(fields)s must belong to the same organisation."),
                params={"fields": ", ".join(bad)},
                code="cross_org",
            )
        super().save(*args, **kwargs)

    def cross_org_links(self):
        """Names of foreign keys that point into another organisation."""
        bad = []
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "org":
                continue
            target = field.related_model
            if not (isinstance(target, type) and issubclass(target, OrgOwned)):
                continue
            target_id = getattr(self, field.attname)
            if target_id is None:
                continue
            cached = field.get_cached_value(self, None)
            if cached is not None:
                same = cached.org_id == self.org_id
            else:
                same = target._base_manager.filter(pk=target_id, org_id=self.org_id).exists()
            if not same:
                bad.append(field.name)
        return bad


def org_field(related_name):
    return models.ForeignKey(
        "roles.Organisation",
        on_delete=models.CASCADE,
        related_name=related_name,
        verbose_name=_("organisation"),
    )
