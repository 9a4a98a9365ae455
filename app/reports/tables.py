"""Report tables with statistical confidentiality: cells of 1 or 2 persons are shown as ".".

Primary suppression hides every count of 1 or 2. Secondary suppression keeps the shown totals from
revealing them: whenever a row or column with a shown total has exactly one hidden cell, or hidden
cells adding up to 1 or 2, the smallest further non-zero cell of that line is hidden too. So no
hidden cell can be computed from a total, and hidden cells together are never a group of 1 or 2
(in two-way tables the rows and columns are protected together until both rules hold everywhere).
Failing a non-zero cell, a zero of the line is hidden; if none is left, its total; a hidden total is never the sum of shown
cells (it may be a part of another line: a state's count is a part of the network's). Cells hidden by secondary suppression
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
    """Rows of labelled counts; ``columns`` are the column headings after the row label.

    ``groups`` marks subtotal rows (the sum of other rows, e.g. EU member states); the total row is
    then the sum of the other rows only, and each subtotal is protected as a line of its own."""

    title: str
    columns: list
    rows: list = field(default_factory=list)  # (label, [Cell, ...])
    total: tuple | None = None  # ("Total", [Cell, ...]) when the table has a total row
    bodies: list = field(default_factory=list)  # per row: the competent body (occupation table)
    subtotals: "Table | None" = None  # EU / third-country split (country tables)
    groups: list = field(default_factory=list)  # (part row indices, subtotal row index): subtotal rows

    def add(self, label, values):
        self.rows.append((label, [Cell(int(v or 0)) for v in values]))

    def add_total(self, label, values=None):
        """Column totals: the sum of the rows unless given (distinct counts must be given)."""
        sums = [sum(row[1][i].value for row in self.rows) for i in range(len(self.columns))]
        values = [sums[i] if values is None or values[i] is None else values[i] for i in range(len(sums))]
        self.total = (label, [Cell(int(v or 0)) for v in values])

    def protect(self, row_totals=False, row_lines=None):
        """Primary and secondary suppression over columns (and rows, if they have a total column).

        Columns of distinct persons do not add up exactly (a person may appear in two rows), but
        their total still bounds the hidden cells, so they are protected the same way.
        ``row_lines`` states other sums across a row as ``[(part column indices, total column index)]``
        (the monitoring workbook: partners add up to their state, states to the network);
        ``row_totals`` is the usual one line, the last column the sum of the others.
        """
        if row_totals:
            row_lines = [(range(len(self.columns) - 1), len(self.columns) - 1)]
        for _, cells in self.rows + ([self.total] if self.total else []):
            for cell in cells:
                cell.hidden = 0 < cell.value < MIN_COUNT
                cell.secondary = False
        lines = self._lines(row_lines)
        for _round in range(sum(len(cells) for _, cells in self.rows) + len(self.columns) + 1):
            changed = True
            while changed:
                changed = False
                for parts, total in lines:
                    changed |= _protect_line(parts, total)
            # The lines one by one do not see combinations of lines (two columns sharing hidden
            # cells in rows where the other columns are zero): hide more until no hidden count
            # follows from all published sums together.
            if not _hide_determined(lines):
                break
        return self

    def _lines(self, row_lines):
        """Every published sum as (part cells, total cell): columns, subtotals, sums across rows."""
        subtotal_rows = {row for _parts, row in self.groups}
        leaves = [cells for position, (_, cells) in enumerate(self.rows) if position not in subtotal_rows]
        lines = []
        if self.total:
            lines += [([cells[i] for cells in leaves], self.total[1][i]) for i in range(len(self.columns))]
        for parts, row in self.groups:
            lines += [([self.rows[p][1][i] for p in parts], self.rows[row][1][i]) for i in range(len(self.columns))]
        if self.groups and self.total:  # the subtotals and the rows outside them add up to the total too
            inside = {p for parts, _row in self.groups for p in parts}
            top = [cells for position, (_, cells) in enumerate(self.rows) if position not in inside]
            lines += [([cells[i] for cells in top], self.total[1][i]) for i in range(len(self.columns))]
        for parts, line_total in row_lines or ():
            for _, cells in self.rows + ([self.total] if self.total else []):
                lines.append(([cells[i] for i in parts], cells[line_total]))
        return lines


_PRIME = 2305843009213693951  # 2**61 - 1: elimination modulo a large prime, exact for these 0/±1 sums


def determined_cells(lines):
    """Hidden non-zero cells whose value follows from the shown cells and all the sums together.

    Each line is an equation over its hidden cells; a cell is determined iff its unit vector lies in
    the equations' row space, i.e. the reduced row echelon form has a row with that cell alone."""
    pivots = {}  # cell id -> reduced equation {cell id: coefficient} with coefficient 1 at the pivot
    cells = {}
    for parts, total in lines:
        equation = {}
        for cell, sign in [(c, 1) for c in parts] + [(total, -1)]:
            if cell.hidden:
                cells[id(cell)] = cell
                equation[id(cell)] = (equation.get(id(cell), 0) + sign) % _PRIME
        equation = {k: v for k, v in equation.items() if v}
        for var in [v for v in equation if v in pivots]:
            _eliminate(equation, var, pivots[var])
        while True:
            reducible = [v for v in equation if v in pivots]
            if not reducible:
                break
            _eliminate(equation, reducible[0], pivots[reducible[0]])
        if not equation:
            continue
        pivot = min(equation)
        inverse = pow(equation[pivot], _PRIME - 2, _PRIME)
        equation = {k: v * inverse % _PRIME for k, v in equation.items()}
        for other in pivots.values():
            if pivot in other:
                _eliminate(other, pivot, equation)
        pivots[pivot] = equation
    return [cells[var] for var, equation in pivots.items() if len(equation) == 1 and cells[var].value]


def _eliminate(equation, var, pivot_equation):
    factor = equation.get(var, 0)
    if not factor:
        return
    for key, value in pivot_equation.items():
        updated = (equation.get(key, 0) - factor * value) % _PRIME
        if updated:
            equation[key] = updated
        else:
            equation.pop(key, None)


def _hide_determined(lines):
    """Hide, for each determined cell, the smallest shown cell of a line it is in; True if any."""
    changed = False
    for cell in determined_cells(lines):
        if not cell.hidden or not any(c is cell for c in determined_cells(lines)):
            continue  # protected meanwhile by a cell hidden for another one
        lines_of_cell = [line for line in lines if any(c is cell for c in line[0] + [line[1]])]
        # Failing a shown cell in its own lines, one in any line with hidden cells (always progress).
        for candidates in (lines_of_cell, [line for line in lines if any(c.hidden for c in line[0])]):
            shown = [c for parts, total in candidates for c in parts + [total] if not c.hidden]
            if shown:
                min(shown, key=lambda c: (c.value == 0, c.value)).hide_secondary()
                changed = True
                break
    return changed


def _protect_line(cells, total):
    """Hide further cells of one line until no hidden cell follows from ``total``; True if changed."""
    if total.hidden:
        # A hidden total must not be the sum of shown cells (it may be a part of another line, as a
        # state's column is of the network's): then its smallest non-zero cell is hidden too.
        if any(c.value for c in cells) and not any(c.hidden and c.value for c in cells):
            min((c for c in cells if c.value), key=lambda c: c.value).hide_secondary()
            return True
        return False
    changed = False

    def exposed():
        hidden = [c.value for c in cells if c.hidden]
        # One hidden cell follows from the total; hidden cells adding up to 1 or 2 reveal a small group.
        return len(hidden) == 1 or 0 < sum(hidden) < MIN_COUNT

    while exposed():
        # The smallest further non-zero cell; failing that a zero (hiding it tells nothing about
        # anybody, and it keeps the total, which other tables of the same persons show, visible).
        candidates = ([c for c in cells if not c.hidden and c.value > 0]
                      or [c for c in cells if not c.hidden])
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
