"""Issue 8.6: XLSX sheets are bounded in columns and cells, refused early and in bounded memory.

Before the bound, a 45 KB file of 4,000 rows reaching column XFD took 7.9 s and 560 MB on the dry
run, because openpyxl pads every row to 16,384 values. The memory bound is measured with
tracemalloc (peak of Python allocations while the file is read), which does not depend on timing.
"""
import tracemalloc

import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.clients.models import Client
from app.partners.models import Partner
from app.transfer.importer import import_file
from app.transfer.readers import FileRefused, read_upload
from tests.transfer_files import row, wide_xlsx_bytes, without_dimension, xlsx_bytes

PEAK_LIMIT = 40 * 1024 * 1024  # far above a refused file's need, far below the unbounded 500+ MB


def _counts(session):
    return tuple(session.execute(select(func.count()).select_from(m)).scalar() for m in (Client, Case))


def _partner(session):
    return session.execute(select(Partner.id).where(Partner.code == "migra")).scalar()


def _peak_of_refusal(data):
    tracemalloc.start()
    try:
        with pytest.raises(FileRefused) as info:
            read_upload("cases.xlsx", data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return str(info.value), peak


@pytest.mark.parametrize("dimension", [True, False], ids=["declared", "no-dimension"])
def test_rows_reaching_column_xfd_are_refused_in_bounded_memory(app, ctx, dimension):
    data = wide_xlsx_bytes([row(i) for i in range(1000)], dimension=dimension)
    assert len(data) < 60 * 1024
    with app.test_request_context():
        message, peak = _peak_of_refusal(data)
    assert "more than 100 columns" in message
    assert peak < PEAK_LIMIT, peak


def test_thirty_kb_file_reaching_xfd_is_refused_by_the_import_with_nothing_written(app, ctx):
    data = wide_xlsx_bytes([row(i) for i in range(600)])
    assert 20 * 1024 < len(data) < 40 * 1024
    before = _counts(ctx)
    with pytest.raises(FileRefused, match="more than 100 columns"):
        import_file(ctx, "cases.xlsx", data, _partner(ctx), dry_run=True)
    assert _counts(ctx) == before


def test_a_value_just_beyond_the_column_limit_is_refused_a_sheet_at_the_limit_is_read(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_COLUMNS", 20)
    with app.test_request_context():
        for dimension in (True, False):
            with pytest.raises(FileRefused, match="more than 20 columns"):
                read_upload("cases.xlsx", wide_xlsx_bytes([row(1)], last_column=21, dimension=dimension))
            sheet = read_upload("cases.xlsx", wide_xlsx_bytes([row(1)], last_column=20, dimension=dimension))
            assert sheet.rows[0][1][19] == "x"
            assert sheet.rows[0][1][0] == "Amina1"


def test_too_many_cells_are_refused_declared_or_counted(app, ctx, monkeypatch):
    width = len(row(1))  # the columns of the test row (13 + the two consent columns)
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", width * 10)
    limit = f"more than {width * 10} cells"
    with app.test_request_context():
        # declared: width × 11 rows > width × 10 → refused from the dimension
        with pytest.raises(FileRefused, match=limit):
            read_upload("cases.xlsx", xlsx_bytes([row(i) for i in range(10)]))
        # no dimension: the rows are read 100 wide, 2 rows = 200 cells > width × 10
        with pytest.raises(FileRefused, match=limit):
            read_upload("cases.xlsx", wide_xlsx_bytes([row(1)], last_column=width, dimension=False))
        assert len(read_upload("cases.xlsx", xlsx_bytes([row(i) for i in range(9)])).rows) == 9


@pytest.mark.parametrize("dimension", [True, False], ids=["declared", "no-dimension"])
def test_blank_rows_count_against_the_cell_budget(app, ctx, dimension):
    """A row far down the sheet (rows in between are absent) is not reached by padding a million rows."""
    from openpyxl import Workbook
    import io

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(row(1).keys()))
    sheet.append(list(row(1).values()))
    sheet.cell(row=1_048_576, column=1, value="far")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue() if dimension else without_dimension(buffer.getvalue())
    with app.test_request_context():
        message, peak = _peak_of_refusal(data)
    assert "more than 3000000 cells" in message or "more than 3,000,000 cells" in message
    assert peak < PEAK_LIMIT


def test_refusal_is_translated(app, ctx):
    from flask_babel import force_locale

    data = wide_xlsx_bytes([row(1)])
    with app.test_request_context(), force_locale("de"):
        with pytest.raises(FileRefused) as info:
            read_upload("cases.xlsx", data)
        assert "mehr als 100 Spalten" in str(info.value)
