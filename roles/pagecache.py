"""The most read pages of an organisation (the map, My hats, a hat, a function,
the matrix) are read far more often than the organisation changes. Their
content is kept in Django's cache under a key holding the organisation's stamp,
which every write raises (see roles.models.base.stamp_raised_after and
roles.access.org_view): a key is never invalidated, it simply stops being asked
for. Only the page's own content is kept (the map keeps its context: it holds
no form); the frame around it (navigation, the bell, messages) is rendered on
every request.

What else a page's content depends on is in the key too: who asks (their rights
and their own hats), the language, the day (what is due, this week), the full
path (filters, the week shown) and the browser's CSRF secret, because the
content holds forms whose token only that browser's secret accepts."""

import hashlib

from django.core.cache import caches
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

# A day at most: the key holds the date as well as the organisation's stamp.
PAGE_CACHE_SECONDS = 24 * 60 * 60


def page_key(request, name, *parts):
    """The cache key of page `name` for this request's organisation, stamp,
    person, language and day, with the page's own `parts`."""
    acc = request.access
    common = (acc.org.id, acc.org.stamp, acc.person.id, get_language())
    day = timezone.localdate().isoformat()
    # The page's own parts (a path with its query string) may be long: a digest
    # keeps the key short enough for any cache backend.
    own = hashlib.sha256("\n".join(str(part) for part in parts).encode()).hexdigest()[:24]
    return ":".join(str(part) for part in ("page", name, *common, day, own))


def csrf_secret(request):
    """The browser's CSRF secret (made now if it has none yet, as rendering a
    form would); it only goes into a key through a digest."""
    get_token(request)
    return request.META["CSRF_COOKIE"]


def render_cached(request, template, build, title=None, frame=None, keep=True):
    """Answer with `template`, whose `content` partial is rendered from the
    context build() returns and kept while the organisation's stamp stands.
    `template` shows the kept content with {{ content }}; `title(context)`
    gives the page's title when it depends on what build() read (kept with the
    content); `frame` is what the rest of the template needs. With `keep`
    false the content is rendered afresh and not kept (it shows something of
    this request's own)."""
    key = page_key(request, template, request.get_full_path(), csrf_secret(request))
    kept = caches["pages"]
    page = kept.get(key) if keep else None
    if page is None:
        context = build()
        page = {
            "content": render_to_string(f"{template}#content", context, request),
            "title": title(context) if title else "",
        }
        if keep:
            kept.set(key, page, PAGE_CACHE_SECONDS)
    return render(request, template, page | (frame or {}))
