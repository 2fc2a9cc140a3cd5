"""The matrix import form: a file, an optional sheet name, the function for new
hats; and the choices of the preview (where each column, area and same-named
task goes)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..interchange.reader import MAX_BYTES, SheetError, check_upload
from ..models import Function


class UploadForm(forms.Form):
    """A file to import, checked only as far as needs no parser: a job reads it.
    `content` holds its bytes once valid. Subclasses declare the `file` field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.content = None

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
                check_upload(self.content, cleaned["file"].name)
            except SheetError as exc:
                self.add_error("file", str(exc))
        return cleaned


class ImportForm(UploadForm):
    file = forms.FileField(
        label=_("RACI sheet (CSV, Excel or OpenDocument)"),
        help_text=_("At most 5 MB, 5,000 rows, 300 columns and 200,000 filled cells."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xlsm,.ods,.xls,.txt,.tsv"}),
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
        self.fields["function"].empty_label = _(
            "The function named in the sheet, else the first top-level function"
        )
        self.fields["function"].error_messages["invalid_choice"] = _(
            "Choose a function of this organisation."
        )


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


# Preview choices ----------------------------------------------------------------------
# Columns offered a choice on the preview page; the others keep theirs.
CHOICE_COLUMNS = 30


def choices_changed(post, data):
    """True when the posted fields differ from what the preview showed (a field
    not posted is as shown): Apply must not discard a choice not yet read."""
    if (post.get("sheet") or data["sheet"]["name"]) != data["sheet"]["name"]:
        return True
    for column in data["columns"][:CHOICE_COLUMNS]:
        if post.get(f"column-{column['column']}", column["choice"]) != column["choice"]:
            return True
    if data.get("needs_area") and " ".join(post.get("area", data["area"]).split()) != data["area"]:
        return True
    for index, task in enumerate(data["same_named"]):
        shown = "apart" if task["apart"] else "merge"
        if post.get(f"task-{index}", shown) != shown:
            return True
    return False


def import_choices(post, data):
    """The choices posted from the preview page, over those the preview was made
    with (`data["choices"]`): a column or task the page did not offer keeps its
    choice, so nothing chosen before is lost. Ids are checked by the importer,
    which ignores any that are not the organisation's."""
    choices = dict(data.get("choices") or {})
    hats = dict(choices.get("hats") or {})
    for column in data["columns"][:CHOICE_COLUMNS]:
        key = str(column["column"])
        kind, _sep, ident = (post.get(f"column-{key}") or "").partition(":")
        if kind == "ignore":
            hats[key] = {"ignore": True}
        elif kind in ("hat", "function") and ident.isdigit():
            hats[key] = {kind: int(ident)}
        elif kind == "new":
            hats.pop(key, None)  # the default place for a new hat
    choices["hats"] = hats
    if data.get("needs_area") and "area" in post:
        area = " ".join(post["area"].split())[:200]
        if area:
            choices["area"] = area
        else:
            choices.pop("area", None)
    tasks = dict(choices.get("tasks") or {})
    for index, task in enumerate(data["same_named"]):
        value = post.get(f"task-{index}")
        if value == "apart":
            tasks[task["key"]] = "apart"
        elif value == "merge" and tasks.get(task["key"]) == "apart":
            del tasks[task["key"]]
    choices["tasks"] = tasks
    return choices
