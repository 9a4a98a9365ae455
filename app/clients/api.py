"""REST API of the clients (``/api/v1/client/``), restricted to the user's partners by the scope."""
from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.clients.consent import consents_as_api
from app.clients.consent_service import apply_api_consents
from app.clients.duplicates import check_new_client
from app.clients.models import Client
from app.core.api import DomainModelApi
from app.security.access_log import note_clients
from app.security.roles import CLIENTS

_FIELDS = ["partner", "first_name", "last_name", "birth_date", "gender", "citizenship",
           "second_citizenship", "country_of_birth", "district", "residence_state", "year_of_entry",
           "residence_status", "german_level", "employment_status", "counselling_language", "street",
           "postcode", "city", "phone", "email"]


class ClientApi(DomainModelApi):
    resource_name = "client"
    datamodel = SQLAInterface(Client)
    class_permission_name = CLIENTS
    partner_owned = True
    list_columns = ["id", "partner", "client_number", "first_name", "last_name", "birth_date",
                    "gender", "citizenship", "version"]
    # delete_after is derived (app/clients/retention.py): shown, never written.
    show_columns = ["id", "client_number"] + _FIELDS + ["delete_after", "version", "created_at", "updated_at"]
    add_columns = _FIELDS
    edit_columns = _FIELDS + ["version"]
    order_columns = ["client_number", "last_name", "first_name", "birth_date", "created_at"]
    search_columns = ["partner", "client_number", "first_name", "last_name", "birth_date", "gender",
                      "citizenship"]
    base_order = ("id", "desc")

    # -- consents are written with the client (CONTRACT.md: client field ``consents``) -------------
    def _create(self, payload):
        g.iq_api_consents = payload.pop("consents", None)
        # The confirmation that a likely duplicate is another person (the form's "Create anyway").
        g.iq_create_anyway = payload.pop("create_anyway", False) is True
        answer = self._with_consents(super()._create(payload))
        # Other partners that possibly counselled the person (app.clients.duplicates): partner and message only.
        answer["hints"] = [hint.as_json() for hint in g.pop("iq_duplicate_hints", ())]
        return answer

    def _update(self, item, payload):
        g.iq_api_consents = payload.pop("consents", None)
        return self._with_consents(super()._update(item, payload))

    def _with_consents(self, answer):
        record = self.datamodel.get(answer["id"])
        answer["result"]["consents"] = consents_as_api(record) if record is not None else []
        return answer

    def pre_add(self, item):
        g.iq_duplicate_hints = check_new_client(self.datamodel.session, item,
                                                confirmed=g.pop("iq_create_anyway", False))
        # Before the flush: the consent rule (app.clients.consent) sees the new consents.
        apply_api_consents(self.datamodel.session, item, g.pop("iq_api_consents", None))

    def pre_update(self, item):
        apply_api_consents(self.datamodel.session, item, g.pop("iq_api_consents", None))

    def pre_get(self, data):
        """Adds the client's ``consents`` (CONTRACT.md, Data protection); read through the scope.
        Every client the answer shows goes to the read-access log (app.security.access_log)."""
        record = self.datamodel.get(data["id"])
        data["result"]["consents"] = consents_as_api(record) if record is not None else []
        note_clients([data.get("id")])

    def pre_get_list(self, data):
        note_clients(data.get("ids") or ())
