"""Forms, one module per page family. Every form with a foreign key takes `org=`
and narrows its querysets."""

from django.utils.translation import gettext_noop

# Django 6.1's empty choice in model form drop-downs; its own Swedish catalogue
# lacks it, so hatta's catalogue carries it.
gettext_noop("- Select an option -")
