"""Every view, API and blueprint of the application, registered in one visible place."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder):
    from flask import current_app

    from app.home.views import health

    current_app.register_blueprint(health)
    # Templates ask for permissions through this global: FAB's ``"can_x" | is_item_visible("View")``
    # with constant arguments is folded by Jinja's optimizer at compile time, i.e. answered once
    # for the first user who renders the template.
    current_app.jinja_env.globals["user_may"] = appbuilder.sm.has_access
    # <html lang> of every page (templates/appbuilder/init.html): the UI language, "de" or "en".
    current_app.jinja_env.globals["ui_language"] = _ui_language
    # The navigation menu, rendered once per role set and language (app.core.navbar).
    from app.core import navbar

    navbar.install(current_app)
    _register_ui(appbuilder)
    _register_api(appbuilder)
    _register_security(appbuilder)
    _register_transfer(appbuilder)
    _register_reports(appbuilder)
    _register_referrals(appbuilder)


def _ui_language():
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale else "de"


def _register_ui(appbuilder):
    """FAB ModelViews and pages, grouped in the menus Counselling, Network, Reports, Administration.

    Menu names must match app/security/roles.py ``_menus(...)``; the German labels come from the
    translation catalogue.
    """
    from flask import current_app

    from app.cases.views import CaseView, ContactView
    from app.catalogues.views import CompetentBodyView, CountryView, ReferenceOccupationView
    from app.clients.consent_views import ConsentPdfView, ConsentTextView, ConsentView
    from app.clients.views import ClientView
    from app.entry.views import QuickEntryView
    from app.funding.views import FundingPeriodView, FundingView
    from app.partners.views import PartnerView
    from app.clients.erasure_views import ErasureView, RetentionView, erasure_state
    from app.security.views import AuditEventView
    from app.trainings.views import TrainingView

    menus = [
        ("Counselling", _l("Counselling"), "fa-comments", [
            (QuickEntryView, "New counselling", _l("New counselling"), "fa-plus-circle"),
            (ClientView, "Clients", _l("Clients"), "fa-user"),
            (CaseView, "Cases", _l("Cases"), "fa-folder-open"),
            (ContactView, "Contacts", _l("Contacts"), "fa-handshake"),
        ]),
        ("Network", _l("Network"), "fa-sitemap", [
            (PartnerView, "Partners", _l("Partners"), "fa-building"),
            (FundingPeriodView, "Funding periods", _l("Funding periods"), "fa-calendar"),
            (FundingView, "Funding", _l("Funding"), "fa-euro-sign"),
            (TrainingView, "Trainings", _l("Trainings"), "fa-chalkboard-teacher"),
        ]),
        ("Catalogues", _l("Catalogues"), "fa-book", [
            (ReferenceOccupationView, "Reference occupations", _l("Reference occupations"), "fa-briefcase"),
            (CompetentBodyView, "Competent bodies", _l("Competent bodies"), "fa-landmark"),
            (CountryView, "Countries", _l("Countries"), "fa-globe"),
            (ConsentTextView, "Consent texts", _l("Consent texts"), "fa-file-signature"),
        ]),
        ("Administration", _l("Administration"), "fa-cogs", [
            (AuditEventView, "Audit trail", _l("Audit trail"), "fa-history"),
            (RetentionView, "Retention", _l("Retention"), "fa-hourglass-end"),
        ]),
    ]
    for category, category_label, category_icon, items in menus:
        for view, name, label, icon in items:
            appbuilder.add_view(view, name, label=label, icon=icon, category=category,
                                category_label=category_label, category_icon=category_icon)
    # Erasure (Art. 17): POST routes behind the buttons of the client page.
    appbuilder.add_view_no_menu(ErasureView)
    current_app.jinja_env.globals["client_erasure_state"] = lambda pk: erasure_state(_client_in_scope(pk))
    # The client page's consents (a related view of ClientView) and the consent texts as PDF.
    appbuilder.add_view_no_menu(ConsentView)
    appbuilder.add_view_no_menu(ConsentPdfView)


def _client_in_scope(pk):
    from app.clients.models import Client
    from app.extensions import db

    from werkzeug.exceptions import NotFound

    from app.security.history import scoped_record

    client = scoped_record(db.session, Client, int(pk))  # the page's record, not a second read
    if client is None:
        raise NotFound()
    return client


def _register_api(appbuilder):
    """REST APIs (FAB ModelRestApi) under /api/v1/."""
    from app.cases.api import CaseApi, ContactApi
    from app.catalogues.api import CompetentBodyApi, CountryApi, ReferenceOccupationApi
    from app.clients.api import ClientApi
    from app.clients.erasure_views import ClientErasureApi
    from app.funding.api import FundingApi, FundingPeriodApi
    from app.partners.api import PartnerApi
    from app.security.audit_api import AccessLogApi, AuditApi
    from app.trainings.api import TrainingApi

    for api in (PartnerApi, FundingPeriodApi, FundingApi, ClientApi, CaseApi, ContactApi,
                TrainingApi, ReferenceOccupationApi, CompetentBodyApi, CountryApi, AuditApi, AccessLogApi,
                ClientErasureApi):
        appbuilder.add_api(api)


def _register_security(appbuilder):
    """User administration per partner (Admin: network-wide; PartnerAdmin: own partners)."""
    from app.security.user_admin import PartnerUserView

    appbuilder.add_view(PartnerUserView, "Users of my partners", label=_l("Users and partners"),
                        icon="fa-users", category="Administration", category_label=_l("Administration"),
                        category_icon="fa-cogs")
    hide_stock_security_menu(appbuilder)
    # "View as" (read-only, audited): the routes, the button's check and the one write gate.
    from flask import current_app

    from app.security import view_as
    from app.security.view_as_views import ViewAsView, offer

    appbuilder.add_view_no_menu(ViewAsView)
    current_app.jinja_env.globals["view_as_offer"] = offer
    view_as.init_app(current_app)


STOCK_SECURITY_MENU = "Security"


def hide_stock_security_menu(appbuilder):
    """FAB's "Security" menu (users, roles, groups, regex permissions) is replaced by the app's user
    administration and the roles built from code (app/security/roles.py); its views stay registered
    (the profile and password pages live there) but the menu is not shown to anybody."""
    appbuilder.menu.menu[:] = [item for item in appbuilder.menu.menu if item.name != STOCK_SECURITY_MENU]


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
    appbuilder.add_link("Monitoring workbook", label=_l("Monitoring workbook (Excel)"),
                        href="/reports/monitoring", icon="fa-file-excel-o", category="Reports")
    appbuilder.add_view_no_menu(ConfirmationView)
    from app.clients.art15 import may_produce_on_page
    from app.clients.art15_views import Art15View
    from app.security.history_views import CaseHistoryView, ClientHistoryView, history_url

    current_app.jinja_env.globals["history_url"] = history_url  # the "Verlauf" tab loads from there
    current_app.jinja_env.globals["may_produce_art15"] = may_produce_on_page
    appbuilder.add_view_no_menu(Art15View)
    appbuilder.add_view_no_menu(ClientHistoryView)
    appbuilder.add_view_no_menu(CaseHistoryView)


def _register_referrals(appbuilder):
    """Counselling → Referrals (inbox with a badge of open received referrals) and its API."""
    from app.referrals.api import ReferralApi
    from app.referrals.views import ReferralView, add_badges

    appbuilder.add_view(ReferralView, "Referrals", label=_l("Referrals"), icon="fa-share-square",
                        category="Counselling", category_label=_l("Counselling"))
    appbuilder.add_api(ReferralApi)
    add_badges(appbuilder, "Counselling", "Referrals")
