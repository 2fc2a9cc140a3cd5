"""The matrix filters as the URL carries them, and the limits of one page."""

from dataclasses import dataclass

from ..access import id_param

PER_PAGE = 50
MAX_COLUMNS = 40
FILTER_KEYS = ("function", "area", "person", "problems", "page", "cpage")
NO_AREA = "none"
# Above this many people wearing a hat, the person filter is a text field (name
# or email) instead of a <select>: thousands of options outweigh the matrix.
PERSON_SELECT_LIMIT = 200
WHO_MAX = 254  # longest email; nothing longer can match a name or an email
WHO_SHOWN = 10  # people listed when a typed name matches several


@dataclass
class Filters:
    """The matrix filters as read from the URL; bad values are ignored."""

    function: int | None = None
    area: int | str | None = None  # an area id, NO_AREA, or None for all
    person: int | None = None
    problems: bool = False
    page: int = 1
    cpage: int = 1
    # Typed name or email (the `who` field); None when not sent. Resolved to
    # `person` by build_matrix; never carried into URLs itself.
    who: str | None = None
    # A task to show (a link to one task's row): the page that holds it is
    # chosen when no page is asked for. Not carried into URLs either.
    task: int | None = None

    @classmethod
    def from_query(cls, query):
        def number(key):
            value = id_param(query.get(key))
            return value if value else None

        area = query.get("area", "")
        return cls(
            function=number("function"),
            area=NO_AREA if area == NO_AREA else number("area"),
            person=number("person"),
            problems=query.get("problems", "") in ("1", "on", "true"),
            page=number("page") or 1,
            cpage=number("cpage") or 1,
            who=clean_who(query.get("who")) if "who" in query else None,
            task=None if "page" in query else number("task"),
        )

    def query(self, **override):
        """The filters as URL parameters (without defaults), with overrides."""
        values = {
            "function": self.function,
            "area": self.area,
            "person": self.person,
            "problems": "1" if self.problems else None,
            "page": self.page if self.page > 1 else None,
            "cpage": self.cpage if self.cpage > 1 else None,
        }
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "", False)}

    @property
    def active(self):
        return bool(self.function or self.area or self.person or self.problems)


def clean_who(text):
    """`who` as typed, without control characters (a NUL would break PostgreSQL
    and means nothing in a name) and cut to a length that could match."""
    text = "".join(
        ch if ch.isprintable() else " " if ch.isspace() else ""
        for ch in str(text or "")[: WHO_MAX * 4]
    )
    return text.strip()[:WHO_MAX]
