"""Partner organisations: the network's members and the unit of data ownership."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.cases.views import CaseView
from app.clients.views import ClientView
from app.core.display import yes_no
from app.core.views import IqModelView
from app.funding.views import FundingView
from app.partners.models import Partner
from app.security.roles import PARTNERS
from app.trainings.views import TrainingView


def address_source_or_hint(value):
    """An address without a named source is flagged for an Admin (network.md: no invented addresses)."""
    if value:
        return escape(value)
    return Markup('<span class="label label-warning">%s</span>') % _l("unverified – an Admin fills it in")


class PartnerView(IqModelView):
    singular = _l("Partner")
    plural = _l("Partners")
    datamodel = SQLAInterface(Partner)
    class_permission_name = PARTNERS
    base_order = ("code", "asc")
    related_views = [ClientView, CaseView, TrainingView, FundingView]
    list_columns = ["code", "name", "city", "state", "role", "address_source", "active"]
    search_columns = ["code", "name", "city", "state", "role", "active"]
    add_columns = edit_columns = ["code", "name", "legal_form", "street", "postcode", "city", "state",
                                  "address_source", "role", "contact_person", "phone", "email", "active"]
    show_fieldsets = [
        (_l("Partner"), {"fields": ["code", "name", "legal_form", "role", "active"]}),
        (_l("Address"), {"fields": ["street", "postcode", "city", "state", "address_source"]}),
        (_l("Contact"), {"fields": ["contact_person", "phone", "email"]}),
    ]
    label_columns = {
        "code": _l("Code"), "name": _l("Name"), "legal_form": _l("Legal form"), "street": _l("Street"),
        "postcode": _l("Postcode"), "city": _l("City"), "state": _l("State"),
        "role": _l("Role in the network"), "contact_person": _l("Contact person"),
        "phone": _l("Phone"), "email": _l("E-mail"), "active": _l("Active"),
        "address_source": _l("Source of the address"),
    }
    description_columns = {
        "address_source": _l("Where street and postcode come from (publication, letter, website). "
                             "Without a source the address counts as unverified."),
    }
    # state and role: select, formatter and filter from the columns' enumerations (IqModelView)
    formatters_columns = {"active": yes_no, "address_source": address_source_or_hint}

