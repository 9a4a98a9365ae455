"""Funding periods and the funds each partner receives per period and funder."""
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, Numeric,
                        String, UniqueConstraint, and_, select)
from sqlalchemy.orm import object_session, relationship, validates

from app.core.dates import WINDOW
from app.core.enums import FUNDERS
from app.core.errors import DomainError
from app.core.models import (PartnerOwned, TimestampMixin, Validated, check_length,
                             format_date, programme_window)
from flask_appbuilder import Model


class FundingPeriod(TimestampMixin, Validated, Model):
    __tablename__ = "funding_period"
    __table_args__ = (CheckConstraint('"end" >= start', name="ck_funding_period_order"),)

    id = Column(Integer, primary_key=True)
    code = Column(String(16), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    start = Column(Date, nullable=False, index=True, info=WINDOW)
    end = Column(Date, nullable=False, info=WINDOW)
    closed = Column(Boolean, nullable=False, default=False)

    @validates("code")
    def _v_code(self, key, value):
        return check_length(key, value, 16, nullable=False)

    @validates("name")
    def _v_name(self, key, value):
        return check_length(key, value, 100, nullable=False)

    def validate(self):
        if self.start is None or self.end is None:
            raise DomainError(_l("A funding period needs a start and an end date."), field="start")
        if self.end < self.start:
            raise DomainError(_l("The end of a funding period must lie after its start."), field="end")
        first, last = programme_window()
        if self.start < first or self.end > last:
            raise DomainError(
                _l("A funding period must lie inside the programme window %(start)s – %(end)s.",
                   start=format_date(first), end=format_date(last)),
                field="start",
            )
        session = object_session(self)
        if session is not None:
            with session.no_autoflush:
                query = select(FundingPeriod.code).where(
                    and_(FundingPeriod.start <= self.end, FundingPeriod.end >= self.start)
                )
                if self.id is not None:
                    query = query.where(FundingPeriod.id != self.id)
                other = session.execute(query.limit(1)).scalar()
            if other:
                raise DomainError(
                    _l("The funding period overlaps with period %(code)s.", code=other), field="start"
                )

    @classmethod
    def for_date(cls, session, day):
        """The period containing ``day``, or None."""
        return session.execute(
            select(cls).where(cls.start <= day, cls.end >= day)
        ).scalar_one_or_none()

    def __str__(self):
        return self.name or self.code

    def __repr__(self):
        return f"<FundingPeriod {self.code}>"


class Funding(PartnerOwned, TimestampMixin, Validated, Model):
    new_records_need_active_partner = True  # app.core.models.check_active_partner
    __tablename__ = "funding"
    scope_kind = "aggregate"  # no persons: Management reads it (roles per membership)
    __table_args__ = (
        UniqueConstraint("partner_id", "funding_period_id", "funder", name="uq_funding_partner_period_funder"),
        CheckConstraint(FUNDERS.check_sql("funder"), name="ck_funding_funder"),
        CheckConstraint("planned_amount >= 0 AND spent_amount >= 0", name="ck_funding_amounts"),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    funding_period_id = Column(Integer, ForeignKey("funding_period.id"), nullable=False, index=True)
    funding_period = relationship("FundingPeriod", lazy="joined", innerjoin=True)
    funder = Column(String(8), nullable=False, info=FUNDERS.column_info(required=True))
    planned_amount = Column(Numeric(12, 2), nullable=False, default=Decimal("0.00"))
    spent_amount = Column(Numeric(12, 2), nullable=False, default=Decimal("0.00"))
    planned_cases = Column(Integer, nullable=False, default=0)
    planned_trainings = Column(Integer, nullable=False, default=0)

    @validates("planned_amount", "spent_amount", "planned_cases", "planned_trainings")
    def _v_non_negative(self, key, value):
        if value is not None and value < 0:
            raise DomainError(_l("Amounts and planned outputs cannot be negative."), field=key)
        return value

    def validate(self):
        pass

    @property
    def funder_label(self):
        return FUNDERS.label(self.funder)

    def __str__(self):
        return f"{self.funder} {self.funding_period_id}"
