"""The downloadable import template: the German headers, and in XLSX a sheet documenting them."""
import io

from flask_babel import gettext as _

from app.transfer.columns import COLUMNS, column_documentation


def template_csv():
    """Headers only (UTF-8 BOM, ``;``): an example row would be imported by mistake."""
    return ("\ufeff" + ";".join(c.header for c in COLUMNS) + "\r\n").encode("utf-8")


def template_xlsx():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    cases = workbook.active
    cases.title = "Fälle"
    cases.append([c.header for c in COLUMNS])
    for cell in cases[1]:
        cell.font = Font(bold=True)
    cases.freeze_panes = "A2"
    docs = workbook.create_sheet(_("Explanations"))
    docs.append([_("Column"), _("Required"), _("Explanation")])
    for header, required, text in column_documentation():
        docs.append([header, _("yes") if required else "", text])
    docs.column_dimensions["A"].width = 28
    docs.column_dimensions["C"].width = 120
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
