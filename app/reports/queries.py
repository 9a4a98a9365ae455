"""The figures of the management summary, aggregated in SQL; no case row is ever loaded into Python.

Every statement is an ORM-enabled ``select()`` over the mapped classes, executed through the
session, so the partner scope (app.security.scoping) restricts it like any other query.

On PostgreSQL each table is scanned once with ``GROUPING SETS`` (DESIGN.md §7: one scan of 1M cases
~1.2 s against ~2.0 s for separate GROUP BY queries), and the independent scans run concurrently;
SQLite has no grouping sets and gets one GROUP BY per set, with the same result shape.
"""
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from flask import current_app
from sqlalchemy import (Integer, bindparam, case, cast, extract, func, literal_column, select, text,
                        tuple_)

from app.cases.models import Case, Contact
from app.clients.models import Client
from app.extensions import db
from app.funding.models import Funding
from app.security.scoping import current_scope, partner_scope, system_scope
from app.trainings.models import Training

WORK_MEM = "64MB"  # per report transaction on PostgreSQL, so that hash aggregates stay in memory
AGE_BANDS = ("under_25", "25_34", "35_44", "45_54", "55_plus")


def _int(value):
    return literal_column(str(int(value)), Integer)


def quarter_key(column):
    """``year * 10 + quarter`` (e.g. 20133), written without bound parameters so that PostgreSQL
    recognises the same expression in SELECT, GROUP BY and GROUPING()."""
    year = cast(extract("year", column), Integer)
    month = cast(extract("month", column), Integer)
    return year * _int(10) + (month + _int(2)) // _int(3)


def age_band(birth_date, reference_day):
    """Age band in whole years on ``reference_day``; the day is inlined (see quarter_key)."""
    year = bindparam("age_year", reference_day.year, literal_execute=True, type_=Integer)
    month_day = bindparam("age_md", reference_day.month * 100 + reference_day.day,
                          literal_execute=True, type_=Integer)
    born_md = cast(extract("month", birth_date), Integer) * _int(100) + cast(extract("day", birth_date), Integer)
    age = year - cast(extract("year", birth_date), Integer) - case((born_md > month_day, 1), else_=0)
    return case((age < 25, "under_25"), (age < 35, "25_34"), (age < 45, "35_44"), (age < 55, "45_54"),
                else_="55_plus")


def grouped(session, sets, measures, from_entity, criteria, joins=()):
    """Counts per grouping set: ``{set name: {dimension values: measure values}}``.

    ``sets`` maps a name to a tuple of labelled column expressions; ``measures`` is a list of
    aggregate expressions. The result holds aggregated rows only.
    """
    def base(columns):
        stmt = select(*columns, *measures).select_from(from_entity)
        for target, onclause in joins:
            stmt = stmt.join(target, onclause)
        return stmt.where(*criteria)

    result = {name: {} for name in sets}
    if session.get_bind().dialect.name != "postgresql":
        for name, columns in sets.items():
            for row in session.execute(base(columns).group_by(*columns)):
                result[name][tuple(row[: len(columns)])] = tuple(row[len(columns):])
        return result

    dims = []
    for columns in sets.values():
        dims.extend(c for c in columns if not any(c is d for d in dims))
    masks = {}
    for name, columns in sets.items():
        mask = 0
        for position, dim in enumerate(dims):
            if not any(dim is c for c in columns):
                mask |= 1 << (len(dims) - 1 - position)
        masks[mask] = (name, [next(i for i, d in enumerate(dims) if d is c) for c in columns])
    stmt = base([*dims, func.grouping(*dims)]).group_by(
        func.grouping_sets(*[tuple_(*columns) for columns in sets.values()])
    )
    for row in session.execute(stmt):
        name, positions = masks[row[len(dims)]]
        result[name][tuple(row[i] for i in positions)] = tuple(row[len(dims) + 1:])
    return result


def case_figures(session, scope):
    """Distributions over cases opened in the scope (one count per case).

    Dimensions of few values share a grouping set and are summed apart here (``marginal``): every
    grouping set is one more hash lookup per row, and five sets instead of nine take about a
    quarter less time at 1M cases.
    """
    sets = {
        "day_partner": (Case.opened_on, Case.partner_id),
        "qualification_enquirer": (Case.qualification_type, Case.regulated, Case.enquirer),
        "referral_outcome_notice": (Case.referral_source, Case.outcome, Case.notice_result),
        "country": (Case.qualification_country,),
        "occupation": (Case.reference_occupation_id, Case.competent_body_id),
    }
    result = grouped(session, sets, [func.count(Case.id)], Case, scope.filter(Case.partner_id, Case.opened_on))
    day_partner = result.pop("day_partner")
    result["quarter"] = by_quarter(marginal(day_partner, 0))
    result["partner"] = marginal(day_partner, 1)
    qualification_enquirer = result.pop("qualification_enquirer")
    result["qualification"] = marginal(qualification_enquirer, 0, 1)
    result["enquirer"] = marginal(qualification_enquirer, 2)
    referral_outcome_notice = result.pop("referral_outcome_notice")
    for position, name in enumerate(("referral", "outcome", "notice")):
        result[name] = marginal(referral_outcome_notice, position)
    return result


def marginal(rows, *positions):
    """Sum additive counts ``{dimension values: measures}`` over the dimensions not in ``positions``."""
    result = {}
    for key, values in rows.items():
        sub = tuple(key[p] for p in positions)
        result[sub] = tuple(a + b for a, b in zip(result.get(sub, (0,) * len(values)), values))
    return result


def by_quarter(day_rows):
    """Sum per-day counts (at most ~1,300 aggregated rows per other dimension) into quarters.

    Grouping by the plain date column is much cheaper for PostgreSQL than hashing a computed
    quarter for every row; the additive counts are then summed here.
    """
    result = {}
    for (day, *rest), values in day_rows.items():
        key = (day.year * 10 + (day.month + 2) // 3, *rest)
        result[key] = tuple(a + b for a, b in zip(result.get(key, (0,) * len(values)), values))
    return result


def quarters(start, end):
    """``(quarter key, first day, first day of the next quarter)`` for every quarter touching [start, end]."""
    year, quarter = start.year, (start.month + 2) // 3
    while (year, quarter) <= (end.year, (end.month + 2) // 3):
        following = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        yield (year * 10 + quarter, date(year, 3 * quarter - 2, 1),
               date(following[0], 3 * following[1] - 2, 1))
        year, quarter = following


def person_figures(session, scope):
    """Distinct persons with a case opened in the scope, per quarter.

    One aggregate row, one ``count(DISTINCT client_id) FILTER (…)`` per quarter: each sorts only its
    own quarter's client ids, where ``GROUP BY quarter`` with ``count(DISTINCT …)`` first sorted all
    cases by quarter (about half the time of the whole summary at 1M cases). On PostgreSQL the
    client ids come from the index ``ix_case_client_opened`` alone. Persons per partner come with
    client_figures (a client and all of its cases belong to one partner).
    """
    spans = list(quarters(scope.start, scope.end))
    stmt = select(*[
        func.count(Case.client_id.distinct()).filter(Case.opened_on >= first, Case.opened_on < following)
        for _key, first, following in spans
    ]).where(*scope.filter(Case.partner_id, Case.opened_on))
    row = session.execute(stmt).one()
    return {"quarter": {(key,): (count,) for (key, _first, _next), count in zip(spans, row) if count}}


def client_figures(session, scope):
    """Distributions over the persons with a case opened in the scope (a semi-join: no DISTINCT)."""
    band = age_band(Client.birth_date, scope.end).label("age_band")
    sets = {
        "gender_age": (Client.gender, band),
        "citizenship": (Client.citizenship,),
        "partner": (Client.partner_id,),
    }
    counselled = select(Case.client_id).where(*scope.filter(Case.partner_id, Case.opened_on))
    return grouped(session, sets, [func.count(Client.id)], Client, [Client.id.in_(counselled)])


def contact_figures(session, scope):
    """Contacts in the scope by quarter and kind, by channel, and by partner and kind."""
    sets = {
        "day_kind_partner": (Contact.date, Contact.kind, Contact.partner_id),
        "channel": (Contact.channel,),
    }
    result = grouped(session, sets, [func.count(Contact.id)], Contact,
                     scope.filter(Contact.partner_id, Contact.date))
    day_kind_partner = result.pop("day_kind_partner")
    result["quarter_kind"] = by_quarter(marginal(day_kind_partner, 0, 1))
    result["partner_kind"] = marginal(day_kind_partner, 2, 1)
    return result


def training_figures(session, scope):
    """Trainings: events, hours and participants by gender, per target institution."""
    stmt = (
        select(Training.target_institution, func.count(Training.id), func.sum(Training.hours),
               func.sum(Training.participants_female), func.sum(Training.participants_male),
               func.sum(Training.participants_diverse))
        .where(*scope.filter(Training.partner_id, Training.date))
        .group_by(Training.target_institution)
        .order_by(Training.target_institution)
    )
    return [tuple(row) for row in session.execute(stmt)]


def funding_figures(session, scope):
    """Funding planned vs. spent per partner and funder, for the period (or all periods)."""
    stmt = select(Funding.partner_id, Funding.funder, func.sum(Funding.planned_amount),
                  func.sum(Funding.spent_amount)).group_by(Funding.partner_id, Funding.funder)
    if scope.period is not None:
        stmt = stmt.where(Funding.funding_period_id == scope.period.id)
    if not scope.network_wide:
        stmt = stmt.where(Funding.partner_id.in_(scope.partner_ids))
    return [tuple(row) for row in session.execute(stmt)]


def prepare_session(session):
    """Session settings for the report queries (PostgreSQL: enough memory to hash, not sort)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


def fetch_distributions(session, scope):
    """The four heavy aggregations; on PostgreSQL concurrently, each on its own connection.

    They scan different tables or sets of columns and do not depend on each other, so their wall
    time is that of the slowest one rather than the sum. Each worker runs under the caller's partner
    scope (ORM criteria and row-level security alike) in its own read transaction.
    """
    jobs = {"cases": case_figures, "persons": person_figures, "clients": client_figures,
            "contacts": contact_figures}
    if session.get_bind().dialect.name != "postgresql":
        return _persons_per_partner({name: job(session, scope) for name, job in jobs.items()})
    app = current_app._get_current_object()
    user_scope = current_scope(session)

    def run(job):
        with app.app_context(), _same_scope(user_scope):
            try:
                prepare_session(db.session)
                return job(db.session, scope)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return _persons_per_partner({name: future.result() for name, future in futures.items()})


def _persons_per_partner(figures):
    figures["persons"]["partner"] = figures["clients"].pop("partner")
    return figures


def _same_scope(user_scope):
    if user_scope.unrestricted:
        return system_scope()
    return partner_scope(user_scope.partner_ids, roles=user_scope.roles, user_id=user_scope.user_id)
