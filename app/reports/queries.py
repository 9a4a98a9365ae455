"""The figures of the management summary, aggregated in SQL; no case row is ever loaded into Python.

Every statement is an ORM-enabled ``select()`` over the mapped classes, executed through the
session, so the partner scope (app.security.scoping) restricts it like any other query.

Cases and contacts are additive per month: the full months of the report's range are read from
``summary_tally`` (app/reports/models.py; kept exact by database triggers in every writing
transaction), a few thousand rows whatever the number of cases, and only the partial months at
either end are counted from the cases and contacts themselves (``month_split``). Distinct persons
do not add up over months, so the per-client pass always reads the cases (on PostgreSQL the index
``ix_case_client_opened`` alone, as two concurrent passes over halves of the client ids). At 1M
cases on two cores: about 0.27 s, against 0.75 s for the direct scans (``tallies=False``, kept for
the tests that prove both equal).

The direct counts use ``GROUPING SETS`` on PostgreSQL (DESIGN.md §7); SQLite has no grouping
sets and gets one GROUP BY per set, with the same result shape.
"""
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import (BigInteger, Date, Integer, case, cast, func, literal,
                        literal_column, select, text, tuple_)
from sqlalchemy.dialects.postgresql import array

from app.cases.models import AGE_BANDS, Case, Contact
from app.clients.models import Client
from app.extensions import db
from app.funding.models import Funding
from app.reports.models import TALLY_KINDS, SummaryTally
from app.security.scoping import current_scope, explicit_scope
from app.trainings.models import Training

WORK_MEM = "64MB"  # per report transaction on PostgreSQL, so that hash aggregates stay in memory
RANDOM_PAGE_COST = 1.1  # per report transaction: the usual value for data in memory or on SSD


def _int(value):
    return literal_column(str(int(value)), Integer)


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


CASE_SETS = {
    # when and where: dates, partners and catalogue ids
    "place": {
        "day_partner": ("opened_on", "partner_id"),
        "country": ("qualification_country",),
        "occupation": ("reference_occupation_id", "competent_body_id"),
    },
    # what kind of case: short category keys
    "kind": {
        "qualification_enquirer": ("qualification_type", "regulated", "enquirer"),
        "referral_outcome_notice": ("referral_source", "outcome", "notice_result"),
    },
}


def case_figures(session, scope, parts=tuple(CASE_SETS)):
    """Distributions over cases opened in the scope (one count per case).

    Dimensions of few values share a grouping set and are summed apart here (``marginal``): every
    grouping set is one more hash lookup per row, and five sets instead of nine take about a
    quarter less time at 1M cases. Hashing, not reading, is most of the cost, so on PostgreSQL
    fetch_distributions runs the two ``parts`` as two concurrent scans and joins them with
    ``case_results``.
    """
    result = {}
    for part in parts:
        sets = {name: tuple(getattr(Case, column) for column in columns)
                for name, columns in CASE_SETS[part].items()}
        result.update(grouped(session, sets, [func.count(Case.id)], Case,
                              scope.filter(Case.partner_id, Case.opened_on)))
    return case_results(result) if set(parts) == set(CASE_SETS) else result


def case_results(result):
    """The case tables from the grouping sets of all CASE_SETS parts."""
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


QUARTER_BITS = 62  # quarters per mask column: ``1 << 61`` is the largest bit of a signed 64-bit integer


def quarter_masks(session, opened_on, spans):
    """Per client, the quarters with a case as bit masks (bit i = the i-th quarter of ``spans``).

    One mask column per 62 quarters (a single one up to 15 years). PostgreSQL finds the quarter by
    binary search (``width_bucket`` over the quarters' first days) and ORs the bits; SQLite has
    neither, and gets a chain of comparisons and a sum of distinct bits (the same number).
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        starts = array([literal(first, Date) for _key, first, _next in spans])
        index = func.width_bucket(opened_on, starts) - _int(1)
    else:
        index = case(*[(opened_on < following, position) for position, (_k, _f, following) in enumerate(spans)],
                     else_=len(spans))
    masks = []
    for chunk in range(0, len(spans), QUARTER_BITS):
        bit = literal(1, BigInteger).op("<<")(index - _int(chunk) if chunk else index)
        if len(spans) > QUARTER_BITS:
            bit = case((index.between(chunk, chunk + QUARTER_BITS - 1), bit), else_=literal(0, BigInteger))
        masks.append((func.bit_or(bit) if postgresql else func.sum(bit.distinct())).label(f"quarters_{chunk}"))
    return masks


def client_figures(session, scope, clients=None):
    """Distributions over the persons with a case opened in the scope, and persons per quarter.

    One pass over the cases (on PostgreSQL the index ``ix_case_client_opened`` alone, in client
    order, so the per-client aggregate needs no hash table) gives every counselled client once with
    the set of quarters in which it had a case and its age band at the first of those cases (the
    lowest band: ``Case.age_band`` is stored at each opening, so it survives the erasure of the birth
    date); the clients are then grouped by gender and age band, citizenship, partner, and by that set of quarters, from which the persons per quarter are summed
    here (one per set bit). This replaces a semi-join and a separate ``count(DISTINCT client_id)``
    per quarter, each of which read all cases again.
    """
    spans = list(quarters(scope.start, scope.end))
    masks = quarter_masks(session, Case.opened_on, spans)
    rank = func.min(case(*[(Case.age_band == band, position) for position, band in enumerate(AGE_BANDS)]))
    criteria = scope.filter(Case.partner_id, Case.opened_on)
    if clients is not None:  # (first, stop): the clients with first <= id < stop
        criteria += [Case.client_id >= clients[0], Case.client_id < clients[1]]
    counselled = (select(Case.client_id, *masks, rank.label("age_rank"))
                  .where(*criteria)
                  .group_by(Case.client_id).subquery("counselled"))
    sets = {
        "gender_age": (Client.gender, counselled.c.age_rank),
        "citizenship": (Client.citizenship,),
        "partner": (Client.partner_id,),
        "quarters": tuple(counselled.c[mask.name] for mask in masks),
    }
    result = grouped(session, sets, [func.count(Client.id)], Client, [],
                     joins=[(counselled, counselled.c.client_id == Client.id)])
    by_rank = result.pop("gender_age")
    result["gender_age"] = {}
    for (gender, position), values in by_rank.items():
        key = (gender, AGE_BANDS[position] if position is not None else None)
        result["gender_age"][key] = values
    per_quarter = {}
    for chunk_masks, (count,) in result.pop("quarters").items():
        for chunk, mask in enumerate(chunk_masks):
            for bit in range(QUARTER_BITS):
                if (mask or 0) >> bit & 1:
                    key = spans[chunk * QUARTER_BITS + bit][0]
                    per_quarter[(key,)] = (per_quarter.get((key,), (0,))[0] + count,)
    result["quarter"] = per_quarter
    return result


def contact_figures(session, scope):
    """Contacts in the scope by quarter and kind, by channel, and by partner and kind.

    The contacts are first counted per (day, kind, partner, channel), the key order of the index
    ``ix_contact_date_kind_partner_channel``: PostgreSQL reads that index alone, already sorted, and
    counts without a hash table; the grouping sets then work on those ~80,000 counts instead of
    1.6M contacts (about 0.3 s against 0.45 s).
    """
    columns = (Contact.date, Contact.kind, Contact.partner_id, Contact.channel)
    fine = (select(*columns, func.count().label("contacts"))  # count(*): id is not in the index
            .where(*scope.filter(Contact.partner_id, Contact.date)).group_by(*columns).subquery("fine"))
    sets = {
        "day_kind_partner": (fine.c.date, fine.c.kind, fine.c.partner_id),
        "channel": (fine.c.channel,),
    }
    result = grouped(session, sets, [cast(func.sum(fine.c.contacts), Integer)], fine, [])
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
    """Session settings for the report queries on PostgreSQL: enough memory to hash, not sort; no
    JIT; and index reads costed as for a cached database (``RANDOM_PAGE_COST``), so that the
    per-client pass reads ``ix_case_client_opened`` in order instead of hashing a full table scan
    (about 0.2 s against 0.9 s at 1M cases).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text(f"SET LOCAL random_page_cost = {RANDOM_PAGE_COST}"))


def fetch_distributions(session, scope, tallies=True):
    """The heavy aggregations; on PostgreSQL concurrently, each on its own connection.

    With ``tallies`` (always, but for the tests that compare both) the case and contact figures of
    the full months of the range come from ``summary_tally`` (a few thousand rows instead of 1M
    cases and 1.6M contacts) and only the partial months at either end are counted directly; the
    persons (distinct clients, not additive over months) are always counted directly. Each worker
    runs under the caller's partner scope (ORM criteria and row-level security alike) in its own
    read transaction; their wall time is that of the slowest (the per-client pass).
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    # The per-client pass is the longest: on PostgreSQL two passes over halves of the client ids
    # run side by side (distinct clients of disjoint sets add up).
    halves = _client_halves(session) if postgresql else [None]
    jobs = {f"clients_{i}": partial(client_figures, clients=half) for i, half in enumerate(halves)}
    if tallies:
        months, edges = month_split(scope)
        jobs["counted"] = partial(_counted_figures, months=months, edges=edges)
    else:
        jobs.update({"contacts": contact_figures,
                     **{part: partial(case_figures, parts=(part,)) for part in CASE_SETS}})
    figures = side_by_side(session, scope, jobs)
    clients = {}
    for i in range(len(halves)):
        _add_into(clients, figures.pop(f"clients_{i}"))
    figures["clients"] = clients
    if tallies:
        figures.update(figures.pop("counted"))
    else:
        cases = {}
        for part in CASE_SETS:
            cases.update(figures.pop(part))
        figures["cases"] = case_results(cases)
    return _persons_per_partner(figures)


def _client_halves(session):
    """Two ranges of client ids ``(first, stop)`` that cover every client (the ids' midpoint)."""
    low, high = session.execute(select(func.min(Client.id), func.max(Client.id))).one()
    if low is None:
        return [None]
    middle = (low + high + 1) // 2
    return [(low, middle), (middle, high + 1)]


def month_split(scope):
    """The full months of ``[scope.start, scope.end]`` as ``(first, stop)`` (first days; None if there
    is no full month), and the partial ranges at either end as ``[(first day, last day), ...]``."""
    first = scope.start if scope.start.day == 1 else _next_month(scope.start)
    after = scope.end + timedelta(days=1)
    stop = after if after.day == 1 else after.replace(day=1)
    if first >= stop:
        return None, [(scope.start, scope.end)] if scope.start <= scope.end else []
    edges = []
    if scope.start < first:
        edges.append((scope.start, first - timedelta(days=1)))
    if stop <= scope.end:
        edges.append((stop, scope.end))
    return (first, stop), edges


def _next_month(day):
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _counted_figures(session, scope, months, edges):
    """Case and contact figures: the tallies of the full months plus direct counts of the edges."""
    cases, contacts = tally_figures(session, scope, *months) if months else ({}, {})
    for first, last in edges:
        edge = replace(scope, start=first, end=last)
        _add_into(cases, case_figures(session, edge))
        _add_into(contacts, contact_figures(session, edge))
    for name in CASE_TABLES:
        cases.setdefault(name, {})
    for name in ("quarter_kind", "partner_kind", "channel"):
        contacts.setdefault(name, {})
    return {"cases": cases, "contacts": contacts}


CASE_TABLES = ("quarter", "partner", "country", "occupation", "qualification", "enquirer", "referral",
               "outcome", "notice")


def _add_into(target, source):
    """Add additive figures ``{table: {key: measures}}`` of ``source`` into ``target``."""
    for name, rows in source.items():
        into = target.setdefault(name, {})
        for key, values in rows.items():
            into[key] = tuple(a + b for a, b in zip(into.get(key, (0,) * len(values)), values))


def _decode(kind, column, value):
    """A tally's text value back to the column's value ('' is NULL)."""
    if value == "":
        return None
    if column == "regulated":
        return value == "t"
    if column in ("reference_occupation_id", "competent_body_id"):
        return int(value)
    return value


def tally_figures(session, scope, first, stop):
    """Case and contact figures of the months ``first <= month < stop`` from ``summary_tally``, in
    the shapes of ``case_figures`` and ``contact_figures`` (two statements over a few thousand rows)."""
    tally = SummaryTally
    criteria = [tally.month >= first, tally.month < stop]
    if not scope.network_wide:
        criteria.append(tally.partner_id.in_(scope.partner_ids))
    total = func.sum(tally.n)
    cases = {name: {} for name in CASE_TABLES}
    contacts = {"channel": {}}
    by_value = (select(tally.kind, tally.a, tally.b, total).where(*criteria)
                .group_by(tally.kind, tally.a, tally.b).having(total != 0))
    for kind, a, b, n in session.execute(by_value):
        column_a, column_b = TALLY_KINDS[kind]
        if kind == "contact":
            key = (b,)
            contacts["channel"][key] = (contacts["channel"].get(key, (0,))[0] + int(n),)
            continue
        key = (_decode(kind, column_a, a),) + ((_decode(kind, column_b, b),) if column_b else ())
        cases[kind][key] = (int(n),)
    # Per month and partner: any one case kind counts every case once (enquirer has the fewest
    # values); contacts also per kind of contact.
    contact_kind = case((tally.kind == "contact", tally.a), else_=literal(""))
    by_month = (select(tally.kind, tally.month, tally.partner_id, contact_kind, total)
                .where(*criteria, tally.kind.in_(("enquirer", "contact")))
                .group_by(tally.kind, tally.month, tally.partner_id, contact_kind).having(total != 0))
    month_partner, month_kind_partner = {}, {}
    for kind, month, partner_id, contact, n in session.execute(by_month):
        if kind == "contact":
            month_kind_partner[(month, contact, partner_id)] = (int(n),)
        else:
            month_partner[(month, partner_id)] = (int(n),)
    cases["quarter"] = by_quarter(marginal(month_partner, 0))
    cases["partner"] = marginal(month_partner, 1)
    contacts["quarter_kind"] = by_quarter(marginal(month_kind_partner, 0, 1))
    contacts["partner_kind"] = marginal(month_kind_partner, 2, 1)
    return cases, contacts


def _persons_per_partner(figures):
    clients = figures["clients"]
    figures["persons"] = {"quarter": clients.pop("quarter"), "partner": clients.pop("partner")}
    return figures


def side_by_side(session, scope, jobs):
    """``{name: job(session, scope)}``; on PostgreSQL each job on its own connection in a thread of its
    own, under the request's scope as it is (personal or aggregate: ORM criteria and row-level security),
    so the wall time is that of the slowest pass. SQLite: one after the other on the request's session."""
    if session.get_bind().dialect.name != "postgresql":
        return {name: job(session, scope) for name, job in jobs.items()}
    app = current_app._get_current_object()
    user_scope = current_scope(session)

    def run(job):
        with app.app_context(), explicit_scope(user_scope):
            try:
                prepare_session(db.session)
                return job(db.session, scope)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}
