"""Statistical confidentiality of the report tables (primary and secondary suppression)."""
from app.reports.tables import Table


def texts(table):
    return [[c.text("en") for c in cells] for _, cells in table.rows] + [[c.text("en") for c in table.total[1]]]


def test_a_single_small_cell_takes_the_next_smallest_with_it():
    table = Table("t", ["n"])
    for label, n in (("a", 10), ("b", 2), ("c", 4), ("d", 0)):
        table.add(label, [n])
    table.add_total("Total")
    assert texts(table.protect()) == [["10"], ["."], ["."], ["–"], ["16"]]


def test_two_small_cells_adding_up_to_three_need_no_further_cell():
    table = Table("t", ["n"])
    for label, n in (("a", 10), ("b", 2), ("c", 1), ("d", 5)):
        table.add(label, [n])
    table.add_total("Total")
    assert texts(table.protect()) == [["10"], ["."], ["."], ["5"], ["18"]]


def test_a_small_cell_alone_in_its_line_hides_the_total():
    table = Table("t", ["n"])
    table.add("a", [2])
    table.add_total("Total")
    assert texts(table.protect()) == [["."], ["."]]


def test_rows_and_columns_are_protected_together():
    table = Table("t", ["x", "y", "Total"])
    table.add("a", [1, 5, 6])
    table.add("b", [7, 8, 15])
    table.add_total("Total")
    result = texts(table.protect(row_totals=True))
    # a/x = 1 forces a/y (row) and b/x (column); b/x forces b/y (row); b/y covers column y.
    assert result == [[".", ".", "6"], [".", ".", "15"], ["8", "13", "21"]]
    for line in result:
        assert line.count(".") != 1
