"""People forms: add a person, edit a person, filter the people list."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Function, Hat, Person
from .functions import FunctionChoiceField, function_paths


class EmailUniqueMixin:
    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        taken = Person.objects.for_org(self.org).filter(email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("%(email)s already belongs to someone in this organisation."),
                params={"email": email},
            )
        return email

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the person a name."))
        return name


class HatChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, hat):
        return f"{hat.function.name} – {hat.title}"


class PersonAddForm(EmailUniqueMixin, forms.ModelForm):
    hat = HatChoiceField(
        queryset=Hat.objects.none(),
        required=False,
        label=_("Wears the hat"),
        help_text=_("Optional: the hat they start wearing now."),
        empty_label=_("(no hat yet)"),
    )
    share = forms.IntegerField(
        label=_("Share (%)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("Optional: the part of their time the hat takes."),
    )
    invite = forms.BooleanField(
        label=_("Send an invitation by email now"),
        required=False,
        help_text=_("They get a link to choose a password."),
    )

    class Meta:
        model = Person
        fields = ["name", "email", "access"]

    def __init__(self, *args, org, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.org, self.access = org, access
        self.instance.org = org
        if not access.is_admin:
            # Managers add members only; access levels are the admins' to set.
            del self.fields["access"]
            self.instance.access = Person.MEMBER
        self.fields["hat"].queryset = (
            Hat.objects.for_org(org)
            .filter(function_id__in=access.managed_function_ids)
            .select_related("function")
            .order_by("function__name", "title")
        )
        self.fields["hat"].error_messages["invalid_choice"] = _(
            "Choose a hat in a function you may edit."
        )

    def clean(self):
        data = super().clean()
        if data.get("share") and not data.get("hat"):
            self.add_error("share", _("A share needs a hat."))
        return data


class PersonEditForm(EmailUniqueMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["name", "email", "access", "active"]
        help_texts = {
            "active": _(
                "An inactive person can no longer open the organisation; "
                "their current hats become vacant. History is kept."
            )
        }

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org


class PeopleFilterForm(forms.Form):
    function = FunctionChoiceField(
        queryset=Function.objects.none(),
        required=False,
        label=_("Function"),
        empty_label=_("All functions"),
        help_text=_("Its sub-functions included."),
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["function"].queryset = Function.objects.for_org(org)
        self.fields["function"].set_paths(function_paths(org))
        self.fields["function"].error_messages["invalid_choice"] = _(
            "That function does not exist here; showing everyone."
        )
