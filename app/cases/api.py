"""REST APIs of counselling cases (``/api/v1/case/``) and their contacts (``/api/v1/contact/``)."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.cases.models import Case, Contact
from app.core.api import DomainModelApi
from app.security.access_log import note_clients
from app.security.roles import CASES

_CASE_FIELDS = ["partner", "client", "funding_period", "opened_on", "closed_on", "enquirer",
                "referral_source", "qualification_title", "qualification_type",
                "qualification_country", "qualification_year", "reference_occupation", "regulated",
                "legal_basis", "competent_body", "outcome", "notice_result", "notes"]
_CONTACT_FIELDS = ["partner", "case", "date", "kind", "channel", "minutes"]


class CaseApi(DomainModelApi):
    resource_name = "case"
    datamodel = SQLAInterface(Case)
    class_permission_name = CASES
    partner_owned = True
    optional_on_add = ("funding_period",)  # derived from opened_on by the model
    list_columns = ["id", "partner", "client", "funding_period", "opened_on", "closed_on", "status",
                    "qualification_title", "reference_occupation", "regulated", "outcome", "version"]
    # The reference occupation is joined into the list query (the other relations are joined by
    # the model), so listing never loads related rows one by one.
    list_select_columns = [c for c in list_columns if c != "reference_occupation"] + [
        "reference_occupation.id"]
    show_columns = (["id"] + _CASE_FIELDS
                    + ["status", "counsellor", "version", "created_at", "updated_at"])
    add_columns = _CASE_FIELDS
    edit_columns = _CASE_FIELDS + ["version"]
    order_columns = ["opened_on", "closed_on", "status", "outcome", "created_at"]
    search_columns = ["partner", "client", "funding_period", "opened_on", "closed_on", "status",
                      "enquirer", "qualification_type", "qualification_country",
                      "reference_occupation", "regulated", "outcome"]
    base_order = ("opened_on", "desc")

    # Read-access log (app.security.access_log): a case carries its client's personal data
    # (qualification, notes), so every client whose case the answer shows is logged.
    def pre_get(self, data):
        note_clients([(data.get("result") or {}).get("client")])

    def pre_get_list(self, data):
        note_clients(row.get("client") for row in data.get("result") or ())


class ContactApi(DomainModelApi):
    resource_name = "contact"
    datamodel = SQLAInterface(Contact)
    class_permission_name = CASES
    partner_owned = True
    list_columns = ["id"] + _CONTACT_FIELDS
    show_columns = ["id"] + _CONTACT_FIELDS + ["counsellor", "created_at", "updated_at"]
    add_columns = _CONTACT_FIELDS
    edit_columns = _CONTACT_FIELDS
    order_columns = ["date", "kind", "channel", "minutes"]
    search_columns = ["partner", "case", "date", "kind", "channel"]
    base_order = ("date", "desc")

