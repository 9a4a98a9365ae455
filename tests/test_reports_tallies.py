"""The summary's tallies (``summary_tally``, kept by database triggers) equal a direct count after
every kind of write: ORM inserts, edits and deletes, Core and raw SQL statements, a partner move,
the erasure (which keeps the figures) and the bulk load of ``iq demo`` (COPY on PostgreSQL)."""
from collections import Counter
from datetime import date

from sqlalchemy import delete, select, text, update

from app.cases.models import Case, Contact
from app.clients.erasure import erase_client
from app.clients.models import Client
from app.reports import queries
from app.reports.models import TALLY_KINDS, SummaryTally
from app.reports.scope import resolve_scope

SCOPES = (
    dict(period="all"),
    dict(period="2013"),
    dict(period="2013", cutoff="2013-05-17"),  # a partial month at the end, counted directly
    dict(period="2013", partner="migra"),
    dict(period="2013", state="ST"),
)


def _encode(column, value):
    if value is None:
        return ""
    if column == "regulated":
        return "t" if value else "f"
    return str(value)


def _recount(ctx):
    """The tally rows as they should be, counted in Python from the cases and contacts."""
    expected = Counter()
    for case in ctx.scalars(select(Case)):
        for kind, (a, b) in TALLY_KINDS.items():
            if kind != "contact":
                expected[(kind, case.partner_id, case.opened_on.replace(day=1), _encode(a, getattr(case, a)),
                          _encode(b, getattr(case, b)) if b else "")] += 1
    for contact in ctx.scalars(select(Contact)):
        expected[("contact", contact.partner_id, contact.date.replace(day=1), contact.kind, contact.channel)] += 1
    return dict(expected)


def _tallies(ctx):
    rows = ctx.execute(select(SummaryTally.kind, SummaryTally.partner_id, SummaryTally.month, SummaryTally.a,
                              SummaryTally.b, SummaryTally.n))
    return {tuple(row[:5]): row[5] for row in rows}


def assert_tallies_exact(ctx):
    ctx.expire_all()
    assert _tallies(ctx) == _recount(ctx)  # no row of zero is left behind either
    for args in SCOPES:
        scope = resolve_scope(ctx, **args)
        assert queries.fetch_distributions(ctx, scope) == queries.fetch_distributions(ctx, scope, tallies=False), args


def _dataset(factories):
    cases = []
    for i in range(12):
        partner = ("migra", "agsa", "hs-wismar")[i % 3]
        case = factories.case(partner=partner, opened_on=date(2013, 1 + i % 7, 1 + 2 * i),
                              outcome=(None, "application_help", "no_procedure")[i % 3],
                              qualification_country=(None, "SY", "PL", "UA")[i % 4],
                              regulated=(None, True, False)[i % 3], enquirer=(None, "self")[i % 2],
                              notice_result=(None, "full")[i % 2], referral_source=(None, "internet")[i % 2])
        factories.contact(case)
        factories.contact(case, kind="follow_up", channel="phone", date=case.opened_on.replace(day=28))
        cases.append(case)
    factories.case(partner="migra", opened_on=date(2012, 6, 1))
    return cases


def test_tallies_equal_direct_counts_after_inserts(ctx, factories):
    _dataset(factories)
    assert sum(n for (kind, *_), n in _tallies(ctx).items() if kind == "outcome") == 13
    assert_tallies_exact(ctx)


def test_tallies_follow_orm_edits_and_deletes(ctx, factories):
    cases = _dataset(factories)
    moved = cases[0]
    moved.opened_on = date(2013, 8, 30)  # another month and quarter
    moved.outcome = "language_course"
    cases[1].regulated = None
    cases[1].reference_occupation_id = None
    cases[2].notes = "a note: nothing counted changes"
    contact = ctx.scalars(select(Contact).where(Contact.case_id == cases[3].id, Contact.kind == "follow_up")).one()
    contact.channel = "email"
    contact.date = date(2013, 9, 1)
    ctx.commit()
    assert_tallies_exact(ctx)
    ctx.delete(ctx.scalars(select(Contact).where(Contact.case_id == cases[4].id)).first())
    ctx.delete(ctx.get(Case, cases[5].id))  # with its contacts
    ctx.commit()
    assert_tallies_exact(ctx)


def test_tallies_follow_core_and_raw_sql_statements(ctx, factories):
    cases = _dataset(factories)
    ctx.execute(update(Case).where(Case.id.in_([c.id for c in cases[:4]])).values(outcome="on_hold"))
    ctx.execute(text("UPDATE counselling_case SET qualification_country = 'TR', opened_on = '2013-07-07' "
                     "WHERE id = :id"), {"id": cases[6].id})
    ctx.execute(delete(Contact).where(Contact.case_id == cases[7].id))
    ctx.execute(text("DELETE FROM contact WHERE case_id = :id"), {"id": cases[8].id})
    ctx.execute(text("DELETE FROM counselling_case WHERE id = :id"), {"id": cases[8].id})
    ctx.commit()
    assert_tallies_exact(ctx)


def test_tallies_follow_a_move_to_another_partner(ctx, factories):
    cases = _dataset(factories)
    agsa = factories.partner("agsa").id
    case = cases[0]  # of migra
    ctx.execute(update(Client.__table__).where(Client.__table__.c.id == case.client_id).values(partner_id=agsa))
    ctx.execute(update(Case.__table__).where(Case.__table__.c.id == case.id).values(partner_id=agsa))
    ctx.execute(update(Contact.__table__).where(Contact.__table__.c.case_id == case.id).values(partner_id=agsa))
    ctx.commit()
    assert_tallies_exact(ctx)


def test_the_erasure_keeps_the_tallies_and_the_figures(ctx, factories):
    _dataset(factories)
    person = factories.client(last_name="Quax")
    for day in (date(2013, 2, 3), date(2013, 4, 5)):
        factories.contact(factories.case(client=person, opened_on=day, closed_on=day, outcome="no_procedure"))
    before, figures = _tallies(ctx), queries.fetch_distributions(ctx, resolve_scope(ctx, period="2013"))
    erase_client(ctx, ctx.get(Client, person.id))
    ctx.commit()
    assert ctx.get(Client, person.id).last_name is None
    assert _tallies(ctx) == before
    assert queries.fetch_distributions(ctx, resolve_scope(ctx, period="2013")) == figures
    assert_tallies_exact(ctx)


def test_the_bulk_load_of_the_demo_is_tallied(ctx):
    from app.setup.demo import load_demo

    load_demo(ctx, clients=40, cases=120, seed=3)
    ctx.commit()
    assert sum(n for (kind, *_), n in _tallies(ctx).items() if kind == "notice") == 120
    assert_tallies_exact(ctx)


def test_tallies_are_read_under_the_partner_scope(ctx, factories):
    from dataclasses import replace

    from app.security.scoping import partner_scope

    _dataset(factories)
    migra = factories.partner("migra").id
    with partner_scope({migra}):
        # Without partner criteria of its own: only the ORM scope (and RLS) restricts the statements.
        scope = replace(resolve_scope(ctx, period="2013"), network_wide=True)
        cases, contacts = queries.tally_figures(ctx, scope, date(2013, 1, 1), date(2014, 1, 1))
        assert {partner for (partner,) in cases["partner"]} == {migra}
        assert {partner for partner, _kind in contacts["partner_kind"]} == {migra}
        assert {row.partner_id for row in ctx.scalars(select(SummaryTally))} == {migra}
