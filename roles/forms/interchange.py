"""The matrix import form: a file, an optional sheet name, the function for new hats."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..interchange.reader import MAX_BYTES, SheetError, read_sheet
from ..models import Function


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("RACI sheet (CSV or XLSX)"),
        help_text=_("At most 5 MB, 5,000 rows and 300 columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,.tsv"}),
    )
    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        max_length=100,
        help_text=_("Leave empty to read the first sheet that looks like a matrix."),
    )
    function = forms.ModelChoiceField(
        label=_("Function for new hats"),
        queryset=Function.objects.none(),
        required=False,
        help_text=_("Columns that match no hat become new hats in this function."),
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["function"].queryset = Function.objects.for_org(org)
        self.fields["function"].empty_label = _("The function named in the sheet, or “Imported”")
        self.fields["function"].error_messages["invalid_choice"] = _(
            "Choose a function of this organisation."
        )
        self.content = None
        self.read = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large; the limit is %(limit)s MB.")
                % {"limit": MAX_BYTES // 1024 // 1024}
            )
        self.content = upload.read()
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.content is not None and not self.errors:
            try:
                self.read = read_sheet(self.content, cleaned["file"].name, cleaned.get("sheet"))
            except SheetError as exc:
                self.add_error("file", str(exc))
        return cleaned


class HandbookForm(forms.Form):
    function = forms.ModelChoiceField(
        label=_("Function"),
        queryset=Function.objects.none(),
        required=False,
        help_text=_("Leave empty for the whole company; a function includes those below it."),
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["function"].queryset = Function.objects.for_org(org).order_by("name")
        self.fields["function"].empty_label = _("The whole company")
        self.fields["function"].error_messages["invalid_choice"] = _(
            "Choose a function of this organisation."
        )
