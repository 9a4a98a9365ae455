"""What the home page shows per role: a few counts and short lists, read through the partner scope.

Every statement goes through the ORM, so the partner scope (``app.security.scoping``) restricts it
like any list page; nothing here names a partner the user may not see. The page must stay cheap at a
million cases: counts run over indexes and are bounded where they could be large (``COUNT_CAP``: the
page says "more than 1,000", the case list has the rest), lists take ``LIST_LIMIT`` rows, and each
section is one to three statements.

The programme ran 2011-07-01 – 2014-12-31: "today" for the 90 days without contact and for the
current funding period is the reference day, today capped at the programme window (after the
programme's end the last 90 days of the programme, and its last period).
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, nulls_last, select
from sqlalchemy.orm import joinedload

from app.cases.models import Case, Contact
from app.core.models import programme_window
from app.funding.models import FundingPeriod
from app.partners.models import Partner
from app.security.scoping import aggregate_scope

LIST_LIMIT = 10
COUNT_CAP = 1000
STALE_DAYS = 90


@dataclass(frozen=True)
class Bounded:
    """A count that stops at ``COUNT_CAP``: ``capped`` says there are more."""

    value: int
    capped: bool


def reference_day(today=None):
    start, end = programme_window()
    today = today or date.today()
    return min(max(today, start), end)


def bounded_count(session, statement, cap=COUNT_CAP):
    """``SELECT count(*) FROM (… LIMIT cap + 1)``: an index scan that stops after cap + 1 rows."""
    inner = statement.limit(cap + 1).subquery()
    value = session.scalar(select(func.count()).select_from(inner))
    return Bounded(min(value, cap), value > cap)


# --- Staff ------------------------------------------------------------------------------------
def _restricted_to(statement, column, ids):
    return statement if ids is None else statement.where(column.in_(sorted(ids) or [-1]))


def my_open_cases(session, user_id, write_ids):
    """The user's open cases (as counsellor), newest first: a bounded count and the first rows."""
    criteria = _restricted_to(select(Case.id).where(Case.counsellor_id == user_id, Case.status == "open"),
                              Case.partner_id, write_ids)
    count = bounded_count(session, criteria)
    rows = []
    if count.value:
        query = (select(Case).options(joinedload(Case.client))
                 .where(Case.counsellor_id == user_id, Case.status == "open")
                 .order_by(Case.opened_on.desc(), Case.id.desc()).limit(LIST_LIMIT))
        rows = session.scalars(_restricted_to(query, Case.partner_id, write_ids)).all()
    return count, rows


def stale_cases(session, write_ids, day=None):
    """Open cases of the user's partners without a contact in the last ``STALE_DAYS`` days (and
    opened before that), oldest first, each with its last contact's date."""
    since = (day or reference_day()) - timedelta(days=STALE_DAYS)
    recent = exists().where(Contact.case_id == Case.id, Contact.date >= since)
    where = and_(Case.status == "open", Case.opened_on < since, ~recent)
    count = bounded_count(session, _restricted_to(select(Case.id).where(where), Case.partner_id, write_ids))
    rows = []
    if count.value:
        last_contact = (select(func.max(Contact.date)).where(Contact.case_id == Case.id)
                        .correlate(Case).scalar_subquery())
        query = (select(Case, last_contact).options(joinedload(Case.client)).where(where)
                 .order_by(Case.opened_on, Case.id).limit(LIST_LIMIT))
        rows = session.execute(_restricted_to(query, Case.partner_id, write_ids)).all()
    return since, count, rows


# --- Management -------------------------------------------------------------------------------
def reporting_period(session, day=None):
    """The funding period of the reference day, else the last one that began before it."""
    day = day or reference_day()
    return session.scalar(select(FundingPeriod).where(FundingPeriod.start <= day)
                          .order_by(FundingPeriod.start.desc()).limit(1))


@dataclass(frozen=True)
class KeyFigures:
    partner: str
    cases: int
    clients: int
    open_cases: int


def key_figures(session, period):
    """Cases opened in the period, persons counselled (distinct clients) and of those cases the
    open ones, per partner of the user's aggregate scope: one GROUP BY over
    ``ix_case_period_partner_status`` (index-only on PostgreSQL) and the partners' names. No
    personal data: counts only."""
    if period is None:
        return []
    with aggregate_scope():
        rows = session.execute(
            select(Case.partner_id, func.count(), func.count(Case.client_id.distinct()),
                   func.sum(case((Case.status == "open", 1), else_=0)))
            .where(Case.funding_period_id == period.id).group_by(Case.partner_id)
        ).all()
    if not rows:
        return []
    names = dict(session.execute(select(Partner.id, Partner.name).where(Partner.id.in_([r[0] for r in rows]))).all())
    figures = [KeyFigures(names.get(pid, ""), cases, clients, int(open_ or 0)) for pid, cases, clients, open_ in rows]
    return sorted(figures, key=lambda f: f.partner)


# --- Admin and PartnerAdmin -------------------------------------------------------------------
def user_figures(session, scope):
    """Users the acting admin administers (the user list's own filter): total, active, and the
    latest logins."""
    from flask_appbuilder.security.sqla.models import User

    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.security.user_admin import UsersInScope

    in_scope = UsersInScope("id", SQLAInterface(User))
    total, active = session.execute(in_scope.apply(
        select(func.count(), func.coalesce(func.sum(case((User.active.is_(True), 1), else_=0)), 0))
        .select_from(User), None)).one()
    recent = session.execute(in_scope.apply(
        select(User.id, User.username, User.first_name, User.last_name, User.last_login)
        .where(User.last_login.is_not(None)).order_by(nulls_last(User.last_login.desc())).limit(5), None)).all()
    return total, int(active), recent


def partner_figures(session):
    """Admin: the number of active partners; PartnerAdmin: the partners it administers by name
    (the partners its user administration offers: ``selectable_partners("admin")``)."""
    from app.security.partner_choice import selectable_partners

    return [(p.id, p.name) for p in selectable_partners("admin", session)]
