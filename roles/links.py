"""URLs of an organisation's pages, for lists built in Python (the map, the
function page, a person's duties) and for the navigation of every page."""

from django.urls import NoReverseMatch, reverse

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
    "backup": "roles:backup-json",
    "jobs": "roles:jobs",
    "settings": "roles:org-settings",
    "audit": "roles:audit",
    "notifications": "roles:notifications",
}


class Links:
    """URLs of one organisation's pages. A URL name that does not resolve
    gives None (the map then shows plain text)."""

    def __init__(self, slug):
        self.slug = slug

    def url(self, name, kwarg=None, pk=None):
        kwargs = {"org": self.slug}
        if kwarg:
            kwargs[kwarg] = pk
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            return None

    def function(self, pk):
        return self.url("roles:function-detail", "function_id", pk)

    def hat(self, pk):
        return self.url("roles:hat-detail", "hat_id", pk)

    def person(self, pk):
        return self.url("roles:person-detail", "person_id", pk)

    def task(self, pk):
        """A task is fixed in its row of the matrix (problems shown), on the
        page of the matrix that holds it."""
        matrix = self.url("roles:matrix")
        if matrix:
            return f"{matrix}?problems=1&task={pk}#task-{pk}"
        return self.url("roles:task-detail", "task_id", pk)

    @property
    def nav(self):
        """{key of NAV: URL} for the navigation."""
        return {key: self.url(name) for key, name in NAV.items()}
