"""Every view, API and blueprint of the application, registered in one visible place."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder):
    from flask import current_app

    from app.home.views import health

    current_app.register_blueprint(health)
    _register_ui(appbuilder)
    _register_api(appbuilder)
    _register_transfer(appbuilder)


def _register_ui(appbuilder):
    """FAB ModelViews and pages, grouped in the menus Counselling, Network, Reports, Administration."""


def _register_api(appbuilder):
    """REST APIs (FAB ModelRestApi) under /api/v1/."""


def _register_transfer(appbuilder):
    """Import page (Counselling → Import) and case exports (Reports → CSV/Excel)."""
    from app.transfer.views import ExportView, ImportView

    appbuilder.add_view(ImportView, "Import", label=_l("Import"), icon="fa-upload", category="Counselling",
                        category_label=_l("Counselling"))
    appbuilder.add_view_no_menu(ExportView)
    appbuilder.add_link("Case export CSV", href="/exports/cases.csv", label=_l("Export cases (CSV)"),
                        icon="fa-file-text-o", category="Reports", category_label=_l("Reports"))
    appbuilder.add_link("Case export Excel", href="/exports/cases.xlsx", label=_l("Export cases (Excel)"),
                        icon="fa-file-excel-o", category="Reports", category_label=_l("Reports"))
