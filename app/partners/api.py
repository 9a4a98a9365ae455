"""REST API of the partners (``/api/v1/partner/``): network-wide, written by Admin only."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.api import DomainModelApi
from app.partners.models import Partner
from app.security.roles import PARTNERS

_FIELDS = ["code", "name", "legal_form", "street", "postcode", "city", "state", "role",
           "contact_person", "phone", "email", "active"]


class PartnerApi(DomainModelApi):
    resource_name = "partner"
    datamodel = SQLAInterface(Partner)
    class_permission_name = PARTNERS
    list_columns = ["id", "code", "name", "city", "state", "role", "active"]
    show_columns = ["id"] + _FIELDS + ["created_at", "updated_at"]
    add_columns = _FIELDS
    edit_columns = _FIELDS
    order_columns = ["code", "name", "city", "state"]
    search_columns = ["code", "name", "city", "state", "role", "active"]
    base_order = ("code", "asc")
