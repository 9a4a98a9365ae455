"""Recording and withdrawing consents: the one service the client page, the quick entry, the API
and the import call, so that defaults (the current text version in the chosen language) and the
rules (a withdrawn consent is final) are the same on every path.

The rules themselves live in the model (``Consent.validate``, ``check_personal_data``); a refused
consent raises DomainError and the caller rolls back.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.clients.consent import CONSENT_PURPOSES, Consent, ConsentText, current_text_version
from app.core.errors import DomainError


def text_languages(session, purpose):
    return set(session.scalars(select(ConsentText.language).where(ConsentText.purpose == purpose)))


def default_language(session, purpose, wanted):
    """The client's language where a text of that purpose exists in it, otherwise German."""
    wanted = (wanted or "de").lower()
    return wanted if wanted in text_languages(session, purpose) else "de"


def record_consent(session, client, purpose, given_on, given_how, text_version=None, language=None,
                   withdrawn_on=None):
    """Append a new consent to ``client`` (flushed with it); the text version defaults to the
    current one of the purpose in the language (the client's counselling language by default)."""
    if purpose not in CONSENT_PURPOSES:
        raise DomainError(_l("Unknown value “%(value)s” for %(field)s.", value=purpose, field="purpose"),
                          field="purpose")
    language = (language or default_language(session, purpose, client.counselling_language)).lower()
    version = text_version or current_text_version(session, purpose, language)
    if version is None:
        raise DomainError(_l("There is no consent text for this purpose in the language “%(language)s”.",
                             language=language), field="language")
    consent = Consent(purpose=purpose, given_on=given_on, given_how=given_how, text_version=version,
                      language=language, withdrawn_on=withdrawn_on)
    client.consents.append(consent)
    return consent


def withdraw_consent(consent, on=None):
    """Withdraw ``consent`` from ``on`` (default today); from that day it covers nothing."""
    if consent.withdrawn_on is not None:
        raise DomainError(_l("This consent was already withdrawn on %(day)s.",
                             day=consent.withdrawn_on.strftime("%d.%m.%Y")), field="withdrawn_on")
    consent.withdrawn_on = on or date.today()
    return consent


def _parse_date(value, field):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(_l("“%(value)s” is not a date (YYYY-MM-DD).", value=value), field=field) from None


def apply_api_consents(session, client, items):
    """The ``consents`` list of a client POST/PUT (CONTRACT.md): an entry equal to a stored consent
    (purpose, given_on, text_version) may only add its withdrawal date; any other entry is a new
    consent and needs ``given_how``. Stored consents missing from the list stay (never deleted)."""
    if items is None:
        return
    if not isinstance(items, list):
        raise DomainError(_l("“consents” must be a list."), field="consents")
    for item in items:
        if not isinstance(item, dict):
            raise DomainError(_l("Each consent must be an object."), field="consents")
        unknown = set(item) - {"purpose", "given_on", "text_version", "withdrawn_on", "language", "given_how"}
        if unknown:
            raise DomainError(_l("Unknown consent fields: %(fields)s.", fields=", ".join(sorted(unknown))),
                              field="consents")
        purpose = item.get("purpose")
        given_on = _parse_date(item.get("given_on"), "given_on")
        withdrawn_on = _parse_date(item.get("withdrawn_on"), "withdrawn_on")
        stored = next((c for c in client.consents if c.id is not None and c.purpose == purpose
                       and c.given_on == given_on
                       and (item.get("text_version") in (None, c.text_version))), None)
        if stored is not None:
            if withdrawn_on == stored.withdrawn_on:
                continue
            if stored.withdrawn_on is not None or withdrawn_on is None:
                raise DomainError(_l("A withdrawn consent cannot be changed; record a new consent instead."),
                                  field="withdrawn_on")
            withdraw_consent(stored, withdrawn_on)
            continue
        if given_on is None:
            raise DomainError(_l("The date of the consent is required."), field="given_on")
        if not item.get("given_how"):
            raise DomainError(_l("Say how the consent was given (given_how: signed_form, verbal or email)."),
                              field="given_how")
        record_consent(session, client, purpose, given_on, item["given_how"], item.get("text_version"),
                       item.get("language"), withdrawn_on)
