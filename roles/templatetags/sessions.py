"""The device of a signed-in session, in words, from its browser's user agent."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()

# First match wins: Edge and Opera also say Chrome, Chrome also says Safari.
BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def first(pairs, text):
    return next((name for marker, name in pairs if marker in text), None)


@register.filter
def device(user_agent):
    """'Firefox on Linux', 'Safari on iPhone'; the raw text's start when unknown."""
    ua = user_agent or ""
    browser, system = first(BROWSERS, ua), first(SYSTEMS, ua)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or (ua[:60] if ua else _("Unknown device"))
