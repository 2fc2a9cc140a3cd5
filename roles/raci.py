"""RACI rules as pure functions on plain data: no database, no Django models.

A cell of the matrix (task × hat) holds a set of letters drawn from R, A, C, I.
People write cells in many ways (`A/R`, `R/A`, `r, a`, `AR`, `C / I`, `N`, `-`);
`parse_cell` reads them all, `format_cell` writes the one canonical form.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

LETTERS = ("R", "A", "C", "I")
# Canonical order when a cell is written back: the owner first.
ORDER = ("A", "R", "C", "I")
USUAL = frozenset(
    {
        frozenset(),
        frozenset("R"),
        frozenset("A"),
        frozenset("AR"),
        frozenset("C"),
        frozenset("I"),
    }
)
# Written for "nobody": none, not applicable, a dash, a cross.
EMPTY_WORDS = frozenset({"", "n", "-", "–", "—", "x", "n/a", "na", "none", "ingen", "0"})
# Brackets split too: "(R)", written for a supporting part, is read as R.
_SPLIT = re.compile(r"[\s/,;+&|\\()]+")
# The choices the matrix editor offers, in menu order.
CHOICES = ("", "R", "A", "A/R", "C", "I")


@dataclass(frozen=True)
class Cell:
    letters: frozenset = frozenset()
    unknown: str = ""  # text that is not a RACI letter, kept for the report

    @property
    def text(self):
        return format_cell(self.letters)

    @property
    def unusual(self):
        return self.letters not in USUAL

    @property
    def ok(self):
        """Nothing to report: only RACI letters, in a usual combination."""
        return not self.unknown and not self.unusual


def parse_cell(value):
    """Read a cell as people write it. Never raises; text that is not a letter
    comes back in `unknown` for the caller to report."""
    if value is None:
        return Cell()
    text = str(value).replace("\x00", "").strip()
    if text.lower() in EMPTY_WORDS:
        return Cell()
    letters, unknown = set(), []
    for token in _SPLIT.split(text):
        if not token:
            continue
        if token.lower() in EMPTY_WORDS:
            continue
        # ASCII only: "ı".upper() is "I", and a Turkish dotless i is not a letter of RACI.
        upper = token.upper() if token.isascii() else ""
        if upper and all(ch in LETTERS for ch in upper) and len(upper) <= len(LETTERS):
            letters.update(upper)
        else:
            unknown.append(token)
    return Cell(frozenset(letters), " ".join(unknown))


def format_cell(letters):
    """The canonical text of a set of letters: `A/R`, `R`, `C/I`, or ``."""
    return "/".join(letter for letter in ORDER if letter in letters)


def letters_of(text):
    """Letters of a canonical (or any) cell text."""
    return parse_cell(text).letters


# Task status ---------------------------------------------------------------
COMPLETE, NO_A, MANY_A, NO_R, UNUSUAL = "complete", "no_a", "many_a", "no_r", "unusual"
STATUS_LABELS = {
    COMPLETE: _("complete"),
    NO_A: _("no A"),
    MANY_A: _("two or more A's"),
    NO_R: _("no R"),
    UNUSUAL: _("unusual combination"),
}
PROBLEMS = (NO_A, MANY_A, NO_R, UNUSUAL)


@dataclass(frozen=True)
class TaskStatus:
    key: str
    a_count: int
    r_count: int
    unusual: int = 0
    flags: tuple = field(default_factory=tuple)

    @property
    def ok(self):
        return self.key == COMPLETE

    @property
    def label(self):
        return STATUS_LABELS[self.key]

    @property
    def also_unusual(self):
        """An unusual combination that is not the first problem."""
        return bool(self.unusual) and self.key != UNUSUAL


def status_counts(cells):
    """(cells with A, cells with R, cells in an unusual combination) of one
    task from the letter sets of its cells: all its status depends on, and
    what each task row stores (see roles.models.raci.TaskQuerySet)."""
    a_count = r_count = unusual = 0
    for letters in cells:
        letters = frozenset(letters)
        a_count += "A" in letters
        r_count += "R" in letters
        unusual += letters not in USUAL
    return a_count, r_count, unusual


def task_status(cells):
    """Status of one task from the letter sets of its cells (one per hat)."""
    return status_of(*status_counts(cells))


def status_of(a_count, r_count, unusual):
    """Status of one task from its status_counts.

    Complete means exactly one A and at least one R. The first problem found,
    in the order no A, two or more A's, no R, unusual combination, is the key;
    `flags` lists them all."""
    flags = []
    if a_count == 0:
        flags.append(NO_A)
    elif a_count > 1:
        flags.append(MANY_A)
    if r_count == 0:
        flags.append(NO_R)
    if unusual:
        flags.append(UNUSUAL)
    key = flags[0] if flags else COMPLETE
    return TaskStatus(key, a_count, r_count, unusual, tuple(flags))


LETTER_NAMES = {
    "R": _("Responsible"),
    "A": _("Accountable"),
    "C": _("Consulted"),
    "I": _("Informed"),
}


def count_items(counts):
    """(letter, its name, count) of a column's {letter: count}, R A C I."""
    return [(letter, LETTER_NAMES[letter], counts[letter]) for letter in LETTERS]


def column_counts(cells):
    """Counts of R, A, C and I over the letter sets of one hat's column."""
    counts = dict.fromkeys(LETTERS, 0)
    for letters in cells:
        for letter in letters:
            if letter in counts:
                counts[letter] += 1
    return counts
