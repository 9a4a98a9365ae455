"""A FAB list widget that adds "Export CSV / Excel" buttons carrying the list's current filters.

Use it on a case list: ``CaseView.list_widget = ExportListWidget``. The buttons link to
``/exports/cases.csv`` and ``.xlsx`` with the page's query string, whose ``_flt_<op>_<column>``
arguments the export applies like the list does (columns in exporter.FILTER_COLUMNS).
"""
from flask_appbuilder.widgets import ListWidget


class ExportListWidget(ListWidget):
    template = "transfer/list_with_export.html"
