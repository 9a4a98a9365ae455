"""Report tables with statistical confidentiality: cells of 1 or 2 persons are shown as ".".

Primary suppression hides every count of 1 or 2. Secondary suppression keeps the shown totals from
revealing them: whenever a row or column with a shown total has exactly one hidden cell, or hidden
cells adding up to 1 or 2, the smallest further non-zero cell of that line is hidden too. So no
hidden cell can be computed from a total, and hidden cells together are never a group of 1 or 2
(in two-way tables the rows and columns are protected together until both rules hold everywhere).
If a line has no cell left to hide, its total is hidden. Cells hidden by secondary suppression
carry their own marker ("x"), so that nobody reads them as 1 or 2 (the legend explains both). A zero
is shown as "–" (nothing there); it singles nobody out.
"""
from dataclasses import dataclass, field

from babel.numbers import format_decimal

MIN_COUNT = 3
HIDDEN = "."
HIDDEN_SECONDARY = "x"
NOTHING = "–"


@dataclass
class Cell:
    value: int
    hidden: bool = False
    secondary: bool = False  # hidden only so that other hidden cells cannot be computed

    def hide_secondary(self):
        self.hidden = self.secondary = True

    @property
    def marker(self):
        return HIDDEN_SECONDARY if self.secondary else HIDDEN

    def text(self, locale):
        if self.hidden:
            return self.marker
        if not self.value:
            return NOTHING
        return format_decimal(self.value, locale=locale)


@dataclass
class Table:
    """Rows of labelled counts; ``columns`` are the column headings after the row label."""

    title: str
    columns: list
    rows: list = field(default_factory=list)  # (label, [Cell, ...])
    total: tuple | None = None  # ("Total", [Cell, ...]) when the table has a total row
    bodies: list = field(default_factory=list)  # per row: the competent body (occupation table)
    subtotals: "Table | None" = None  # EU / third-country split (country tables)

    def add(self, label, values):
        self.rows.append((label, [Cell(int(v or 0)) for v in values]))

    def add_total(self, label, values=None):
        """Column totals: the sum of the rows unless given (distinct counts must be given)."""
        sums = [sum(row[1][i].value for row in self.rows) for i in range(len(self.columns))]
        values = [sums[i] if values is None or values[i] is None else values[i] for i in range(len(sums))]
        self.total = (label, [Cell(int(v or 0)) for v in values])

    def protect(self, row_totals=False):
        """Primary and secondary suppression over columns (and rows, if they have a total column).

        Columns of distinct persons do not add up exactly (a person may appear in two rows), but
        their total still bounds the hidden cells, so they are protected the same way.
        """
        for _, cells in self.rows + ([self.total] if self.total else []):
            for cell in cells:
                cell.hidden = 0 < cell.value < MIN_COUNT
                cell.secondary = False
        changed = True
        while changed:
            changed = False
            if self.total:
                for i in range(len(self.columns)):
                    changed |= _protect_line([cells[i] for _, cells in self.rows], self.total[1][i])
            if row_totals:
                for _, cells in self.rows + ([self.total] if self.total else []):
                    changed |= _protect_line(cells[:-1], cells[-1])
        return self


def _protect_line(cells, total):
    """Hide further cells of one line until no hidden cell follows from ``total``; True if changed."""
    if total.hidden:
        return False
    changed = False

    def exposed():
        hidden = [c.value for c in cells if c.hidden]
        # One hidden cell follows from the total; hidden cells adding up to 1 or 2 reveal a small group.
        return len(hidden) == 1 or 0 < sum(hidden) < MIN_COUNT

    while exposed():
        candidates = [c for c in cells if not c.hidden and c.value > 0]
        if not candidates:
            total.hide_secondary()
            return True
        min(candidates, key=lambda c: c.value).hide_secondary()
        changed = True
    return changed


def bar_values(table, column=0):
    """(label, value or the hidden cell's marker) pairs of one column, for the charts."""
    return [(label, shown_value(cells[column])) for label, cells in table.rows]


def shown_value(cell):
    """The count, or the marker (str) of a hidden cell: charts label it like the tables."""
    return cell.marker if cell.hidden else cell.value
