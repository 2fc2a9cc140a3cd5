"""Weekly numbers: one value per KPI, per wearer, per period, and the history
of every change to them. Hat, function and company figures are computed from
these rows when read (roles.services.numbers), never stored."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, org_field


class KPIValue(OrgOwned):
    """A wearer's number for one KPI in one period (`period`: its first day)."""

    org = org_field("kpi_values")
    kpi = models.ForeignKey(
        "roles.KPI", on_delete=models.CASCADE, related_name="values", verbose_name=_("KPI")
    )
    person = models.ForeignKey(
        "roles.Person",
        on_delete=models.CASCADE,
        related_name="kpi_values",
        verbose_name=_("person"),
    )
    period = models.DateField(_("period"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    # Entered after the period had ended.
    late = models.BooleanField(_("late"), default=False)
    author = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
    )
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["period", "id"]
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "person", "period"], name="kpi_value_one_per_period"
            ),
        ]
        indexes = [models.Index(fields=["kpi", "period"]), models.Index(fields=["org", "period"])]

    def __str__(self):
        return f"{self.kpi_id} {self.person_id} {self.period}: {self.value}"


class KPIValueChange(OrgOwned):
    """History of the numbers: who changed a value, when, from what to what."""

    org = org_field("kpi_value_changes")
    kpi = models.ForeignKey(
        "roles.KPI", on_delete=models.CASCADE, related_name="value_changes", verbose_name=_("KPI")
    )
    person = models.ForeignKey(
        "roles.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("wearer")
    )
    period = models.DateField(_("period"))
    author = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    old = models.DecimalField(_("before"), max_digits=14, decimal_places=4, null=True, blank=True)
    new = models.DecimalField(_("after"), max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("KPI value change")
        verbose_name_plural = _("KPI value changes")
        indexes = [models.Index(fields=["kpi", "-at"])]

    def __str__(self):
        return f"{self.kpi_id} {self.period}: {self.old} → {self.new}"


__all__ = ["KPIValue", "KPIValueChange"]
