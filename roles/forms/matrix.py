"""Forms of the matrix page: one cell (the no-JavaScript path), tasks and areas."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import raci
from ..models import Area, Task

# Letters R, A, C, I in any case, with the separators people use between them.
RACI_TEXT = re.compile(r"[RACIraci\s/,;+&]*")


class CellForm(forms.Form):
    """A cell's new letters. `letters` may be any RACI combination as people
    write it; text that is not R, A, C or I is refused."""

    letters = forms.CharField(label=_("Letters"), required=False, max_length=40)
    expected = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean_letters(self):
        text = self.cleaned_data.get("letters", "")
        cell = raci.parse_cell(text)
        # Stricter than an import: "N", "-" or "x" for "none" are for spreadsheets;
        # here a cell is emptied by sending nothing.
        if cell.unknown or not RACI_TEXT.fullmatch(text):
            raise forms.ValidationError(
                _("“%(text)s” is not a RACI letter: use R, A, C or I."),
                params={"text": cell.unknown or text},
            )
        return cell.letters

    def clean_expected(self):
        if "expected" not in self.data:
            return None  # no stale-page check requested
        cell = raci.parse_cell(self.cleaned_data.get("expected", ""))
        return None if cell.unknown else cell.letters


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ["name", "area", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.instance.org = org
        self.fields["area"].queryset = Area.objects.for_org(org)
        self.fields["area"].empty_label = _("(no area)")
        self.fields["area"].error_messages["invalid_choice"] = _(
            "Choose an area of this organisation."
        )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the task a name."))
        return name


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["name"]

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.instance.org = org

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the area a name."))
        taken = Area.objects.for_org(self.org).filter(name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("There is already an area called “%(name)s”."), params={"name": name}
            )
        return name

    def name_taken(self):
        self.add_error("name", _("There is already an area with that name."))


class AreaDeleteForm(forms.Form):
    """Where the tasks of an area go when it is deleted."""

    move_to = forms.ModelChoiceField(
        label=_("Move its tasks to"), queryset=Area.objects.none(), required=False
    )

    def __init__(self, *args, org, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = Area.objects.for_org(org).exclude(pk=area.pk)
        self.fields["move_to"].empty_label = _("(no area)")
        self.fields["move_to"].error_messages["invalid_choice"] = _(
            "Choose another area of this organisation."
        )
