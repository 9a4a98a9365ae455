"""Clients (Ratsuchende): personal data, owned by one partner, shown pseudonymously in reports."""
import re
import secrets
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, event, inspect)
from sqlalchemy.orm import relationship, validates

from app.clients.consent import CLIENT_CONSENT_FIELDS, check_personal_data
from app.core.enums import (EMPLOYMENT_STATUSES, GENDERS, GERMAN_LEVELS, RESIDENCE_STATES,
                            RESIDENCE_STATUSES)
from app.core.errors import DomainError
from app.core.field_labels import REQUIRED
from app.core.languages import language_code
from app.core.models import (PartnerOwned, TimestampMixin, Validated, check_country,
                             check_length, trigram_index)
from flask_appbuilder import Model

#: Column info of derived bookkeeping columns: left out of the audit trail's values and the Art. 15 report.
INTERNAL = {"internal": True}
# Fields that Management never sees (DESIGN.md §3).
PERSONAL_FIELDS = ("first_name", "last_name", "birth_date", "phone", "email", "district", "street", "postcode",
                   "city", "notes")
#: Residence states inside Germany: a postcode there has five digits.
GERMAN_RESIDENCE_STATES = ("MV", "ST", "other_de")
_POSTCODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z -]*")


def new_client_number(partner_code):
    """Pseudonymous number: partner prefix and a random part, no personal information in it."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"{partner_code[:4].upper()}-" + "".join(secrets.choice(alphabet) for _ in range(7))


class Client(PartnerOwned, TimestampMixin, Validated, Model):
    new_records_need_active_partner = True  # app.core.models.check_active_partner
    __tablename__ = "client"
    __table_args__ = (
        UniqueConstraint("partner_id", "client_number", name="uq_client_partner_number"),
        CheckConstraint(GENDERS.check_sql("gender"), name="ck_client_gender"),
        Index("ix_client_partner_last_first", "partner_id", "last_name", "first_name"),
        Index("ix_client_partner_birth_date", "partner_id", "birth_date"),
        trigram_index("ix_client_last_name_trgm", "last_name"),
        trigram_index("ix_client_first_name_trgm", "first_name"),
        trigram_index("ix_client_number_trgm", "client_number"),
        trigram_index("ix_client_partner_last_name_trgm", "last_name", partner=True),
        trigram_index("ix_client_partner_first_name_trgm", "first_name", partner=True),
        trigram_index("ix_client_partner_number_trgm", "client_number", partner=True),
        # Duplicate hints across partners (app.clients.duplicates.cross_partner_hints).
        Index("ix_client_birth_date_name_key", "birth_date", "name_key"),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    client_number = Column(String(20), nullable=False)
    # Empty for an anonymous client (no counselling consent, app.clients.consent) and once erased
    # (app/clients/erasure.py); the birth date is required while the client is a person on record
    # (NULL only once erased).
    first_name = Column(String(100))
    last_name = Column(String(100))
    birth_date = Column(Date, info=REQUIRED)
    gender = Column(String(12), nullable=False, default="not_stated", info=GENDERS.column_info(required=True))
    citizenship = Column(String(2), ForeignKey("country.code"), nullable=False, index=True)
    second_citizenship = Column(String(2), ForeignKey("country.code"))
    country_of_birth = Column(String(2), ForeignKey("country.code"))
    district = Column(String(100))
    residence_state = Column(String(8), info=RESIDENCE_STATES.column_info())
    year_of_entry = Column(Integer)
    residence_status = Column(String(20), info=RESIDENCE_STATUSES.column_info())
    german_level = Column(String(8), info=GERMAN_LEVELS.column_info())
    employment_status = Column(String(20), info=EMPLOYMENT_STATUSES.column_info())
    counselling_language = Column(String(8), nullable=False, default="de")
    phone = Column(String(50))
    # Postal address (the letters' window, DIN 5008); personal data like the names (consent, erasure).
    street = Column(String(200))
    postcode = Column(String(10))
    city = Column(String(100))
    email = Column(String(200))
    delete_after = Column(Date)  # kept up to date by app/clients/retention.py
    # The names' match keys (app.clients.duplicates.match_keys), set by ``validate()`` on every write;
    # personal data (blanked by the erasure), derived, so neither audited nor shown (INTERNAL).
    name_key = Column(String(200), info=INTERNAL)
    name_skeleton = Column(String(200), info=INTERNAL)
    erased_at = Column(DateTime)  # set once by the erasure (Art. 17); the record is then read-only
    version = Column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    consents = relationship("Consent", back_populates="client", cascade="all, delete-orphan",
                            passive_deletes=True, order_by="Consent.given_on")

    @validates("first_name", "last_name")
    def _v_names(self, key, value):
        return check_length(key, value, 100)

    @validates("district")
    def _v_short(self, key, value):
        return check_length(key, value, 100)

    @validates("street")
    def _v_street(self, key, value):
        return check_length(key, value, 200)

    @validates("city")
    def _v_city(self, key, value):
        return check_length(key, value, 100)

    @validates("postcode")
    def _v_postcode(self, key, value):
        value = check_length(key, value, 10)
        if value is not None and not _POSTCODE.fullmatch(value):
            raise DomainError(_l("“%(value)s” is not a postcode (letters, digits, spaces and hyphens only).",
                                 value=value), field=key)
        return value

    @validates("phone")
    def _v_phone(self, key, value):
        return check_length(key, value, 50)

    @validates("email")
    def _v_email(self, key, value):
        value = check_length(key, value, 200)
        if value is not None and ("@" not in value or " " in value):
            raise DomainError(_l("“%(value)s” is not an e-mail address.", value=value), field=key)
        return value

    @validates("citizenship")
    def _v_citizenship(self, key, value):
        return check_country(key, value, nullable=False)

    @validates("second_citizenship", "country_of_birth")
    def _v_countries(self, key, value):
        return check_country(key, value)

    @validates("counselling_language")
    def _v_language(self, key, value):
        """An ISO 639-1 code; a language's name (“Arabisch”, “arabic”) is read as its code. A value
        stored before the select (free text no code matches) may stay, but not be newly entered."""
        code = language_code(value)
        if code is not None:
            return code
        value = str(value).strip() if value is not None else ""
        if not value:
            return "de"
        if value == self.__dict__.get("counselling_language"):
            return value
        raise DomainError(_l("“%(value)s” is not a language of the list (an ISO 639-1 code such as “ar”, or "
                             "the language's name).", value=value), field=key)

    def validate(self):
        today = date.today()
        state = inspect(self)
        if self.erased_at is not None and state.persistent and not state.attrs.erased_at.history.has_changes():
            raise DomainError(_l("This client has been erased (anonymised); the record can no longer be "
                                 "changed and gets no new cases."), field="last_name")
        if self.birth_date is None:
            raise DomainError(_l("The birth date is required."), field="birth_date")
        if self.birth_date is not None:
            if self.birth_date >= today:
                raise DomainError(_l("The birth date must lie in the past."), field="birth_date")
            if self.birth_date < date(1900, 1, 1):
                raise DomainError(_l("The birth date is not plausible."), field="birth_date")
        if self.year_of_entry is not None:
            if self.year_of_entry > today.year or self.year_of_entry < 1930:
                raise DomainError(_l("The year of entry is not plausible."), field="year_of_entry")
            if self.birth_date is not None and self.year_of_entry < self.birth_date.year:
                raise DomainError(_l("The year of entry lies before the birth date."), field="year_of_entry")
        if (self.postcode and self.residence_state in GERMAN_RESIDENCE_STATES
                and not (len(self.postcode) == 5 and self.postcode.isdigit())):
            raise DomainError(_l("A German postcode has five digits."), field="postcode")
        if bool(self.first_name) != bool(self.last_name):
            missing = "last_name" if self.first_name else "first_name"
            raise DomainError(_l("%(field)s is required.", field=missing), field=missing)
        check_personal_data(self, self, CLIENT_CONSENT_FIELDS)
        self.update_match_keys()

    def update_match_keys(self):
        """The stored keys follow the names on every write (form, API, import, CLI, referrals)."""
        from app.clients.duplicates import match_keys

        keys = match_keys(self.first_name, self.last_name)
        if (self.name_key, self.name_skeleton) != (keys.key, keys.skeleton):
            self.name_key, self.name_skeleton = keys.key, keys.skeleton

    @property
    def anonymous(self):
        """Counselled without names (no counselling consent when the client was saved), or erased."""
        return not (self.first_name or self.last_name)

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.client_number or ""

    @property
    def address_lines(self):
        """The recipient lines of a letter's window (DIN 5008): name, street, postcode and city;
        without a postal address the district, so a letter never goes out with the name alone."""
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        place = " ".join(part for part in (self.postcode, self.city) if part)
        lines = [name] + [line for line in (self.street, place) if line]
        if not (self.street or place) and self.district:
            lines.append(self.district)
        return [line for line in lines if line]

    @property
    def erased(self):
        return self.erased_at is not None

    @property
    def gender_label(self):
        return GENDERS.label(self.gender)

    def __str__(self):
        # Dropdowns and documents show the pseudonymous number, never the name.
        return self.client_number or ""

    def __repr__(self):
        return f"<Client {self.client_number}>"


@event.listens_for(Client, "before_insert")
def _assign_client_number(mapper, connection, client):
    if not client.client_number:
        from app.partners.models import Partner

        loaded = client.__dict__.get("partner")
        code = loaded.code if loaded is not None else connection.execute(
            Partner.__table__.select().with_only_columns(Partner.code).where(Partner.id == client.partner_id)
        ).scalar()
        client.client_number = new_client_number(code or "iq")
