from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, org_field


class Function(OrgOwned):
    """A department or function; functions form a tree under the organisation."""

    org = org_field("functions")
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="children",
        verbose_name=_("part of"),
    )
    head = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_functions",
        verbose_name=_("head"),
    )
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("function")
        verbose_name_plural = _("functions")
        constraints = [
            models.UniqueConstraint("org", Lower("name"), name="function_name_ci_unique_per_org"),
        ]

    def __str__(self):
        return self.name
