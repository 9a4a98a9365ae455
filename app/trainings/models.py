"""Intercultural-competence trainings for staff of job centres, agencies and chambers."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import relationship, validates

from app.core.dates import WINDOW
from app.core.enums import TARGET_INSTITUTIONS
from app.core.errors import DomainError
from app.funding.periods import PeriodBound
from app.core.models import PartnerOwned, TimestampMixin, Validated, check_length


from flask_appbuilder import Model


class Training(PeriodBound, PartnerOwned, TimestampMixin, Validated, Model):
    new_records_need_active_partner = True  # app.core.models.check_active_partner
    __tablename__ = "training"
    scope_kind = "aggregate"  # no persons: Management reads it (roles per membership)
    __table_args__ = (
        CheckConstraint(TARGET_INSTITUTIONS.check_sql("target_institution"), name="ck_training_target"),
        CheckConstraint(
            "participants_female >= 0 AND participants_male >= 0 AND participants_diverse >= 0",
            name="ck_training_participants",
        ),
        Index("ix_training_partner_date", "partner_id", "date"),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    funding_period_id = Column(Integer, ForeignKey("funding_period.id"), nullable=False, index=True)
    funding_period = relationship("FundingPeriod", lazy="joined", innerjoin=True)
    date = Column(Date, nullable=False, info=WINDOW)
    title = Column(String(300), nullable=False)
    target_institution = Column(String(24), nullable=False, info=TARGET_INSTITUTIONS.column_info(required=True))
    hours = Column(Numeric(5, 1), nullable=False, default=0)
    participants_female = Column(Integer, nullable=False, default=0)
    participants_male = Column(Integer, nullable=False, default=0)
    participants_diverse = Column(Integer, nullable=False, default=0)

    @validates("title")
    def _v_title(self, key, value):
        return check_length(key, value, 300, nullable=False)

    @validates("participants_female", "participants_male", "participants_diverse")
    def _v_participants(self, key, value):
        if value is not None and not (0 <= int(value) <= 1000):
            raise DomainError(_l("Participants must be between 0 and 1000."), field=key)
        return value

    @validates("hours")
    def _v_hours(self, key, value):
        if value is not None and not (0 <= value <= 200):
            raise DomainError(_l("A training lasts between 0 and 200 hours."), field=key)
        return value

    def validate(self):
        from app.cases.models import _check_in_window

        if self.date is None:
            raise DomainError(_l("The training date is required."), field="date")
        _check_in_window(self.date, "date")
        self.bind_to_period()  # app.funding.periods: derived, re-derived or checked

    @property
    def participants(self):
        return (self.participants_female or 0) + (self.participants_male or 0) + (self.participants_diverse or 0)

    def __str__(self):
        return self.title
