"""The organisation's settings: the thresholds of the hatting health checks, and
whether everyone must sign in with two-factor."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from ..models import Organisation

# Sane upper bounds: beyond these a threshold no longer flags anyone.
MAXIMA = {"max_accountable": 500, "max_hats": 50, "overload_share": 500}


class ThresholdsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["max_accountable", "max_hats", "overload_share", "require_two_factor"]
        help_texts = {
            "max_accountable": _(
                "A person accountable (A) for more tasks than this is overloaded."
            ),
            "max_hats": _("A person wearing more hats than this is overloaded."),
            "overload_share": _(
                "A person whose shares of time add up to more than this (in %) is overloaded."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["require_two_factor"].required = False
        for name, top in MAXIMA.items():
            f = self.fields[name]
            f.required = True
            f.min_value, f.max_value = 1, top
            f.validators += [MinValueValidator(1), MaxValueValidator(top)]
            f.widget.attrs.update({"min": 1, "max": top})
