"""The matrix cells' HTML, the one place that writes markup in Python: a page
has up to PER_PAGE × MAX_COLUMNS cells (2,000). Measured on the benchmark
machine, 2,000 cells took 1.4 ms here and 114 ms as a template loop, more
than the rest of the page (see bench/README.md). Only ids, the letters R, A,
C and I and Django-escaped text go into them."""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .. import raci
from ..models import Hat, Task


@dataclass
class CellView:
    task: Task  # or a MatrixTask: only its id is used
    hat: Hat  # or a MatrixHat: only its id is used
    letters: frozenset
    editable: bool

    @property
    def text(self):
        return raci.format_cell(self.letters)

    @property
    def unusual(self):
        return self.letters not in raci.USUAL

    @property
    def css(self):
        if not self.letters:
            return "cell-empty"
        if self.unusual:
            return "cell-unusual"
        return "cell-" + "".join(sorted(self.letters)).lower()

    @staticmethod
    def empty_label():
        """What an empty cell says to a screen reader: pass it to `render`, so a
        page of thousands of cells translates it once."""
        return escape(_("empty"))

    def render(self, empty=None, oob=False):
        """The cell's <td>. Built here rather than in a template: a page has up to
        PER_PAGE × MAX_COLUMNS cells, and this is many times faster. Kept small:
        the choices are one shared menu (matrix.js), the cell's name comes from
        its row and column headers, and without JavaScript an editable cell is a
        submit button of the table's one form (name "c", value "<task>-<hat>")."""
        # Safe by construction: ids are integers, `text` and `css` come from the
        # letters R/A/C/I only, and `empty` is escaped.
        if empty is None:
            empty = self.empty_label()
        text = self.text
        css = f' class="cell {self.css}"' if self.letters else ""
        swap = ' hx-swap-oob="true"' if oob else ""
        # Without JavaScript every editable cell is in the tab order; the script
        # turns the grid into one tab stop with arrow keys (roving tabindex), so
        # cells it swaps in arrive already out of the tab order.
        roving = ' tabindex="-1"' if oob else ""
        key = f"{self.task.id}-{self.hat.id}"
        head = f'<td id="cell-{key}"{css}{swap}>'
        if not self.editable:
            shown = text or f'<span class="visually-hidden">{empty}</span>'
            return mark_safe(f'{head}<span class="cell-btn"{roving}>{shown}</span></td>')  # noqa: S308  # nosec B308 B703
        label = "" if text else f' aria-label="{empty}"'
        button = f'<button class="cell-btn" name="c" value="{key}"{roving}{label}>'
        return mark_safe(f"{head}{button}{text}</button></td>")  # noqa: S308  # nosec B308 B703


def cell_renderer(columns, empty):
    """A function (task, {hat id: letters}) → the <td>s of the task's row, as
    CellView.render writes each cell. A row's empty cells (nearly all of a
    page) differ from another row's only by the task id, so the empty row is
    written once and each row copies it."""
    # Safe: as CellView.render; task and hat ids are integers.
    mark = "\x00"  # the task id, in a copy of the empty row
    blank = []
    for column in columns:
        key = f"{mark}-{column.hat.id}"
        if column.editable:
            blank.append(
                f'<td id="cell-{key}"><button class="cell-btn" name="c" value="{key}"'
                f' aria-label="{empty}"></button></td>'
            )
        else:
            blank.append(
                f'<td id="cell-{key}"><span class="cell-btn">'
                f'<span class="visually-hidden">{empty}</span></span></td>'
            )
    empty_row = "".join(blank)

    def render(task, letters):
        row = empty_row
        if letters:
            row = "".join(
                [
                    CellView(task, c.hat, letters[c.hat.id], c.editable).render(empty)
                    if c.hat.id in letters
                    else blank[i]
                    for i, c in enumerate(columns)
                ]
            )
        return mark_safe(row.replace(mark, str(int(task.id))))  # noqa: S308  # nosec B308 B703

    return render


# The parts of the page repeated for each row and column, as HTML built here
# for the same reason as the cells; each is also what a cell write swaps in.
