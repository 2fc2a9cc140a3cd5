"""How a KPI's numbers are read: kind, direction, frequency, the hat's figure, the target."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import numbers as rules
from ..interchange.reader import MAX_BYTES, SheetError, load_grids
from ..models import KPI


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


class NumbersImportForm(forms.Form):
    file = forms.FileField(
        label=_("Numbers (CSV or XLSX)"),
        help_text=_("At most 5 MB. The first sheet is read."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,.tsv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large; the limit is %(limit)s MB.")
                % {"limit": MAX_BYTES // 1024 // 1024}
            )
        try:
            grids = load_grids(upload.read(), upload.name)
            # The first visible sheet (a hidden one is an old copy more often than not).
            sheet = next((g for g in grids if not g.hidden), grids[0] if grids else None)
            self.rows = sheet.load()[0] if sheet else []
        except SheetError as exc:
            raise forms.ValidationError(str(exc)) from None
        except Exception as exc:  # a file must never crash the page
            raise forms.ValidationError(
                _("The file could not be read (%(error)s).") % {"error": type(exc).__name__}
            ) from None
        return upload
