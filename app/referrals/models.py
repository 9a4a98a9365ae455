"""Referral of a client from one partner to another (issue 12), in three tables split by who may read:

* ``referral`` — what both sides see: from/to partner, offer, reason, status, and what the referral
  carries to the receiver (initials, age band, reference occupation). Scoped to rows where the user's
  partners are either side (ORM criteria ``scope_criteria`` and the PostgreSQL policy alike).
* ``referral_payload`` — the sender's snapshot of the agreed fields, taken in the sender's
  transaction; owned by the sending partner (ordinary partner scope). The receiver gets it only
  through ``app.referrals.handover`` while the referral is open and the consent still stands.
* ``referral_intake`` — the receiver's link from the referral to the client (and case) it created;
  owned by the receiving partner, so the sender never learns what was recorded there.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, or_)
from sqlalchemy import inspect
from sqlalchemy.orm import relationship

from app.core.enums import Enumeration
from app.core.models import PartnerOwned, PartnerScoped, TimestampMixin
from flask_appbuilder import Model

REFERRAL_STATUSES = Enumeration(
    "referral_status",
    [("open", _l("open")), ("accepted", _l("accepted")), ("declined", _l("declined")),
     ("withdrawn", _l("withdrawn by the sender"))],
)
REFERRAL_OFFERS = Enumeration(
    "referral_offer",
    [("recognition_counselling", _l("recognition counselling")),
     ("adaptation_qualification", _l("adaptation qualification")),
     ("language_course", _l("job-related language course")),
     ("bridging_course", _l("bridging course")),
     ("other", _l("other offer"))],
)


def _either_side(ids):
    return lambda c: or_(c.from_partner_id.in_(ids), c.to_partner_id.in_(ids))


class Referral(PartnerScoped, TimestampMixin, Model):
    """One referral; visible to both partners, holding nothing the receiver may not see."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(REFERRAL_STATUSES.check_sql("status"), name="ck_referral_status"),
        CheckConstraint(REFERRAL_OFFERS.check_sql("offer"), name="ck_referral_offer"),
        CheckConstraint("from_partner_id <> to_partner_id", name="ck_referral_other_partner"),
        Index("ix_referral_to_status", "to_partner_id", "status"),
        Index("ix_referral_from_status", "from_partner_id", "status"),
        {"sqlite_autoincrement": True},
    )
    #: The scope: a row is the user's if its partners are the sender or the receiver.
    scope_criteria = staticmethod(_either_side)
    #: Free text and initials never enter the audit trail's values (it has one row per side and the
    #: sender's erasure of the client could not blank the receiver's copy); "changed" stands for them.
    audit_redacted = ("initials", "reason", "decline_reason")

    id = Column(Integer, primary_key=True)
    from_partner_id = Column(Integer, ForeignKey("partner.id"), nullable=False)
    from_partner = relationship("Partner", foreign_keys=[from_partner_id], lazy="joined", innerjoin=True)
    to_partner_id = Column(Integer, ForeignKey("partner.id"), nullable=False)
    to_partner = relationship("Partner", foreign_keys=[to_partner_id], lazy="joined", innerjoin=True)
    status = Column(String(12), nullable=False, default="open", info=REFERRAL_STATUSES.column_info(required=True))
    offer = Column(String(32), nullable=False, info=REFERRAL_OFFERS.column_info(required=True))
    reason = Column(Text)
    referred_on = Column(Date, nullable=False)
    # What the referral carries to the receiver before it accepts (and nothing else).
    initials = Column(String(8))
    age_band = Column(String(8))
    reference_occupation_id = Column(Integer, ForeignKey("reference_occupation.id"))
    reference_occupation = relationship("ReferenceOccupation")
    with_case = Column(Boolean, nullable=False, default=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    decided_on = Column(Date)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    decline_reason = Column(Text)

    @property
    def scope_write_partner_id(self):
        """Whose Staff writes this change: the receiver accepts or declines, the sender does the rest."""
        state = inspect(self)
        if state.persistent and self.status in ("accepted", "declined") and state.attrs.status.history.added:
            return self.to_partner_id
        return self.from_partner_id

    def audit_partner_ids(self):
        """Every step is in both partners' audit trails."""
        return [self.from_partner_id, self.to_partner_id]

    @property
    def status_label(self):
        return REFERRAL_STATUSES.label(self.status)

    @property
    def offer_label(self):
        return REFERRAL_OFFERS.label(self.offer)

    def __str__(self):
        # The audit trail's record label on both sides: only what both may know.
        return self.offer_label


class ReferralPayload(PartnerOwned, Model):
    """The sender's snapshot of the agreed fields (owned by the sending partner)."""

    __tablename__ = "referral_payload"
    __table_args__ = ({"sqlite_autoincrement": True},)
    PERSONAL = ("first_name", "last_name", "qualification_title")
    #: The client's own audit events hold these values; they are not repeated here.
    audit_redacted = PERSONAL + ("birth_date",)

    id = Column(Integer, primary_key=True)
    referral_id = Column(Integer, ForeignKey("referral.id", ondelete="CASCADE"), nullable=False, unique=True)
    referral = relationship("Referral")
    client_id = Column(Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False, index=True)
    case_id = Column(Integer, ForeignKey("counselling_case.id", ondelete="SET NULL"))
    first_name = Column(String(100))
    last_name = Column(String(100))
    birth_date = Column(Date)
    gender = Column(String(12))
    citizenship = Column(String(2))
    second_citizenship = Column(String(2))
    country_of_birth = Column(String(2))
    residence_state = Column(String(8))
    year_of_entry = Column(Integer)
    residence_status = Column(String(20))
    german_level = Column(String(8))
    employment_status = Column(String(20))
    counselling_language = Column(String(8))
    qualification_title = Column(String(300))
    qualification_type = Column(String(20))
    qualification_country = Column(String(2))
    qualification_year = Column(Integer)
    reference_occupation_id = Column(Integer)
    regulated = Column(Boolean)
    legal_basis = Column(String(32))

    def __str__(self):
        return f"#{self.referral_id}"


class ReferralIntake(PartnerOwned, Model):
    """The receiver's link from an accepted referral to the client (and case) it created."""

    __tablename__ = "referral_intake"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    referral_id = Column(Integer, ForeignKey("referral.id", ondelete="CASCADE"), nullable=False, unique=True)
    referral = relationship("Referral")
    client_id = Column(Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False, index=True)
    client = relationship("Client")
    case_id = Column(Integer, ForeignKey("counselling_case.id", ondelete="SET NULL"))
    accepted_at = Column(DateTime, nullable=False)
    with_personal_fields = Column(Boolean, nullable=False, default=False)

    def __str__(self):
        return f"#{self.referral_id}"

#: The age bands as the inbox shows them (the statistics' bands, ``app.cases.models.AGE_BANDS``).
AGE_BAND_LABELS = {"under_25": "15–24", "25_34": "25–34", "35_44": "35–44", "45_54": "45–54", "55_plus": "55+"}
