"""REST APIs of funding periods (``/api/v1/funding_period/``) and of the partners' funding."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.api import DomainModelApi
from app.funding.models import Funding, FundingPeriod
from app.security.roles import FUNDING, FUNDING_PERIODS

_PERIOD_FIELDS = ["code", "name", "start", "end", "closed"]
_FUNDING_FIELDS = ["partner", "funding_period", "funder", "planned_amount", "spent_amount",
                   "planned_cases", "planned_trainings"]


class FundingPeriodApi(DomainModelApi):
    resource_name = "funding_period"
    datamodel = SQLAInterface(FundingPeriod)
    class_permission_name = FUNDING_PERIODS
    list_columns = ["id"] + _PERIOD_FIELDS
    show_columns = ["id"] + _PERIOD_FIELDS + ["created_at", "updated_at"]
    add_columns = _PERIOD_FIELDS
    edit_columns = _PERIOD_FIELDS
    order_columns = ["code", "start", "end"]
    search_columns = ["code", "name", "start", "end", "closed"]
    base_order = ("start", "desc")


class FundingApi(DomainModelApi):
    resource_name = "funding"
    datamodel = SQLAInterface(Funding)
    class_permission_name = FUNDING
    partner_owned = True
    list_columns = ["id"] + _FUNDING_FIELDS
    show_columns = ["id"] + _FUNDING_FIELDS + ["created_at", "updated_at"]
    add_columns = _FUNDING_FIELDS
    edit_columns = _FUNDING_FIELDS
    order_columns = ["funder", "planned_amount", "spent_amount"]
    search_columns = ["partner", "funding_period", "funder"]
    base_order = ("id", "desc")
