"""Every view, API and blueprint of the application, registered in one visible place."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder):
    from flask import current_app

    from app.home.views import health

    current_app.register_blueprint(health)
    _register_ui(appbuilder)
    _register_api(appbuilder)
    _register_reports(appbuilder)


def _register_ui(appbuilder):
    """FAB ModelViews and pages, grouped in the menus Counselling, Network, Reports, Administration."""


def _register_api(appbuilder):
    """REST APIs (FAB ModelRestApi) under /api/v1/."""


def _register_reports(appbuilder):
    """Menu Reports: dashboard, summary PDF and case list PDF; the confirmation letter (no menu item)."""
    from flask import current_app

    from app.reports.confirmation import confirmation_link
    from app.reports.rendering import template_filters
    from app.reports.views import ConfirmationView, ReportsView

    current_app.jinja_env.filters.update(template_filters())
    current_app.jinja_env.globals["confirmation_link"] = confirmation_link
    appbuilder.add_view(ReportsView, "Dashboard", label=_l("Dashboard"), icon="fa-bar-chart",
                        category="Reports", category_label=_l("Reports"))
    appbuilder.add_link("Management summary", label=_l("Management summary (PDF)"),
                        href="/reports/summary.pdf", icon="fa-file-pdf-o", category="Reports")
    appbuilder.add_view_no_menu(ConfirmationView)
