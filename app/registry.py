"""Every view, API and blueprint of the application, registered in one visible place."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder):
    from flask import current_app

    from app.home.views import health

    current_app.register_blueprint(health)
    _register_ui(appbuilder)
    _register_api(appbuilder)
    _register_security(appbuilder)


def _register_ui(appbuilder):
    """FAB ModelViews and pages, grouped in the menus Counselling, Network, Reports, Administration."""


def _register_api(appbuilder):
    """REST APIs (FAB ModelRestApi) under /api/v1/."""
    from app.cases.api import CaseApi, ContactApi
    from app.catalogues.api import CompetentBodyApi, CountryApi, ReferenceOccupationApi
    from app.clients.api import ClientApi
    from app.funding.api import FundingApi, FundingPeriodApi
    from app.partners.api import PartnerApi
    from app.trainings.api import TrainingApi

    for api in (PartnerApi, FundingPeriodApi, FundingApi, ClientApi, CaseApi, ContactApi,
                TrainingApi, ReferenceOccupationApi, CompetentBodyApi, CountryApi):
        appbuilder.add_api(api)


def _register_security(appbuilder):
    """User administration per partner (Admin: network-wide; PartnerAdmin: own partners)."""
    from app.security.user_admin import PartnerUserView

    appbuilder.add_view(PartnerUserView, "Users of my partners", label=_l("Users and partners"),
                        icon="fa-users", category="Administration", category_label=_l("Administration"),
                        category_icon="fa-cogs")
