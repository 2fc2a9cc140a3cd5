"""Forms, one module per page family. Every form with a foreign key takes `org=`
and narrows its querysets."""

from .auth import EmailAuthenticationForm

__all__ = ["EmailAuthenticationForm"]
