"""The counselling-consent fields of the client form and of "Neue Beratung": checkbox, text version
(default: the current text), how it was given, and the date. Saving goes through
``app.clients.consent_service.record_consent``, so both forms record the same consent."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional

from app.clients.consent import NEW_CONSENT_MANNERS_ENUM, ConsentText, current_text_version
from app.clients.consent_service import record_consent
from app.core.dates import DateInputField
from app.extensions import db


def text_versions(purpose="counselling"):
    """The versions of a purpose's texts, newest first; the first is the default on every form."""
    rows = db.session.execute(select(ConsentText.version, ConsentText.created_at)
                              .where(ConsentText.purpose == purpose)
                              .order_by(ConsentText.created_at.desc(), ConsentText.id.desc())).all()
    seen = []
    for version, _created in rows:
        if version not in seen:
            seen.append(version)
    return seen


def _version_choices():
    return [(version, version) for version in text_versions()]


def consent_fields():
    """Fresh unbound fields (one set per form class)."""
    return {
        "counselling_consent": BooleanField(
            _l("Counselling consent given"),
            description=_l("Without it the client is counselled anonymously: no names, contact data, "
                           "address or notes.")),
        "consent_text_version": SelectField(_l("Consent text version"), choices=_version_choices,
                                            default=default_version, validate_choice=False),
        "consent_given_how": SelectField(_l("Consent given by"),
                                         choices=lambda: NEW_CONSENT_MANNERS_ENUM.choices(),
                                         default="signed_form", validate_choice=False),
        "consent_given_on": DateInputField(_l("Consent given on"), [Optional()],
                                           description=_l("Empty means the day of the first contact (today).")),
    }


def default_version():
    return current_text_version(db.session, "counselling", "de")


CONSENT_FIELD_NAMES = ("counselling_consent", "consent_text_version", "consent_given_how", "consent_given_on")


def submitted(form):
    """The consent values of a submitted form, or None when the box is not ticked."""
    if not form.counselling_consent.data:
        return None
    return {"text_version": form.consent_text_version.data or None,
            "given_how": form.consent_given_how.data or None,
            "given_on": form.consent_given_on.data}


def record_from_form(session, client, values, default_day=None):
    """Record the ticked counselling consent on ``client`` (before the flush that saves it)."""
    if values is None:
        return None
    return record_consent(session, client, "counselling", values["given_on"] or default_day or date.today(),
                          values["given_how"], values["text_version"])
