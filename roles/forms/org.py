"""The organisation's settings: its language, the thresholds of the hatting health checks, the
calendar of the weekly numbers, and whether everyone must sign in with two-factor."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from ..models import Organisation

# Sane upper bounds: beyond these a threshold no longer flags anyone.
MAXIMA = {
    "max_accountable": 500,
    "max_hats": 50,
    "overload_share": 500,
    "kpi_off_target_periods": 52,
}
# A minimum of 0: numbers due the day after their period.
GRACE_MAX = 27


class ThresholdsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "language",
            "max_accountable",
            "max_hats",
            "overload_share",
            "week_ends",
            "kpi_grace_days",
            "kpi_off_target_periods",
            "require_two_factor",
        ]
        # Seven days as radio buttons: a short, fixed choice.
        widgets = {"week_ends": forms.RadioSelect}
        help_texts = {
            "language": _(
                "The language of what hatta writes for the organisation: hats made from a "
                "template, invitations, background reports. Everyone still reads hatta in "
                "the language they choose."
            ),
            "max_accountable": _(
                "A person accountable (A) for more tasks than this is overloaded."
            ),
            "max_hats": _("A person wearing more hats than this is overloaded."),
            "overload_share": _(
                "A person whose shares of time add up to more than this (in %) is overloaded."
            ),
            "week_ends": _("Weekly numbers are for the week that ends on this day."),
            "kpi_grace_days": _(
                "A period's numbers count as missing this many days after it ended."
            ),
            "kpi_off_target_periods": _(
                "A KPI off target this many periods in a row fails its health check."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["require_two_factor"].required = False
        # A form posted without the field (an older page) keeps the language.
        self.fields["language"].required = False
        for name, top in MAXIMA.items():
            f = self.fields[name]
            f.required = True
            f.min_value, f.max_value = 1, top
            f.validators += [MinValueValidator(1), MaxValueValidator(top)]
            f.widget.attrs.update({"min": 1, "max": top})
        grace = self.fields["kpi_grace_days"]
        grace.required = True
        grace.min_value, grace.max_value = 0, GRACE_MAX
        grace.validators += [MinValueValidator(0), MaxValueValidator(GRACE_MAX)]
        grace.widget.attrs.update({"min": 0, "max": GRACE_MAX})

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language
