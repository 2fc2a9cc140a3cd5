"""How a KPI's numbers are read: kind, direction, frequency, the hat's figure, the target."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import numbers as rules
from ..models import KPI
from .interchange import UploadForm


class KPISettingsForm(forms.ModelForm):
    class Meta:
        model = KPI
        fields = ["value_kind", "direction", "frequency", "aggregation", "goal", "goal_high"]
        localized_fields = ["goal", "goal_high"]

    def clean(self):
        data = super().clean()
        kind = data.get("value_kind") or rules.COUNT
        for name in ("goal", "goal_high"):
            value = data.get(name)
            if value is not None:
                try:
                    rules.check_value(value, kind)
                except rules.BadNumber as bad:
                    self.add_error(name, str(bad))
        if data.get("direction") == rules.RANGE and data.get("goal") is not None:
            if data.get("goal_high") is None:
                self.add_error("goal_high", _("A range needs its upper end."))
            elif data["goal_high"] < data["goal"]:
                self.add_error("goal_high", _("The upper end is below the lower end."))
        return data


class NumbersImportForm(UploadForm):
    """The numbers sheet; read and planned by a job (see UploadForm)."""

    file = forms.FileField(
        label=_("Numbers (CSV or XLSX)"),
        help_text=_("At most 5 MB. The first sheet is read."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,.tsv"}),
    )
