"""The summary's GROUP BY / GROUPING SETS statements are restricted by the ORM partner scope."""
from dataclasses import replace
from datetime import date

from app.reports import queries
from app.reports.scope import resolve_scope
from app.security.scoping import partner_scope


def _dataset(factories):
    for partner, n in (("migra", 4), ("agsa", 7)):
        for i in range(n):
            case = factories.case(partner=partner, opened_on=date(2013, 2 + i % 2, 10))
            factories.contact(case)
    return factories.partner("migra").id, factories.partner("agsa").id


def test_grouped_queries_only_count_the_users_partners(ctx, factories):
    migra, agsa = _dataset(factories)
    with partner_scope({migra}):
        # Without any partner criteria of its own: only the ORM scope restricts the statements.
        scope = replace(resolve_scope(ctx, period="2013"), network_wide=True)
        cases = queries.case_figures(ctx, scope)
        clients = queries.client_figures(ctx, scope)
        contacts = queries.contact_figures(ctx, scope)
    assert set(cases["partner"]) == {(migra,)}
    assert cases["partner"][(migra,)][0] == 4
    assert sum(m[0] for m in cases["quarter"].values()) == 4
    assert sum(m[0] for m in clients["citizenship"].values()) == 4
    assert set(contacts["partner_kind"]) == {(migra, "first_contact")}
    assert clients["partner"] == {(migra,): (4,)}
    assert sum(v[0] for v in clients["quarter"].values()) == 4


def test_network_wide_scope_counts_every_partner(ctx, factories):
    migra, agsa = _dataset(factories)
    scope = resolve_scope(ctx, period="2013")
    cases = queries.case_figures(ctx, scope)
    assert {k: v[0] for k, v in cases["partner"].items()} == {(migra,): 4, (agsa,): 7}
    assert cases["quarter"][(20131,)][0] == 11
    clients = queries.client_figures(ctx, scope)
    assert clients["quarter"] == {(20131,): (11,)}
    assert clients["partner"] == {(migra,): (4,), (agsa,): (7,)}
    contacts = queries.contact_figures(ctx, scope)
    assert contacts["quarter_kind"][(20131, "first_contact")] == (11,)
    bands = queries.client_figures(ctx, scope)["gender_age"]
    # born 17.05.1980, cases opened in 2013: 32 years old
    assert bands == {("female", "25_34"): (11,)}


def test_persons_per_quarter_count_each_person_once_per_quarter(ctx, factories):
    """Two cases of one person in a quarter count once; a case in the next quarter counts there."""
    person = factories.client()
    for day in (date(2013, 1, 10), date(2013, 3, 31), date(2013, 4, 1)):
        factories.case(client=person, opened_on=day)
    factories.case(opened_on=date(2013, 12, 31))  # another person, last day of Q4
    scope = resolve_scope(ctx, period="2013")
    clients = queries.client_figures(ctx, scope)
    assert clients["quarter"] == {(20131,): (1,), (20132,): (1,), (20134,): (1,)}
    assert clients["partner"] == {(factories.partner("migra").id,): (2,)}
    assert [q[0] for q in queries.quarters(date(2011, 7, 1), date(2012, 2, 29))] == [20113, 20114, 20121]


def test_age_bands_change_on_the_birthday(ctx, factories):
    """Whole years on the day the case opens (stored with the case); born on 29 February, one is
    a year older on 1 March of a year without a 29th."""
    for born in (date(1987, 2, 1), date(1987, 2, 2), date(1957, 2, 1), date(1957, 2, 2)):
        factories.case(client=factories.client(birth_date=born), opened_on=date(2012, 2, 1))
    for opened in (date(2013, 2, 28), date(2013, 3, 1)):
        factories.case(client=factories.client(birth_date=date(1988, 2, 29)), opened_on=opened)
    scope = replace(resolve_scope(ctx, period="2013"), start=date(2012, 1, 1))
    assert queries.client_figures(ctx, scope)["gender_age"] == {
        ("female", "under_25"): (2,), ("female", "25_34"): (2,), ("female", "45_54"): (1,),
        ("female", "55_plus"): (1,)}


def test_a_person_counts_in_the_age_band_of_its_first_case_in_the_scope(ctx, factories):
    """Age band at the first case the scope counts: 24 at the case of 2012, 25 at the one of 2013."""
    person = factories.client(birth_date=date(1988, 1, 20))
    for opened in (date(2012, 1, 10), date(2013, 6, 1)):
        factories.case(client=person, opened_on=opened)
    assert [case.age_band for case in sorted(person.cases, key=lambda c: c.opened_on)] == ["under_25", "25_34"]
    both = replace(resolve_scope(ctx, period="2013"), start=date(2012, 1, 1))
    assert queries.client_figures(ctx, both)["gender_age"] == {("female", "under_25"): (1,)}
    assert queries.client_figures(ctx, resolve_scope(ctx, period="2013"))["gender_age"] == {
        ("female", "25_34"): (1,)}


def test_a_corrected_birth_date_rederives_the_cases_age_bands(ctx, factories):
    person = factories.client(birth_date=date(1988, 1, 20))
    case = factories.case(client=person, opened_on=date(2013, 6, 1))
    assert case.age_band == "25_34"
    person.birth_date = date(1970, 1, 20)
    ctx.commit()
    ctx.expire_all()
    assert ctx.get(type(case), case.id).age_band == "35_44"


def test_persons_per_quarter_over_several_quarter_masks(ctx, factories, monkeypatch):
    """Scopes longer than one mask of quarters get further masks (here 4 quarters per mask instead
    of 62): every quarter is still counted once per person."""
    monkeypatch.setattr(queries, "QUARTER_BITS", 4)
    person = factories.client()
    for day in (date(2011, 7, 1), date(2012, 6, 30), date(2012, 7, 1), date(2014, 12, 31)):
        factories.case(client=person, opened_on=day)
    factories.case(opened_on=date(2012, 7, 2))
    clients = queries.client_figures(ctx, resolve_scope(ctx))
    assert clients["quarter"] == {(20113,): (1,), (20122,): (1,), (20123,): (2,), (20144,): (1,)}
