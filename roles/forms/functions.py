"""Function forms: create, edit (rename, describe, set the head, move)."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..models import Function, Person
from ..services.functions import check_parent
from ..tree import ancestors


def function_paths(org):
    """{id: "Ledning › Försäljning › Innesälj"} for labelling choices. One query."""
    rows = list(Function.objects.for_org(org).values_list("id", "parent_id", "name"))
    parent_of = {fid: parent for fid, parent, _ in rows}
    name_of = {fid: name for fid, _, name in rows}
    return {
        fid: " › ".join(name_of[a] for a in [*reversed(ancestors(parent_of, fid)), fid])
        for fid in name_of
    }


class FunctionChoiceField(forms.ModelChoiceField):
    """Functions labelled with their place in the tree, listed in tree order."""

    paths = None

    def label_from_instance(self, function):
        return (self.paths or {}).get(function.id, function.name)

    def set_paths(self, paths):
        self.paths = paths
        ids = sorted(paths, key=lambda fid: paths[fid].casefold())
        order = models.Case(
            *[models.When(id=fid, then=pos) for pos, fid in enumerate(ids)],
            default=len(ids),
        )
        self.queryset = self.queryset.order_by(order)


class FunctionForm(forms.ModelForm):
    class Meta:
        model = Function
        fields = ["name", "parent", "head", "description"]
        field_classes = {"parent": FunctionChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "parent": _("The function this one belongs to."),
            "head": _("Leads the function and holds its vacant hats."),
        }

    def __init__(self, *args, org, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.org, self.access = org, access
        self.instance.org = org
        parents = Function.objects.for_org(org)
        if not access.is_admin:
            allowed = set(access.managed_function_ids)
            if self.instance.parent_id:
                allowed.add(self.instance.parent_id)
            parents = parents.filter(id__in=allowed)
            # A manager works below the functions they manage; only an admin makes a top level.
            self.fields["parent"].required = not (
                self.instance.pk and self.instance.parent_id is None
            )
        self.fields["parent"].queryset = parents
        self.fields["parent"].set_paths(function_paths(org))
        self.fields["parent"].empty_label = _("(top level)")
        self.fields["parent"].error_messages["invalid_choice"] = _(
            "Choose a function of this organisation that you may edit."
        )
        self.fields["head"].queryset = Person.objects.for_org(org).filter(active=True)
        self.fields["head"].empty_label = _("(nobody)")
        self.fields["head"].error_messages["invalid_choice"] = _(
            "Choose an active person of this organisation."
        )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the function a name."))
        # Compared in Python: SQLite's LOWER() folds ASCII only ("Ö" ≠ "ö").
        others = Function.objects.for_org(self.org).exclude(pk=self.instance.pk)
        if name.casefold() in {n.casefold() for n in others.values_list("name", flat=True)}:
            raise forms.ValidationError(
                _("There is already a function called “%(name)s”."), params={"name": name}
            )
        return name

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        check_parent(self.org, self.instance, parent)
        return parent

    def name_taken(self):
        """The database refused the name after all (a concurrent save)."""
        self.add_error(
            "name",
            _("There is already a function called “%(name)s”.")
            % {"name": self.cleaned_data.get("name", "")},
        )
