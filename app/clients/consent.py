"""Consents of a client (GDPR Art. 6/7/9) and the versioned consent texts they refer to.

A consent belongs to the client's partner (PartnerOwned), so the one partner scope and the
row-level security apply to it. A withdrawn consent is final: it cannot be edited, only followed
by a new consent.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, Column, Date, ForeignKey, Integer, String, Text,
                        UniqueConstraint, event, inspect, select)
from sqlalchemy.orm import Session, object_session, relationship, validates

from app.core.enums import Enumeration
from app.core.errors import DomainError
from app.core.models import PartnerOwned, TimestampMixin, Validated, check_length
from flask_appbuilder import Model

CONSENT_PURPOSES = Enumeration(
    "consent_purpose",
    [("counselling", _l("counselling")), ("referral", _l("passing data to another partner")),
     ("email", _l("contact by e-mail"))],
)
CONSENT_MANNERS = Enumeration(
    "consent_manner",
    [("signed_form", _l("signed form")), ("verbal", _l("verbal")), ("email", _l("e-mail")),
     ("not_recorded", _l("not recorded (taken over from the former consent fields)"))],
)
#: How a consent can be given today; ``not_recorded`` only marks consents migrated from the
#: former single consent columns of the client (migration 5c0e7a91d3b2).
NEW_CONSENT_MANNERS = ("signed_form", "verbal", "email")
NEW_CONSENT_MANNERS_ENUM = Enumeration(
    "consent_manner", [item for item in CONSENT_MANNERS.items if item[0] in NEW_CONSENT_MANNERS])

#: The personal fields that only a client with a counselling consent may hold (issue 11): names,
#: contact data, address and free-text notes. Everything else is statistical and may be kept for
#: an anonymous client (IQ counsels by phone without names).
CLIENT_CONSENT_FIELDS = ("first_name", "last_name", "phone", "email", "district", "street",
                         "postcode", "city")
CASE_CONSENT_FIELDS = ("notes",)
FIELD_LABELS = {
    "first_name": _l("First name"), "last_name": _l("Last name"), "phone": _l("Phone"),
    "email": _l("E-mail"), "district": _l("District"), "street": _l("Street"),
    "postcode": _l("Postcode"), "city": _l("City"), "notes": _l("Notes"),
}


class ConsentText(TimestampMixin, Validated, Model):
    """The wording a client agrees to, per purpose, version and language (maintained by Admin).

    A version that a client has agreed to is final: it cannot be changed or deleted, only
    superseded by a new version (the newest version is the default on every form). Publishing a
    new version changes no consent: a consent names the version it was given for.
    """

    __tablename__ = "consent_text"
    __table_args__ = (
        UniqueConstraint("purpose", "version", "language", name="uq_consent_text_version"),
        CheckConstraint(CONSENT_PURPOSES.check_sql("purpose"), name="ck_consent_text_purpose"),
    )

    id = Column(Integer, primary_key=True)
    purpose = Column(String(20), nullable=False, info=CONSENT_PURPOSES.column_info(required=True))
    version = Column(String(20), nullable=False)
    language = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)

    @validates("version")
    def _v_version(self, key, value):
        return check_length(key, value, 20, nullable=False)

    @validates("language")
    def _v_language(self, key, value):
        return (check_length(key, value, 8, nullable=False)).lower()

    @validates("text")
    def _v_text(self, key, value):
        return check_length(key, value, 20000, nullable=False)

    def __str__(self):
        return f"{self.purpose} {self.version} ({self.language})"

    def used(self, purpose=None, version=None, language=None):
        """Whether any client agreed to this text (as it is stored, or with the given key)."""
        session = object_session(self)
        if session is None or self.id is None:
            return False
        with session.no_autoflush:
            return session.scalar(select(Consent.id).where(
                Consent.purpose == (purpose or self.purpose), Consent.text_version == (version or self.version),
                Consent.language == (language or self.language)).limit(1)) is not None

    def validate(self):
        state = inspect(self)
        if not state.persistent:
            return
        changed = [name for name in ("purpose", "version", "language", "text")
                   if state.attrs[name].history.added and state.attrs[name].history.deleted]
        if not changed:
            return
        old = {name: (state.attrs[name].history.deleted or [getattr(self, name)])[0]
               for name in ("purpose", "version", "language")}
        if self.used(**old):
            raise DomainError(USED_TEXT_MESSAGE, field=changed[0])


USED_TEXT_MESSAGE = _l("Clients have agreed to this text version: it cannot be changed or deleted. "
                       "Publish a new version instead.")


@event.listens_for(Session, "before_flush")
def _used_texts_are_not_deleted(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, ConsentText) and obj.used():
            raise DomainError(USED_TEXT_MESSAGE)


def current_text_version(session, purpose, language="de"):
    """The newest version of a purpose's text (by creation), the default on every consent form."""
    return session.scalar(
        select(ConsentText.version)
        .where(ConsentText.purpose == purpose, ConsentText.language == language)
        .order_by(ConsentText.created_at.desc(), ConsentText.id.desc())
        .limit(1)
    )


class Consent(PartnerOwned, TimestampMixin, Validated, Model):
    __tablename__ = "consent"
    __table_args__ = (
        CheckConstraint(CONSENT_PURPOSES.check_sql("purpose"), name="ck_consent_purpose"),
        CheckConstraint(CONSENT_MANNERS.check_sql("given_how"), name="ck_consent_given_how"),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    client_id = Column(Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False, index=True)
    client = relationship("Client", back_populates="consents")
    purpose = Column(String(20), nullable=False, info=CONSENT_PURPOSES.column_info(required=True))
    given_on = Column(Date, nullable=False)
    text_version = Column(String(20), nullable=False)
    language = Column(String(8), nullable=False, default="de")
    given_how = Column(String(20), nullable=False, info=CONSENT_MANNERS.column_info(required=True))
    withdrawn_on = Column(Date)

    @validates("text_version")
    def _v_text_version(self, key, value):
        return check_length(key, value, 20, nullable=False)

    @validates("language")
    def _v_language(self, key, value):
        return (check_length(key, value, 8) or "de").lower()

    def validate(self):
        state = inspect(self)
        if self.client is None and self.client_id is None:
            raise DomainError(_l("A consent belongs to a client."), field="client")
        if not state.persistent and self.given_how not in NEW_CONSENT_MANNERS:
            raise DomainError(_l("Choose how the consent was given: signed form, verbal or e-mail."),
                              field="given_how")
        if self.given_on is None:
            raise DomainError(_l("The date of the consent is required."), field="given_on")
        if self.given_on > date.today():
            raise DomainError(_l("A consent cannot be given in the future."), field="given_on")
        if self.withdrawn_on is not None and self.withdrawn_on > date.today():
            raise DomainError(_l("A consent cannot be withdrawn in the future."), field="withdrawn_on")
        if not state.persistent and not self._text_exists():
            raise DomainError(_l("There is no consent text “%(version)s” for this purpose in the language "
                                 "“%(language)s”.", version=self.text_version, language=self.language),
                              field="text_version")
        if self.withdrawn_on is not None and self.withdrawn_on < self.given_on:
            raise DomainError(_l("Consent cannot be withdrawn before it was given."), field="withdrawn_on")
        if state.persistent:
            previous = state.attrs.withdrawn_on.history.deleted
            changed = any(state.attrs[name].history.deleted and state.attrs[name].history.added
                          for name in ("purpose", "given_on", "text_version", "language", "given_how",
                                       "client_id"))
            was_withdrawn = (previous and previous[0] is not None) or (
                self.withdrawn_on is not None and not state.attrs.withdrawn_on.history.added and changed)
            if was_withdrawn:
                raise DomainError(
                    _l("A withdrawn consent cannot be changed; record a new consent instead."),
                    field="withdrawn_on",
                )
        client = self.client
        if client is not None:
            # A consent belongs to its client's partner, also for a client created in the same flush.
            if client.__dict__.get("partner") is not None:
                self.partner = client.partner
            elif client.partner_id is not None:
                self.partner_id = client.partner_id

    def _text_exists(self):
        session = object_session(self)
        if session is None:
            return True
        with session.no_autoflush:
            return session.scalar(select(ConsentText.id).where(
                ConsentText.purpose == self.purpose, ConsentText.version == self.text_version,
                ConsentText.language == (self.language or "de")).limit(1)) is not None

    @property
    def open_id(self):
        """The id while the consent may still be withdrawn (the client page's withdraw button)."""
        return self.id if self.withdrawn_on is None else None

    def covers(self, purpose, on):
        return (self.purpose == purpose and self.given_on <= on
                and (self.withdrawn_on is None or self.withdrawn_on > on))

    def __str__(self):
        return f"{CONSENT_PURPOSES.label(self.purpose)} {self.given_on:%d.%m.%Y}"


def has_consent(client, purpose, on=None):
    """Whether ``client`` had a valid consent for ``purpose`` on the day ``on`` (default today).

    The one check every path calls before using data for a purpose (counselling, referral, e-mail).
    A consent withdrawn on a day no longer covers that day.
    """
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    on = on or date.today()
    return any(consent.covers(purpose, on) for consent in client.consents)


def consents_as_api(client):
    """The ``consents`` list of the client API (CONTRACT.md, Data protection)."""
    return [
        {"purpose": c.purpose, "given_on": c.given_on.isoformat(), "text_version": c.text_version,
         "withdrawn_on": c.withdrawn_on.isoformat() if c.withdrawn_on else None}
        for c in sorted(client.consents, key=lambda c: (c.given_on, c.id or 0))
    ]


def _withdrawn_on(client, purpose, on):
    """The latest withdrawal of a ``purpose`` consent on or before ``on``, or None."""
    days = [c.withdrawn_on for c in client.consents
            if c.purpose == purpose and c.withdrawn_on is not None and c.withdrawn_on <= on]
    return max(days) if days else None


def _set_fields(obj, fields):
    """The fields of ``fields`` that this flush fills with a value (new, or changed to a value)."""
    state = inspect(obj)
    found = []
    for name in fields:
        if name not in state.mapper.column_attrs or getattr(obj, name) in (None, ""):
            continue
        if state.persistent and not state.attrs[name].history.added:
            continue
        found.append(name)
    return found


def check_personal_data(obj, client, fields):
    """THE rule of anonymous counselling (issue 11), stated once and called by ``Client.validate``
    and ``Case.validate``, so that every path (forms, quick entry, API, import, CLI) obeys it.

    Names, contact data, address and notes may only be added or changed while the client has an
    unwithdrawn counselling consent (today); clearing them is always allowed. A client without
    such a consent is counselled anonymously and holds only the statistical fields.
    """
    found = _set_fields(obj, fields)
    if not found or (client is not None and has_consent(client, "counselling")):
        return
    listed = ", ".join(str(FIELD_LABELS.get(name, name)) for name in found)
    withdrawn = _withdrawn_on(client, "counselling", date.today()) if client is not None else None
    if withdrawn is not None:
        raise DomainError(_l("The counselling consent was withdrawn on %(day)s: personal data (%(fields)s) "
                             "can no longer be added or changed. Record a new consent first.",
                             day=withdrawn.strftime("%d.%m.%Y"), fields=listed), field=found[0])
    raise DomainError(_l("Without a counselling consent the client is counselled anonymously: names, "
                         "contact data, address and notes cannot be saved (%(fields)s). Record the "
                         "counselling consent first, or leave these fields empty.", fields=listed),
                      field=found[0])


def check_email_contact(contact, client):
    """A contact by e-mail is refused on a day a withdrawn e-mail consent covers (and no newer
    consent does): the withdrawal blocks that purpose from then on."""
    state = inspect(contact)
    if contact.channel != "email" or client is None or contact.date is None:
        return
    if state.persistent and not (state.attrs.channel.history.added or state.attrs.date.history.added):
        return
    withdrawn = _withdrawn_on(client, "email", contact.date)
    if withdrawn is not None and not has_consent(client, "email", on=contact.date):
        raise DomainError(_l("The client withdrew the consent to contact by e-mail on %(day)s; a contact "
                             "by e-mail can no longer be recorded.", day=withdrawn.strftime("%d.%m.%Y")),
                          field="channel")
