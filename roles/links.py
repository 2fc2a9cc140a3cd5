"""URLs of an organisation's pages for long lists and for the navigation on
every page: each URL name is reversed once per process and organisation and
filled in per id, since `{% url %}` reverses on every use (tens of
microseconds each, many times a page)."""

from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# Stands in for the id while reversing; no real id is this long.
_SENTINEL = 987654321987654321


@lru_cache(maxsize=4096)
def _pattern(urlconf, prefix, slug, name, kwarg):
    """The URL of `name` for organisation `slug`, with _SENTINEL for the id
    `kwarg` (None: no id). The URLconf and the script prefix are part of the
    key because reverse() depends on them."""
    kwargs = {"org": slug}
    if kwarg:
        kwargs[kwarg] = _SENTINEL
    try:
        return reverse(name, kwargs=kwargs, urlconf=urlconf)
    except NoReverseMatch:
        return None


# The organisation's pages every page links to (the navigation).
NAV = {
    "map": "roles:org-map",
    "me": "roles:me",
    "scorecard": "roles:scorecard",
    "scorecard_xlsx": "roles:scorecard-xlsx",
    "numbers_import": "roles:numbers-import",
    "people": "roles:people",
    "matrix": "roles:matrix",
    "import": "roles:matrix-import",
    "xlsx": "roles:matrix-xlsx",
    "csv": "roles:matrix-csv",
    "handbook": "roles:handbook-pdf",
    "settings": "roles:org-settings",
}


class Links:
    """URLs of other pages, reversed once per name and filled in per id. A URL
    name that does not resolve gives None (the map then shows plain text)."""

    def __init__(self, slug):
        self.slug = slug

    def url(self, name, kwarg=None, pk=None):
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        pattern = _pattern(urlconf, get_script_prefix(), self.slug, name, kwarg)
        if pattern is None:
            return None
        if not kwarg:
            return pattern
        head, _sentinel, tail = pattern.rpartition(str(_SENTINEL))
        return f"{head}{pk}{tail}"

    def function(self, pk):
        return self.url("roles:function-detail", "function_id", pk)

    def hat(self, pk):
        return self.url("roles:hat-detail", "hat_id", pk)

    def person(self, pk):
        return self.url("roles:person-detail", "person_id", pk)

    def task(self, pk):
        """A task is fixed in its row of the matrix (problems shown)."""
        matrix = self.url("roles:matrix")
        if matrix:
            return f"{matrix}?problems=1#task-{pk}"
        return self.url("roles:task-detail", "task_id", pk)

    @property
    def nav(self):
        """{key of NAV: URL} for the navigation."""
        return {key: self.url(name) for key, name in NAV.items()}
