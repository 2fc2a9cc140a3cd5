"""Who hears what, and how: a person's own choices and the organisation's defaults."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Organisation
from ..models.notifications import CHANNELS, KINDS


class ChannelsForm(forms.Form):
    """One choice of channel per kind of notification."""

    def __init__(self, *args, initial_channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in KINDS:
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=CHANNELS, initial=(initial_channels or {}).get(kind)
            )


class PreferencesForm(ChannelsForm):
    def __init__(self, *args, language="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            label=_("Language of my emails"),
            choices=[("", _("The organisation's language")), *Organisation.LANGUAGES],
            required=False,
            initial=language,
        )
