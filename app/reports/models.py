"""Tallies of the management summary: cases and contacts counted per partner, month and dimension.

The database maintains them itself (triggers of migration a9b8c7d6e5f4, PostgreSQL and SQLite
alike), in the same transaction as every INSERT, UPDATE and DELETE of a case or contact, whatever
wrote it: forms, quick entry, API, import, CLI, deletion, erasure, retention, ``iq demo``'s COPY.
No application code writes them. The summary reads the full months of its range from here and
counts the partial months at either end directly (app/reports/queries.py), so the figures equal a
direct count exactly (tests/test_reports_tallies.py).

``a`` and ``b`` hold the dimension's values as text, '' for NULL (a primary key column cannot be
NULL, and '' is no valid key of any of these columns); ``TALLY_KINDS`` says what they are.
"""
from flask_appbuilder import Model
from sqlalchemy import Column, Date, ForeignKey, Integer, PrimaryKeyConstraint, String

from app.core.models import PartnerScoped

# kind: (column of ``a``, column of ``b`` or None) over counselling_case, or contact for "contact"
TALLY_KINDS = {
    "country": ("qualification_country", None),
    "occupation": ("reference_occupation_id", "competent_body_id"),
    "qualification": ("qualification_type", "regulated"),
    "enquirer": ("enquirer", None),
    "referral": ("referral_source", None),
    "outcome": ("outcome", None),
    "notice": ("notice_result", None),
    "contact": ("kind", "channel"),
}


class SummaryTally(PartnerScoped, Model):
    __tablename__ = "summary_tally"
    scope_kind = "aggregate"  # counts, no persons: read over the aggregate scope like trainings
    __table_args__ = (PrimaryKeyConstraint("kind", "partner_id", "month", "a", "b", name="pk_summary_tally"),)

    kind = Column(String(16), nullable=False)
    partner_id = Column(Integer, ForeignKey("partner.id"), nullable=False)
    month = Column(Date, nullable=False)  # the first day of the month
    a = Column(String(40), nullable=False)
    b = Column(String(40), nullable=False)
    n = Column(Integer, nullable=False)


#: Per tallied table, one kind to which every row of it adds exactly 1 (each case has one enquirer
#: value, '' included; each contact one kind × channel pair).
_ONE_ROW_EACH = {"counselling_case": "enquirer", "contact": "contact"}


def tallied_total_select(model, partner_ids):
    """The exact number of ``model``'s rows at ``partner_ids`` (None: all partners), summed from the
    tallies (a few thousand rows instead of a million): a SELECT of one value, to run or to embed in
    another statement; None if ``model`` is not tallied.

    Read through the session, so the partner scope applies as to any read; ``partner_ids`` narrows
    it to the set the caller's list covers (a list of cases: the personal scope)."""
    from sqlalchemy import func, select

    kind = _ONE_ROW_EACH.get(getattr(model, "__tablename__", None))
    if kind is None:
        return None
    statement = select(func.coalesce(func.sum(SummaryTally.n), 0)).where(SummaryTally.kind == kind)
    if partner_ids is not None:
        statement = statement.where(SummaryTally.partner_id.in_(sorted(partner_ids)))
    return statement
