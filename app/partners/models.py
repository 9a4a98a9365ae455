"""Partner organisations of the network; the unit of data ownership."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Column, Integer, String
from sqlalchemy.orm import validates

from app.core.enums import PARTNER_ROLES, STATES
from app.core.errors import DomainError
from app.core.models import TimestampMixin, Validated, check_length
from flask_appbuilder import Model


class Partner(TimestampMixin, Validated, Model):
    __tablename__ = "partner"
    __table_args__ = (
        CheckConstraint(STATES.check_sql("state"), name="ck_partner_state"),
        CheckConstraint(PARTNER_ROLES.check_sql("role"), name="ck_partner_role"),
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    legal_form = Column(String(60))
    street = Column(String(200))
    postcode = Column(String(5))
    city = Column(String(100), nullable=False)
    state = Column(String(2), nullable=False, index=True, info=STATES.column_info(required=True))
    role = Column(String(20), nullable=False, default="partner", info=PARTNER_ROLES.column_info(required=True))
    contact_person = Column(String(200))
    phone = Column(String(50))
    email = Column(String(200))
    # Where street and postcode come from (e.g. a press release); empty = unverified, for an Admin to fill in.
    address_source = Column(String(300))
    active = Column(Boolean, nullable=False, default=True)

    @validates("code")
    def _v_code(self, key, value):
        value = check_length(key, value, 32, nullable=False, minimum=2)
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in value) or value != value.lower():
            raise DomainError(
                _l("The code may only contain lower-case letters, digits and hyphens."), field=key
            )
        return value

    @validates("name", "city")
    def _v_required(self, key, value):
        return check_length(key, value, 200, nullable=False)

    @validates("legal_form", "street", "contact_person", "phone", "email")
    def _v_optional(self, key, value):
        return check_length(key, value, 200)

    @validates("address_source")
    def _v_address_source(self, key, value):
        return check_length(key, value, 300)

    def validate(self):
        """A street address needs its named source (issue 9, item 7): otherwise it stays empty,
        flagged, for an Admin to fill in; the city alone needs none."""
        if (self.street or self.postcode) and not self.address_source:
            raise DomainError(_l("Name the source of the street address (publication, letter, website), or "
                                 "leave street and postcode empty."), field="address_source")

    @property
    def address_unverified(self):
        """No named source for the street address: letters print what there is, Admins see a hint."""
        return not (self.address_source and self.street)

    @property
    def postal_line(self):
        """"Street · Postcode City", leaving out what is empty (letters must cope with a missing street)."""
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return " · ".join(part for part in (self.street, place) if part)

    @validates("postcode")
    def _v_postcode(self, key, value):
        value = check_length(key, value, 5)
        if value is not None and not (len(value) == 5 and value.isdigit()):
            raise DomainError(_l("A German postcode has five digits."), field=key)
        return value

    @property
    def state_label(self):
        return STATES.label(self.state)

    @property
    def role_label(self):
        return PARTNER_ROLES.label(self.role)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<Partner {self.code}>"
