"""Clients (Ratsuchende): personal data of one partner; Management has no access at all (roles.py)."""
from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from app.cases.views import CaseView
from app.clients.consent_views import ConsentView
from app.clients.consent_forms import CONSENT_FIELD_NAMES, consent_fields, record_from_form, submitted
from app.clients.duplicates import check_new_client, flash_hints
from app.clients.models import Client
from app.core.forms import country_field, language_field, partner_field, version_field
from app.core.languages import language_name
from app.core.display import country_formatter, date_formatters, enum_formatter
from app.core.views import IqModelView
from app.security.access_log import LogsClientReads
from app.security.roles import CLIENTS

_PERSON = ["first_name", "last_name", "birth_date", "gender", "citizenship", "second_citizenship",
           "country_of_birth"]
_RESIDENCE = ["district", "residence_state", "year_of_entry", "residence_status", "german_level",
              "employment_status", "counselling_language"]
_CONTACT = ["street", "postcode", "city", "phone", "email"]
# Derived by the retention rule (app/clients/retention.py): shown, never entered.
_DELETION = ["delete_after"]

_COUNTRIES = {
    "citizenship": (_l("Citizenship"), True),
    "second_citizenship": (_l("Second citizenship"), False),
    "country_of_birth": (_l("Country of birth"), False),
}


def _form_fields():
    # Enumerations (gender, residence, ...) are declared on the model (Enumeration.column_info).
    fields = {name: country_field(label, required) for name, (label, required) in _COUNTRIES.items()}
    fields["counselling_language"] = language_field(_l("Counselling language"))
    return fields


class ClientView(LogsClientReads, IqModelView):
    """List, show and edit pages show names: each displayed client is noted in the read-access log."""

    singular = _l("Client")
    plural = _l("Clients")
    datamodel = SQLAInterface(Client)
    class_permission_name = CLIENTS
    owning_partner = True
    related_views = [CaseView, ConsentView]
    show_template = "clients/show.html"  # erasure and Art. 15 buttons, "Verlauf" (history) tab
    extra_args = {"history_kind": "client"}
    list_columns = ["client_number", "last_name", "first_name", "birth_date", "gender", "citizenship",
                    "partner"]
    search_columns = ["client_number", "last_name", "first_name", "birth_date", "gender", "citizenship",
                      "partner", "district"]
    add_columns = (["partner"] + _PERSON + _RESIDENCE + _CONTACT + list(CONSENT_FIELD_NAMES)
                   + ["create_anyway"])
    form_only_fields = ("create_anyway",) + CONSENT_FIELD_NAMES
    edit_columns = _PERSON + _RESIDENCE + _CONTACT + ["version"]
    show_fieldsets = [
        (_l("Client"), {"fields": ["client_number", "partner"] + _PERSON}),
        (_l("Residence and work"), {"fields": _RESIDENCE}),
        (_l("Contact data"), {"fields": _CONTACT}),
        (_l("Consent and deletion"), {"fields": _DELETION, "expanded": False}),
    ]
    label_columns = {
        "client_number": _l("Client number"), "partner": _l("Partner"), "first_name": _l("First name"),
        "last_name": _l("Last name"), "birth_date": _l("Birth date"), "gender": _l("Gender"),
        "citizenship": _l("Citizenship"), "second_citizenship": _l("Second citizenship"),
        "country_of_birth": _l("Country of birth"), "district": _l("District"),
        "residence_state": _l("Residence"), "year_of_entry": _l("Year of entry"),
        "residence_status": _l("Residence status"), "german_level": _l("German level"),
        "employment_status": _l("Employment status"),
        "counselling_language": _l("Counselling language"), "street": _l("Street"),
        "postcode": _l("Postcode"), "city": _l("City"), "phone": _l("Phone"),
        "email": _l("E-mail"), "delete_after": _l("Delete after"), "version": _l("Version"),
    }
    add_form_extra_fields = {
        "partner": partner_field(_l("Partner")), **_form_fields(), **consent_fields(),
        "create_anyway": BooleanField(_l("Create anyway"),
                                      description=_l("Only when the client shown as a possible duplicate "
                                                     "is another person.")),
    }
    edit_form_extra_fields = {**_form_fields(), "version": version_field()}
    formatters_columns = {
        **date_formatters("birth_date", "delete_after"),
        **{name: country_formatter for name in _COUNTRIES},
        "counselling_language": language_name,
    }

    def process_form(self, form, is_created):
        # Views are shared between requests: the confirmation travels on ``g``, not on ``self``.
        g.iq_create_anyway = bool(is_created and form.create_anyway.data)
        g.iq_counselling_consent = submitted(form) if is_created else None

    def pre_add(self, item):
        """Refuse a likely duplicate within the partner unless the user confirmed it is another person;
        record the counselling consent ticked in the form (the model then accepts the names)."""
        g.iq_duplicate_hints = check_new_client(self.datamodel.session, item, confirmed=g.get("iq_create_anyway"))
        record_from_form(self.datamodel.session, item, g.get("iq_counselling_consent"))

    def post_add(self, item):
        """Saved: "possibly already counselled at partner X" (app.clients.duplicates), never blocking."""
        flash_hints(g.pop("iq_duplicate_hints", ()))

