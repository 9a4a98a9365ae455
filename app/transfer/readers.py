"""Reading an uploaded file into header and rows, refusing what is too big, malformed or hostile.

The limits protect the server before any parsing starts: the byte size of the upload, the number
of data rows, and for XLSX (a zip archive) the uncompressed sizes and compression ratios of its
members, checked with ``zipfile`` before openpyxl inflates anything (zip bombs).

XLSX sheets are bounded in width and cells as well. openpyxl (3.1, read-only mode) pads every row
to the sheet's declared width, or to the row's last cell: a 45 KB file whose rows reach column XFD
(16,384) took 7.9 s and 560 MB for 4,000 rows. Here the declared dimension is checked first (a
sheet declaring more columns or cells than allowed is refused before a row is read), every row's
cells are checked as openpyxl parses them, before it pads the row (a cell beyond the allowed
columns refuses the file), and the cells read, blank rows included, are counted against a budget.
"""
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

DEFAULT_LIMITS = {
    "IMPORT_MAX_BYTES": 10 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 20_000,
    "IMPORT_MAX_UNCOMPRESSED": 100 * 1024 * 1024,
    "IMPORT_MAX_RATIO": 100,
    "IMPORT_MAX_COLUMNS": 100,
    "IMPORT_MAX_CELLS": 3_000_000,
}


class FileRefused(ValueError):
    """The file as a whole cannot be imported (format, size, structure); nothing was read."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message

    def __str__(self):
        return str(self.message)


def limit(name):
    if has_app_context():
        return current_app.config.get(name, DEFAULT_LIMITS[name])
    return DEFAULT_LIMITS[name]


@dataclass
class Sheet:
    headers: list
    rows: list  # (row number as shown in the file, [values])


def read_upload(filename, data):
    """Dispatch on the extension, then check that the content really is of that format."""
    if len(data) > limit("IMPORT_MAX_BYTES"):
        raise FileRefused(_l("The file is larger than %(mb)s MB.", mb=limit("IMPORT_MAX_BYTES") // (1024 * 1024)))
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        sheet = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        sheet = _read_csv(data)
    else:
        raise FileRefused(_l("Unsupported file format: please upload a CSV (.csv) or Excel (.xlsx) file."))
    if not any(str(h or "").strip() for h in sheet.headers):
        raise FileRefused(_l("The file has no header row."))
    if not sheet.rows:
        raise FileRefused(_l("The file contains no data rows."))
    return sheet


def _check_row_count(count):
    if count > limit("IMPORT_MAX_ROWS"):
        raise FileRefused(_l("The file has more than %(max)s data rows; please split it.",
                             max=limit("IMPORT_MAX_ROWS")))


def _is_blank(values):
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _read_csv(data):
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise FileRefused(_l("The file is not a text CSV file (is it an Excel file with the wrong extension?)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(_l("The CSV file is not UTF-8 encoded; please save it as “CSV UTF-8”.")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader, [])
        rows = []
        for values in reader:
            if _is_blank(values):
                continue
            rows.append((reader.line_num, values))
            _check_row_count(len(rows))
    except csv.Error as error:
        raise FileRefused(_l("The CSV file is malformed: %(error)s", error=str(error))) from None
    return Sheet(headers, rows)


def _check_zip(data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRefused(_l("The file is not a valid Excel (.xlsx) file.")) from None
    with archive:
        members = archive.infolist()
        if len(members) > 1000:
            raise FileRefused(_l("The Excel file has too many parts."))
        total = sum(m.file_size for m in members)
        if total > limit("IMPORT_MAX_UNCOMPRESSED"):
            raise FileRefused(_l("The Excel file unpacks to more than %(mb)s MB; it is refused.",
                                 mb=limit("IMPORT_MAX_UNCOMPRESSED") // (1024 * 1024)))
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1024 * 1024 and ratio > limit("IMPORT_MAX_RATIO"):
                raise FileRefused(_l("The Excel file is compressed suspiciously strongly (zip bomb?); it is refused."))
        if "xl/workbook.xml" not in archive.namelist():
            raise FileRefused(_l("The file is not a valid Excel (.xlsx) file."))


def _cell(value):
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _refuse_columns():
    raise FileRefused(_l("The sheet has more than %(max)s columns; please use the template.",
                         max=limit("IMPORT_MAX_COLUMNS")))


def _refuse_cells():
    raise FileRefused(_l("The sheet has more than %(max)s cells; please split the file.",
                         max=limit("IMPORT_MAX_CELLS")))


def _check_dimension(worksheet):
    """Refuse from the sheet's declared size (``<dimension ref="A1:XFD9">``) before reading rows."""
    columns, rows = worksheet.max_column, worksheet.max_row
    if columns and columns > limit("IMPORT_MAX_COLUMNS"):
        _refuse_columns()
    if columns and rows and columns * rows > limit("IMPORT_MAX_CELLS"):
        _refuse_cells()
    return columns


def _refuse_wide_rows(worksheet, max_columns):
    """Check each parsed row's cells before openpyxl pads it to a list of values.

    ``ReadOnlyWorksheet._get_row(row, min_col, max_col, values_only)`` receives the row's parsed
    cells (dicts with ``column``) and silently drops those beyond ``max_col`` (openpyxl 3.1.5).
    Wrapping it on this one sheet object sees every cell without a second parse of the XML;
    tests/test_import_bounds.py fails if openpyxl stops calling it.
    """
    get_row = worksheet._get_row

    def checked(row, *args, **kwargs):
        if row and max(cell["column"] for cell in row) > max_columns:
            _refuse_columns()
        return get_row(row, *args, **kwargs)

    worksheet._get_row = checked


def _read_xlsx(data):
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for broken files
        raise FileRefused(_l("The file is not a valid Excel (.xlsx) file.")) from None
    try:
        worksheet = workbook.worksheets[0]
        max_columns = limit("IMPORT_MAX_COLUMNS")
        declared = _check_dimension(worksheet)
        _refuse_wide_rows(worksheet, max_columns)
        budget = limit("IMPORT_MAX_CELLS")
        iterator = worksheet.iter_rows(max_col=min(declared or max_columns, max_columns), values_only=True)
        headers, rows, cells = None, [], 0
        for number, values in enumerate(iterator, start=1):
            cells += len(values)
            if cells > budget:
                _refuse_cells()
            if headers is None:
                headers = [str(h).strip() if h is not None else "" for h in values]
                continue
            values = [_cell(v) for v in values]
            if _is_blank(values):
                continue
            rows.append((number, values))
            _check_row_count(len(rows))
    finally:
        workbook.close()
    return Sheet(headers or [], rows)
