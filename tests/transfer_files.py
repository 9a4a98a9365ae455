"""Builders of import files (CSV and XLSX bytes) for the import and export tests."""
import io

from openpyxl import Workbook, load_workbook

HEADERS = ["Vorname", "Nachname", "Geburtsdatum", "Geschlecht", "Staatsangehörigkeit", "Beratungsbeginn",
           "Abschluss", "Anfragende Stelle", "Qualifikation", "Art der Qualifikation", "Land der Qualifikation",
           "Referenzberuf", "Ergebnis", "Einwilligung Beratung", "Einwilligung Art"]


def row(n=1, **overrides):
    values = {"Vorname": f"Amina{n}", "Nachname": "Haddad", "Geburtsdatum": "17.05.1980", "Geschlecht": "female",
              "Staatsangehörigkeit": "SY", "Beratungsbeginn": "14.03.2013", "Abschluss": "",
              "Anfragende Stelle": "self", "Qualifikation": "Bauingenieurin", "Art der Qualifikation": "academic",
              "Land der Qualifikation": "SY", "Referenzberuf": "", "Ergebnis": "application_help",
              "Einwilligung Beratung": "14.03.2013", "Einwilligung Art": "signed_form"}
    values.update(overrides)
    return values


def csv_bytes(rows, delimiter=";", bom=True, headers=None):
    headers = headers or list(rows[0].keys()) if rows else HEADERS
    lines = [delimiter.join(headers)]
    for values in rows:
        lines.append(delimiter.join(str(values.get(h, "")) for h in headers))
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def xlsx_bytes(rows, headers=None):
    headers = headers or list(rows[0].keys())
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data):
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def without_dimension(data):
    """The same workbook without the sheets' ``<dimension ref=…>`` (some generators write none)."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            target.writestr(item.filename, content)
    return out.getvalue()


def wide_xlsx_bytes(rows, last_column=16384, dimension=True, headers=None):
    """A valid import file whose data rows each also carry a value in ``last_column`` (XFD = 16384).

    Small on disk (one extra cell per row); ``dimension=False`` removes the declared dimension.
    """
    headers = headers or HEADERS
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for number, values in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            sheet.cell(row=number, column=column, value=values.get(header))
        sheet.cell(row=number, column=last_column, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue() if dimension else without_dimension(buffer.getvalue())
