"""Import, export and backup of an organisation's data (see README.md)."""

from django.utils.translation import gettext_lazy as _

# CellChange.note holds a stable code for writes made by the app itself; these
# are the words shown for them. Any other note (typed by a person, or "A → hat")
# is shown as it is.
NOTE_LABELS = {
    "import": _("import"),
    "undo": _("undo"),
}


def note_label(note):
    """The text to show for a CellChange note, in the active language."""
    return NOTE_LABELS.get(note, note)
