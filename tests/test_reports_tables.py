"""Statistical confidentiality of the report tables (primary and secondary suppression)."""
from app.reports.tables import Table


def texts(table):
    return [[c.text("en") for c in cells] for _, cells in table.rows] + [[c.text("en") for c in table.total[1]]]


def test_a_single_small_cell_takes_the_next_smallest_with_it():
    table = Table("t", ["n"])
    for label, n in (("a", 10), ("b", 2), ("c", 4), ("d", 0)):
        table.add(label, [n])
    table.add_total("Total")
    # 2 is hidden for itself ("."), 4 only so that 2 cannot be computed from the total ("x").
    assert texts(table.protect()) == [["10"], ["."], ["x"], ["–"], ["16"]]


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
    assert texts(table.protect()) == [["."], ["."]]  # the total is 2 itself


def test_a_total_hidden_for_want_of_another_cell_is_marked_secondary():
    table = Table("t", ["x", "y", "Total"])
    table.add("a", [2, 0, 2])
    table.add("b", [5, 4, 9])
    table.add_total("Total")
    result = texts(table.protect())
    # Column x: 2 hidden, 5 hides too ("x"); column y: nothing hidden. Column Total: 2 and 9.
    assert result[0][0] == "." and result[1][0] == "x"


def test_rows_and_columns_are_protected_together():
    table = Table("t", ["x", "y", "Total"])
    table.add("a", [1, 5, 6])
    table.add("b", [7, 8, 15])
    table.add_total("Total")
    result = texts(table.protect(row_totals=True))
    # a/x = 1 forces a/y (row) and b/x (column); b/x forces b/y (row); b/y covers column y.
    assert result == [[".", "x", "6"], ["x", "x", "15"], ["8", "13", "21"]]
    for line in result:
        assert sum(text in (".", "x") for text in line) != 1


def test_secondary_marker_is_not_kept_when_a_table_is_protected_again():
    table = Table("t", ["n"])
    for label, n in (("a", 10), ("b", 2), ("c", 4)):
        table.add(label, [n])
    table.add_total("Total")
    table.protect()
    table.rows[1][1][0].value = 5  # the small cell grew: nothing needs hiding any more
    assert texts(table.protect()) == [["10"], ["5"], ["4"], ["16"]]


def test_charts_label_hidden_bars_with_the_tables_markers():
    from app.reports.charts import bar_chart
    from app.reports.tables import bar_values

    table = Table("t", ["n"])
    for label, n in (("a", 10), ("b", 2), ("c", 4)):
        table.add(label, [n])
    table.add_total("Total")
    svg = str(bar_chart("t", bar_values(table.protect()), str))
    assert bar_values(table) == [("a", 10), ("b", "."), ("c", "x")]
    assert svg.count("<rect") == 1 and ">.</text>" in svg and ">x</text>" in svg
