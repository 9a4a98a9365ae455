"""Consents of a client (GDPR Art. 6/7/9) and the versioned consent texts they refer to.

A consent belongs to the client's partner (PartnerOwned), so the one partner scope and the
row-level security apply to it. A withdrawn consent is final: it cannot be edited, only followed
by a new consent.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, Column, Date, ForeignKey, Integer, String, Text,
                        UniqueConstraint, inspect, select)
from sqlalchemy.orm import relationship, validates

from app.core.enums import Enumeration
from app.core.errors import DomainError
from app.core.models import PartnerOwned, TimestampMixin, Validated, check_enum, check_length
from flask_appbuilder import Model

CONSENT_PURPOSES = Enumeration(
    "consent_purpose",
    [("counselling", _l("counselling")), ("referral", _l("passing data to another partner")),
     ("email", _l("contact by e-mail"))],
)
CONSENT_MANNERS = Enumeration(
    "consent_manner",
    [("signed_form", _l("signed form")), ("verbal", _l("verbal")), ("email", _l("e-mail"))],
)


class ConsentText(TimestampMixin, Model):
    """The wording a client agrees to, per purpose, version and language (maintained by Admin)."""

    __tablename__ = "consent_text"
    __table_args__ = (
        UniqueConstraint("purpose", "version", "language", name="uq_consent_text_version"),
        CheckConstraint(CONSENT_PURPOSES.check_sql("purpose"), name="ck_consent_text_purpose"),
    )

    id = Column(Integer, primary_key=True)
    purpose = Column(String(20), nullable=False)
    version = Column(String(20), nullable=False)
    language = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)

    @validates("purpose")
    def _v_purpose(self, key, value):
        return check_enum(CONSENT_PURPOSES, key, value, nullable=False)

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
    purpose = Column(String(20), nullable=False)
    given_on = Column(Date, nullable=False)
    text_version = Column(String(20), nullable=False)
    language = Column(String(8), nullable=False, default="de")
    given_how = Column(String(20), nullable=False)
    withdrawn_on = Column(Date)

    @validates("purpose")
    def _v_purpose(self, key, value):
        return check_enum(CONSENT_PURPOSES, key, value, nullable=False)

    @validates("given_how")
    def _v_given_how(self, key, value):
        return check_enum(CONSENT_MANNERS, key, value, nullable=False)

    @validates("text_version")
    def _v_text_version(self, key, value):
        return check_length(key, value, 20, nullable=False)

    @validates("language")
    def _v_language(self, key, value):
        return (check_length(key, value, 8) or "de").lower()

    def validate(self):
        if self.given_on is None:
            raise DomainError(_l("The date of the consent is required."), field="given_on")
        if self.given_on > date.today():
            raise DomainError(_l("A consent cannot be given in the future."), field="given_on")
        if self.withdrawn_on is not None and self.withdrawn_on < self.given_on:
            raise DomainError(_l("Consent cannot be withdrawn before it was given."), field="withdrawn_on")
        state = inspect(self)
        if state.persistent:
            previous = state.attrs.withdrawn_on.history.deleted
            if previous and previous[0] is not None:
                raise DomainError(
                    _l("A withdrawn consent cannot be changed; record a new consent instead."),
                    field="withdrawn_on",
                )
        if self.client is not None and self.client.partner_id is not None:
            self.partner_id = self.client.partner_id

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
