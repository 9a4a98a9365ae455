"""Funding periods (reporting units) and the funds each partner receives per period and funder."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.cases.views import CaseView
from app.core.display import money
from app.core.enums import FUNDERS
from app.core.forms import partner_field
from app.core.display import date_formatters, yes_no
from app.core.views import IqModelView
from app.funding.models import Funding, FundingPeriod
from app.security.roles import FUNDING, FUNDING_PERIODS

_FUNDING_LABELS = {
    "partner": _l("Partner"), "funding_period": _l("Funding period"), "funder": _l("Funder"),
    "planned_amount": _l("Planned amount (EUR)"), "spent_amount": _l("Spent amount (EUR)"),
    "planned_cases": _l("Planned cases"), "planned_trainings": _l("Planned trainings"),
}


class FundingView(IqModelView):
    singular = _l("Funding")
    plural = _l("Funding")
    datamodel = SQLAInterface(Funding)
    class_permission_name = FUNDING
    owning_partner = True
    list_columns = ["partner", "funding_period", "funder", "planned_amount", "spent_amount",
                    "planned_cases", "planned_trainings"]
    search_columns = ["partner", "funding_period", "funder"]
    add_columns = ["partner", "funding_period", "funder", "planned_amount", "spent_amount",
                   "planned_cases", "planned_trainings"]
    edit_columns = add_columns[1:]
    show_columns = list_columns
    label_columns = _FUNDING_LABELS
    add_form_extra_fields = {"partner": partner_field(_l("Partner"))}
    # funder: select, formatter and filter from the column's enumeration (IqModelView)
    formatters_columns = {"planned_amount": money, "spent_amount": money}

    @staticmethod
    def record_label(item):
        """Saved/deleted messages name the funding by partner, period and funder."""
        return " – ".join(str(part) for part in (item.partner, item.funding_period, FUNDERS.label(item.funder))
                          if part)


class FundingPeriodView(IqModelView):
    singular = _l("Funding period")
    plural = _l("Funding periods")
    datamodel = SQLAInterface(FundingPeriod)
    class_permission_name = FUNDING_PERIODS
    base_order = ("start", "desc")
    related_views = [CaseView]
    list_columns = ["code", "name", "start", "end", "closed"]
    search_columns = ["code", "name", "start", "end", "closed"]
    add_columns = edit_columns = show_columns = ["code", "name", "start", "end", "closed"]
    label_columns = {"code": _l("Code"), "name": _l("Name"), "start": _l("Start"), "end": _l("End"),
                     "closed": _l("Closed (reported)")}
    formatters_columns = {**date_formatters("start", "end"), "closed": yes_no}
