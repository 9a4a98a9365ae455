"""Builders of import files (CSV and XLSX bytes) for the import and export tests."""
import io

from openpyxl import Workbook, load_workbook

HEADERS = ["Vorname", "Nachname", "Geburtsdatum", "Geschlecht", "Staatsangehörigkeit", "Beratungsbeginn",
           "Abschluss", "Anfragende Stelle", "Qualifikation", "Art der Qualifikation", "Land der Qualifikation",
           "Referenzberuf", "Ergebnis"]


def row(n=1, **overrides):
    values = {"Vorname": f"Amina{n}", "Nachname": "Haddad", "Geburtsdatum": "17.05.1980", "Geschlecht": "female",
              "Staatsangehörigkeit": "SY", "Beratungsbeginn": "14.03.2013", "Abschluss": "",
              "Anfragende Stelle": "self", "Qualifikation": "Bauingenieurin", "Art der Qualifikation": "academic",
              "Land der Qualifikation": "SY", "Referenzberuf": "", "Ergebnis": "application_help"}
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
