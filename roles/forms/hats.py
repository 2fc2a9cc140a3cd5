"""Forms of the hat pages. Every form takes `org=` and narrows its choices to it."""

from django import forms
from django.core import signing
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from .. import hat_templates
from ..access import id_param
from ..models import Function, Hat, Person, Task
from ..services.hats import check_reports_to
from .widgets import FastSelect

DUTY_CHOICES = [("R", "R"), ("A", "A"), ("A/R", "A/R")]
NOT_THIS_ORG = _("Choose from the list: that choice is not available here.")
# At most this many tasks or people are offered in a list; a search finds the rest.
CHOICES_CAP = 200
BASE_SALT = "roles.hat-editor.base"


def sign_base(hat, state):
    """The editor's hidden `base`: the hat's editable fields when it was loaded
    (services.hats.hat_state), signed so it can be trusted for a merge."""
    return signing.dumps({"hat": hat.pk, "state": state}, salt=BASE_SALT, compress=True)


def unsign_base(hat, token):
    """The state signed by sign_base for this hat, or None (missing, altered or
    for another hat: the merge then treats every difference as a conflict)."""
    try:
        data = signing.loads(token or "", salt=BASE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("hat") != hat.pk:
        return None
    state = data.get("state")
    return state if isinstance(state, dict) else None


def offer(field, rows, selected=None):
    """Let a model choice field's widget list only `rows` (plus the selected
    object), while it still validates against its whole queryset."""
    if selected is not None and selected not in rows:
        rows = [selected, *rows]
    field.widget.choices = [("", field.empty_label or "")] + [
        (obj.pk, field.label_from_instance(obj)) for obj in rows
    ]


class HatChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.function.name})"


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.area.name} – {obj.name}" if obj.area_id else obj.name


def title_taken(function, title, exclude_pk=None):
    qs = Hat.objects.filter(function=function, title__iexact=title.strip())
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


class HatForm(forms.ModelForm):
    """The hat's own fields. `version` is the hat's version when the editor opened."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    base = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Hat
        fields = ["title", "function", "purpose", "product", "authority", "reports_to", "notes"]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "product": forms.Textarea(attrs={"rows": 3}),
            "authority": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, org, access, base=None, **kwargs):
        """`base`: the hat's state (services.hats.hat_state) the editor starts from."""
        super().__init__(*args, **kwargs)
        self.org = org
        hat = self.instance
        self.fields["title"].error_messages["required"] = _("Give the hat a title.")
        # The widget first: setting the queryset gives the widget its choices.
        self.fields["function"].widget = FastSelect()
        self.fields["function"].queryset = (
            Function.objects.for_org(org).filter(pk__in=access.managed_function_ids).only("name")
        )
        self.fields["function"].error_messages["invalid_choice"] = _(
            "Choose a function you may edit."
        )
        self.fields["reports_to"] = HatChoiceField(
            queryset=Hat.objects.for_org(org).exclude(pk=hat.pk).select_related("function"),
            required=False,
            label=_("Reports to"),
            widget=FastSelect(),
            error_messages={
                "invalid_choice": _(
                    "Choose another hat of this organisation: a hat cannot report to itself."
                )
            },
        )
        self.offer_bosses(hat)
        if not self.is_bound:
            self.initial["version"] = hat.version
            if base is not None:
                self.initial["base"] = sign_base(hat, base)

    def offer_bosses(self, hat):
        """Offer at most CHOICES_CAP other hats to report to (the one chosen
        now first), as plain (id, label) rows; the field searches the rest on
        the server as the user types (views.suggest). The list is what a
        browser without JavaScript chooses from. One query."""
        field = self.fields["reports_to"]
        chosen = self.data.get("reports_to") if self.is_bound else hat.reports_to_id
        chosen = id_param(chosen) or 0  # strict: "²" passes str.isdigit(), not int()
        rows = (
            field.queryset.annotate(chosen=Case(When(pk=chosen, then=Value(0)), default=Value(1)))
            .order_by("chosen", "function__name", "title", "pk")
            .values_list("pk", "title", "function__name")[:CHOICES_CAP]
        )
        field.widget.choices = [("", field.empty_label or "")] + [
            (pk, f"{title} ({function})") for pk, title, function in rows
        ]

    def clean_base(self):
        return unsign_base(self.instance, self.cleaned_data.get("base"))

    def clean_title(self):
        title = (self.cleaned_data.get("title") or "").strip()
        if not title:
            raise forms.ValidationError(_("Give the hat a title."))
        return title

    def clean_reports_to(self):
        boss = self.cleaned_data.get("reports_to")
        check_reports_to(self.instance, boss)
        return boss

    def clean(self):
        data = super().clean()
        title, function = data.get("title"), data.get("function")
        if title and function and title_taken(function, title, self.instance.pk):
            self.add_error(
                "title",
                _("%(function)s already has a hat called “%(title)s”.")
                % {"function": function.name, "title": title},
            )
        return data

    def values(self):
        """{field: value} for services.hats.save_hat."""
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class RowForm(forms.Form):
    """One row of an inline list. The hidden `position` orders the rows (the
    page's drag and move buttons renumber it); blank keeps them in place."""

    position = forms.IntegerField(
        label=_("Position"), required=False, min_value=0, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, f in self.fields.items():
            f.widget.attrs["class"] = "form-control form-control-sm" + (
                " position-input" if name == "position" else ""
            )


class KPIForm(RowForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("A KPI needs a name.")},
    )
    target = forms.CharField(label=_("Target"), max_length=100, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=50, required=False)
    period = forms.CharField(label=_("Period"), max_length=50, required=False)
    field_order = ["name", "target", "unit", "period", "position"]


class ChecklistForm(RowForm):
    text = forms.CharField(
        label=_("Item"),
        max_length=500,
        error_messages={"required": _("Write the item, or tick Remove.")},
    )
    field_order = ["text", "position"]


class RowFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


KPIFormSet = forms.formset_factory(
    KPIForm, formset=RowFormSet, extra=2, can_delete=True, max_num=50
)
ChecklistFormSet = forms.formset_factory(
    ChecklistForm, formset=RowFormSet, extra=2, can_delete=True, max_num=100
)


def ordered_rows(formset, fields):
    """The kept rows of a valid formset as dicts, ordered by position (then as shown)."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        position = data.get("position")
        key = (position if position is not None else index, index)
        rows.append((key, {f: (data.get(f) or "").strip() for f in fields}))
    return [row for _key, row in sorted(rows, key=lambda r: r[0])]


def kpi_initial(hat_kpis):
    return [
        {
            "name": k.name,
            "target": k.target,
            "unit": k.unit,
            "period": k.period,
            "position": i + 1,
        }
        for i, k in enumerate(hat_kpis)
    ]


def checklist_initial(items):
    return [{"text": c.text, "position": i + 1} for i, c in enumerate(items)]


class DutyForm(forms.Form):
    """Make the hat R, A or A/R for an existing task or a new one."""

    task = TaskChoiceField(
        queryset=Task.objects.none(),
        required=False,
        label=_("Existing task"),
        widget=FastSelect(),
    )
    new_task = forms.CharField(label=_("…or a new task"), max_length=300, required=False)
    area = forms.CharField(
        label=_("Area of the new task"),
        max_length=200,
        required=False,
        help_text=_("An existing area's name, or a new one."),
    )
    letters = forms.ChoiceField(label=_("The hat is"), choices=DUTY_CHOICES, initial="R")

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = (
            Task.objects.for_org(org)
            .select_related("area")
            .order_by("area__position", "area_id", "position", "id")
        )
        self.fields["task"].error_messages["invalid_choice"] = NOT_THIS_ORG
        self.org = org
        self.shown = self.total = 0

    def offer_tasks(self, hat, q=""):
        """List at most CHOICES_CAP tasks: those named like `q`, the areas this
        hat's function already works in first. Two queries whatever the size."""
        # The areas this function works in, found once: not a lookup per task.
        areas_here = Task.objects.filter(
            org=self.org, responsibilities__hat__function_id=hat.function_id
        ).values("area_id")
        qs = Task.objects.for_org(self.org)
        if q:
            qs = qs.filter(name__icontains=q)
        rows = list(
            qs.select_related("area")
            .annotate(near=Case(When(area_id__in=areas_here, then=Value(1)), default=Value(0)))
            .order_by("-near", "area__position", "area_id", "position", "id")[:CHOICES_CAP]
        )
        self.shown, self.total = len(rows), qs.count()
        field = self.fields["task"]
        offer(field, rows, getattr(self, "cleaned_data", {}).get("task"))
        if q or self.shown < self.total:
            field.help_text = _(
                "Showing %(shown)s of %(total)s tasks, the areas this function works in"
                " first. Search to find others."
            ) % {"shown": self.shown, "total": self.total}

    def clean(self):
        data = super().clean()
        task, name = data.get("task"), (data.get("new_task") or "").strip()
        if "task" in self.errors:
            return data
        if task and name:
            raise forms.ValidationError(_("Choose an existing task or name a new one, not both."))
        if not task and not name:
            raise forms.ValidationError(_("Choose a task or name a new one."))
        data["new_task"] = name
        return data


class WearerForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(), label=_("Person"), widget=FastSelect()
    )
    share = forms.IntegerField(
        label=_("Share (%)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("Optional: how much of their time, 1–100 %."),
        error_messages={
            "min_value": _("A share is between 1 and 100 %%."),
            "max_value": _("A share is between 1 and 100 %%."),
        },
    )

    def __init__(self, *args, org, hat, **kwargs):
        super().__init__(*args, **kwargs)
        self.hat = hat
        self.fields["person"].queryset = Person.objects.for_org(org).filter(active=True)
        self.fields["person"].error_messages["invalid_choice"] = _(
            "Choose an active person of this organisation."
        )
        self.shown = self.total = 0

    def offer_people(self, q=""):
        """List at most CHOICES_CAP active people, those named like `q`. Two queries."""
        qs = self.fields["person"].queryset
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q))
        rows = list(qs.order_by("name", "id")[:CHOICES_CAP])
        self.shown, self.total = len(rows), qs.count()
        field = self.fields["person"]
        offer(field, rows, getattr(self, "cleaned_data", {}).get("person"))
        if q or self.shown < self.total:
            field.help_text = _("Showing %(shown)s of %(total)s people. Search to find others.") % {
                "shown": self.shown,
                "total": self.total,
            }

    def clean_person(self):
        person = self.cleaned_data["person"]
        if self.hat.assignments.filter(person=person, ended__isnull=True).exists():
            raise forms.ValidationError(
                _("%(name)s already wears this hat.") % {"name": person.name}
            )
        return person


class EndWearerForm(forms.Form):
    note = forms.CharField(
        label=_("Handover note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: what the next wearer should know."),
    )


PUBLISH_KINDS = [
    ("new", _("A new revision: the wearers are asked to confirm it and see what changed")),
    ("minor", _("A minor edit (a typo, a wording): the wearers are not asked again")),
]


class PublishForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Publish as"),
        choices=PUBLISH_KINDS,
        initial="new",
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Change note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What changed, in a sentence."),
    )
    # A digest of the changes the page showed: publish only what was seen.
    shown = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args, first=False, **kwargs):
        super().__init__(*args, **kwargs)
        if first:  # nothing to keep confirmations from: a first revision is new
            self.fields["kind"].choices = PUBLISH_KINDS[:1]

    def clean_kind(self):
        return self.cleaned_data.get("kind") or "new"


class NewHatForm(forms.Form):
    template = forms.ChoiceField(label=_("Start from"), required=False)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Required for a blank hat; for a template, leave empty to use its title."),
    )

    def __init__(self, *args, function, language=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.function = function
        # The templates' titles in the organisation's language: the hat is made in it.
        self.fields["template"].choices = [("", _("A blank hat"))] + hat_templates.choices(language)

    def clean(self):
        data = super().clean()
        title = (data.get("title") or "").strip()
        data["title"] = title
        if "template" in self.errors:
            return data
        if not title and not data.get("template"):
            self.add_error("title", _("Give the hat a title, or choose a template."))
        elif title and title_taken(self.function, title):
            self.add_error(
                "title",
                _("%(function)s already has a hat called “%(title)s”.")
                % {"function": self.function.name, "title": title},
            )
        return data
