"""Counselling cases and their contacts: the core of the recognition counselling documentation."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, event,
                        Text)
from sqlalchemy.orm import Session, backref, object_session, relationship, validates

from app.core.dates import WINDOW
from app.clients.consent import CASE_CONSENT_FIELDS, check_email_contact, check_personal_data
from app.core.enums import (CASE_STATUSES, CHANNELS, CONTACT_KINDS, ENQUIRERS, LEGAL_BASES,
                            NOTICE_RESULTS, OUTCOMES, QUALIFICATION_TYPES, REFERRAL_SOURCES)
from app.core.errors import DomainError
from app.core.field_labels import Refusals
from app.funding.periods import PeriodBound
from app.core.models import (PartnerOwned, TimestampMixin, Validated, check_country,
                             check_length, format_date, programme_window, trigram_index)
from flask_appbuilder import Model


def _check_in_window(day, field):
    first, last = programme_window()
    if day < first or day > last:
        raise DomainError(
            _l("The date %(day)s lies outside the programme window %(start)s – %(end)s.",
               day=format_date(day), start=format_date(first), end=format_date(last)),
            field=field,
        )


def _age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# Age bands of the statistics (stable keys, shown translated); lower bound of each band in years.
AGE_BANDS = ("under_25", "25_34", "35_44", "45_54", "55_plus")
_BAND_FLOORS = ((55, "55_plus"), (45, "45_54"), (35, "35_44"), (25, "25_34"))


def age_band_on(birth, day):
    """The client's age band in whole years on ``day`` (a case's opening day)."""
    age = _age_on(birth, day)
    return next((band for floor, band in _BAND_FLOORS if age >= floor), AGE_BANDS[0])


def acting_user():
    """The user recording the change: the logged-in user of the request (form, quick entry, API,
    import page), none on the command line."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    user = getattr(user, "_get_current_object", lambda: user)()  # flask_login's current_user proxy
    return user if getattr(user, "is_authenticated", False) and getattr(user, "id", None) else None


class Counselled:
    """The one rule for the default counsellor: a new case or contact recorded without one is counselled
    by the user who records it (``validate()`` calls it before every flush; an edit never changes it)."""

    def default_counsellor(self):
        if self.counsellor_id is None and self.counsellor is None and object_session(self) is not None:
            from sqlalchemy import inspect as sa_inspect

            user = acting_user() if sa_inspect(self).pending else None
            if user is not None:
                # The relationship, not only the key: a form may have set it to None, which would win.
                from flask_appbuilder.security.sqla.models import User

                session = object_session(self)
                self.counsellor = user if user in session else session.get(User, user.id)


class Case(PeriodBound, Counselled, PartnerOwned, TimestampMixin, Validated, Model):
    new_records_need_active_partner = True  # app.core.models.check_active_partner
    __tablename__ = "counselling_case"
    __table_args__ = (
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="ck_case_closed_after_opened"),
        CheckConstraint(CASE_STATUSES.check_sql("status"), name="ck_case_status"),
        CheckConstraint(OUTCOMES.check_sql("outcome"), name="ck_case_outcome"),
        Index("ix_case_partner_opened", "partner_id", "opened_on", "id"),
        # Lists of a network-wide user (or of several partners), newest first, from the index alone:
        # partner_id is what the row-level security policy tests (migration c5d6e7f8a9b0).
        Index("ix_case_opened_partner", "opened_on", "id", postgresql_include=["partner_id"]),
        # The list filtered by partner and status: its page and its capped count, index-only.
        Index("ix_case_partner_status_opened", "partner_id", "status", "opened_on", "id"),
        Index("ix_case_period_partner", "funding_period_id", "partner_id"),
        # The home page's key figures per partner and period: index-only (migration f3a4b5c6d7e8).
        Index("ix_case_period_partner_status", "funding_period_id", "partner_id", "status",
              postgresql_include=["client_id"]),
        # Persons per quarter and the summary's semi-join read (client, day, partner) from the index
        # alone (partner_id for the row-level security policy); also serves lookups by client.
        # age_band too: the persons' age bands come from the same index-only pass. id: the case
        # list's client filter reads its page from the index alone (migration e6f7a8b9c0d1).
        Index("ix_case_client_opened", "client_id", "opened_on", postgresql_include=["partner_id", "age_band", "id"]),
        trigram_index("ix_case_title_trgm", "qualification_title"),
        trigram_index("ix_case_partner_title_trgm", "qualification_title", partner=True),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False)
    client = relationship("Client", backref="cases", lazy="joined", innerjoin=True)
    funding_period_id = Column(Integer, ForeignKey("funding_period.id"), nullable=False)
    funding_period = relationship("FundingPeriod", backref="cases", lazy="joined", innerjoin=True)
    counsellor_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    counsellor = relationship("User", foreign_keys=[counsellor_id])
    opened_on = Column(Date, nullable=False, info=WINDOW)
    closed_on = Column(Date, info=WINDOW)
    status = Column(String(8), nullable=False, default="open", index=True,
                    info=CASE_STATUSES.column_info(required=True))
    enquirer = Column(String(24), info=ENQUIRERS.column_info())
    referral_source = Column(String(24), info=REFERRAL_SOURCES.column_info())
    qualification_title = Column(String(300))
    qualification_type = Column(String(20), info=QUALIFICATION_TYPES.column_info())
    qualification_country = Column(String(2), ForeignKey("country.code"), index=True)
    qualification_year = Column(Integer)
    reference_occupation_id = Column(Integer, ForeignKey("reference_occupation.id"), index=True)
    reference_occupation = relationship("ReferenceOccupation")
    regulated = Column(Boolean)
    legal_basis = Column(String(32), info=LEGAL_BASES.column_info())
    competent_body_id = Column(Integer, ForeignKey("competent_body.id"), index=True)
    competent_body = relationship("CompetentBody")
    outcome = Column(String(32), info=OUTCOMES.column_info())
    notice_result = Column(String(32), info=NOTICE_RESULTS.column_info())
    notes = Column(Text)
    # The client's age band on the opening day, kept with the case so that the statistics survive
    # the erasure of the birth date (app/clients/erasure.py); derived, never entered.
    age_band = Column(String(8))
    version = Column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    period_date_column = "opened_on"  # PeriodBound

    @validates("qualification_title")
    def _v_title(self, key, value):
        return check_length(key, value, 300)

    @validates("notes")
    def _v_notes(self, key, value):
        return check_length(key, value, 10000)

    @validates("qualification_country")
    def _v_country(self, key, value):
        return check_country(key, value)

    def validate(self):
        """Every refusal of the case at once (app.core.field_labels.Refusals); a check that needs an
        earlier one to hold (the period of a date inside the window, the age of a known client) is
        skipped when that one failed."""
        self.default_counsellor()
        if self.opened_on is None:
            raise DomainError(_l("The opening date is required."), field="opened_on")
        refused = Refusals()
        in_window = refused.run(_check_in_window, self.opened_on, "opened_on")
        if self.closed_on is not None:
            if self.closed_on < self.opened_on:
                refused.add(_l("A case cannot be closed before it was opened."), field="closed_on")
            if self.closed_on > date.today():
                refused.add(_l("The closing date cannot lie in the future."), field="closed_on")
        self.status = "closed" if self.closed_on else "open"
        session = object_session(self)
        with session.no_autoflush:
            if in_window:
                refused.run(self.bind_to_period)  # app.funding.periods: derived, re-derived or checked
            refused.run(self._check_client, session)
        if self.qualification_year is not None:
            if self.qualification_year > self.opened_on.year or self.qualification_year < 1940:
                refused.add(_l("The year the qualification was completed is not plausible."),
                            field="qualification_year")
        refused.raise_any()

    def _check_client(self, session):
        """The case's client: present, of the same partner, not erased, consent for personal fields,
        and of counselling age (15–80) on the opening day."""
        client = self._client()
        if client is None:
            raise DomainError(_l("A case needs a client."), field="client")
        if self.partner_id is None and self.partner is None:
            self.partner_id = self.implied_partner_id()
        partner_id = self.partner.id if self.partner is not None else self.partner_id
        if client.partner_id != partner_id:
            raise DomainError(_l("The client belongs to another partner."), field="client")
        if client.erased_at is not None:  # anonymised: its cases are frozen, it gets no new ones
            raise DomainError(_l("This client has been erased (anonymised); the record can no longer be "
                                 "changed and gets no new cases."), field="client")
        refused = Refusals()
        refused.run(check_personal_data, self, client, CASE_CONSENT_FIELDS)
        if client.birth_date is not None:
            self.age_band = age_band_on(client.birth_date, self.opened_on)
            age = _age_on(client.birth_date, self.opened_on)
            if age < 15 or age > 80:
                refused.add(
                    _l("The client would be %(age)s years old when the case opens; counselling is for ages 15 to 80.",
                       age=age),
                    field="opened_on",
                )
        refused.raise_any()

    def _client(self):
        if self.client is None and self.client_id is not None:
            from app.clients.models import Client

            return object_session(self).get(Client, self.client_id)
        return self.client

    def implied_partner_id(self):
        """The one rule for a case's partner: its client's (forms, quick entry, API, import)."""
        client = self._client() if object_session(self) is not None else self.client
        return client.partner_id if client is not None else None

    def close(self, closed_on, outcome):
        """Close the case on a day with an outcome; ``validate`` then sets the status and checks the
        date (not before opening, not in the future) and a closed period refuses it (before_flush)."""
        if not outcome:
            raise DomainError(_l("Choose the outcome of the counselling to close the case."), field="outcome")
        if closed_on is None:
            raise DomainError(_l("The closing date is required."), field="closed_on")
        self.outcome = outcome
        self.closed_on = closed_on

    @property
    def outcome_label(self):
        return OUTCOMES.label(self.outcome)

    @property
    def status_label(self):
        return CASE_STATUSES.label(self.status)

    def __str__(self):
        return f"#{self.id} {self.client}" if self.id else str(self.client or "")

    def __repr__(self):
        return f"<Case {self.id}>"


class Contact(Counselled, PartnerOwned, TimestampMixin, Validated, Model):
    new_records_need_active_partner = True  # app.core.models.check_active_partner
    __tablename__ = "contact"
    __table_args__ = (
        CheckConstraint(CONTACT_KINDS.check_sql("kind"), name="ck_contact_kind"),
        CheckConstraint(CHANNELS.check_sql("channel"), name="ck_contact_channel"),
        CheckConstraint("minutes IS NULL OR (minutes >= 0 AND minutes <= 600)", name="ck_contact_minutes"),
        Index("ix_contact_partner_date", "partner_id", "date"),
        # The summary's contact figures: an index-only scan, counted in key order without hashing.
        Index("ix_contact_date_kind_partner_channel", "date", "kind", "partner_id", "channel"),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("counselling_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case = relationship(
        "Case", lazy="joined", innerjoin=True,
        backref=backref("contacts", cascade="all, delete-orphan", passive_deletes=True),
    )
    date = Column(Date, nullable=False, info=WINDOW)
    kind = Column(String(16), nullable=False, default="follow_up", info=CONTACT_KINDS.column_info(required=True))
    channel = Column(String(20), nullable=False, default="face_to_face", info=CHANNELS.column_info(required=True))
    minutes = Column(Integer)
    counsellor_id = Column(Integer, ForeignKey("ab_user.id"))
    counsellor = relationship("User", foreign_keys=[counsellor_id])

    @validates("minutes")
    def _v_minutes(self, key, value):
        if value is not None and not (0 <= int(value) <= 600):
            raise DomainError(_l("A contact lasts between 0 and 600 minutes."), field=key)
        return value

    def validate(self):
        self.default_counsellor()
        if self.date is None:
            raise DomainError(_l("The contact date is required."), field="date")
        refused = Refusals()  # the date's refusals together with the case's (below)
        refused.run(_check_in_window, self.date, "date")
        case = self.case
        if case is None:
            raise DomainError(_l("A contact belongs to a case."), field="case")
        if self.partner_id is None and self.partner is None:
            self.partner_id = self.implied_partner_id()
        partner_id = self.partner.id if self.partner is not None else self.partner_id
        if partner_id != case.partner_id:
            raise DomainError(_l("The case belongs to another partner."), field="case")
        if case.client is not None and case.client.erased_at is not None:
            raise DomainError(_l("This client has been erased (anonymised); the record can no longer be "
                                 "changed and gets no new cases."), field="case")
        if case.opened_on and self.date < case.opened_on:
            refused.add(_l("A contact cannot lie before the case was opened."), field="date")
        refused.run(check_email_contact, self, case.client)
        refused.raise_any()

    def implied_partner_id(self):
        """The one rule for a contact's partner: its case's (a case saved with it: its client's)."""
        case = self.case
        if case is None:
            return None
        if case.partner_id is not None or case.partner is not None:
            return case.partner.id if case.partner is not None else case.partner_id
        return case.implied_partner_id()

    def __str__(self):
        return f"{format_date(self.date)} {CONTACT_KINDS.label(self.kind)}"


@event.listens_for(Session, "before_flush")
def _closed_periods_are_read_only(session, flush_context, instances):
    """A closed (reported) funding period freezes its cases, contacts and trainings, except for Admin."""
    from app.security.scoping import current_scope
    from app.trainings.models import Training

    changed = [obj for obj in list(session.new) + list(session.dirty) + list(session.deleted)
               if isinstance(obj, (Case, Contact, Training))]
    if not changed or current_scope().is_admin:
        return
    for obj in changed:
        for period in _periods_of(obj):
            if period is not None and period.closed:
                raise DomainError(
                    _l("The funding period %(code)s is closed (reported); only an administrator can change "
                       "its records.", code=period.code),
                    field="funding_period",
                )


def _periods_of(obj):
    """The period the record is in, and (for an edit that moves it) the one it was in."""
    from sqlalchemy import inspect as sa_inspect

    from app.funding.models import FundingPeriod

    record = obj.case if isinstance(obj, Contact) else obj
    periods = [record.funding_period]
    history = sa_inspect(record).attrs.funding_period_id.history
    session = object_session(record)
    for old_id in history.deleted or ():
        if old_id is not None and session is not None:
            periods.append(session.get(FundingPeriod, old_id))
    return periods


@event.listens_for(Session, "after_flush")
def _age_bands_follow_the_birth_date(session, flush_context):
    """A corrected birth date re-derives the age band of every case of that client (a derived value,
    written in the same transaction and without a version change, also in closed periods)."""
    from sqlalchemy import inspect as sa_inspect, select, update
    from sqlalchemy.orm.attributes import set_committed_value

    from app.clients.models import Client

    changed = [c for c in session.dirty if isinstance(c, Client) and c.birth_date is not None
               and sa_inspect(c).attrs.birth_date.history.has_changes()]
    if not changed:
        return
    connection = session.connection()
    table = Case.__table__
    for client in changed:
        rows = connection.execute(select(table.c.id, table.c.opened_on).where(table.c.client_id == client.id))
        for case_id, opened_on in rows.all():
            band = age_band_on(client.birth_date, opened_on)
            connection.execute(update(table).where(table.c.id == case_id).values(age_band=band))
            loaded = session.identity_map.get(sa_inspect(Case).identity_key_from_primary_key((case_id,)))
            if loaded is not None:
                set_committed_value(loaded, "age_band", band)
