"""Saving the quick entry: client (new or chosen), case and first contact in one transaction."""
from flask_babel import lazy_gettext as _l

from app.cases.models import Case, Contact
from app.clients.consent import has_consent
from app.clients.consent_forms import record_from_form, submitted
from app.clients.models import Client
from app.core.errors import DomainError
from app.entry.forms import CASE_FIELDS, CLIENT_FIELDS
from app.security.scoping import owning_partner_id

NO_CLIENT = _l("Choose an existing client or enter the new client's birth date (and, with the counselling "
               "consent, the name).")


def save_entry(session, form):
    """Create the records and commit; a DomainError (from the models) or ScopeError leaves nothing behind.

    The caller rolls back on error. The case's partner is its client's; a new client's partner is
    the one ``owning_partner_id`` allows.
    """
    with session.no_autoflush:
        client = form.client.data
        if client is None:
            if not form.new_client_given():
                raise DomainError(NO_CLIENT, field="client")
            client = Client(partner_id=owning_partner_id(form.partner.data),
                            **{name: form[name].data for name in CLIENT_FIELDS})
            session.add(client)
        consent = submitted(form)
        if consent is not None and not has_consent(client, "counselling", on=consent["given_on"] or form.opened_on.data):
            # The consent recorded in the same form (checkbox + text version), before the client's rules run.
            record_from_form(session, client, consent, default_day=form.opened_on.data)
        case = Case(client=client, opened_on=form.opened_on.data,  # partner: its client's (Case.validate)
                    **_case_values(form))  # counsellor: the user (Counselled)
        contact = Contact(case=case, date=form.opened_on.data,
                          kind="first_contact", channel=form.channel.data, minutes=form.minutes.data)
        session.add_all([case, contact])
    session.commit()
    return case


def _case_values(form):
    values = {name: form[name].data for name in CASE_FIELDS}
    occupation = values.pop("reference_occupation")
    values["reference_occupation_id"] = occupation.id if occupation is not None else None
    values["competent_body_id"] = values.pop("competent_body")
    return values
