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
    # born 17.05.1980, scope ends 31.12.2013: 33 years old
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
    """Whole years on the last day of the scope; a reference day of 29 February counts the 28th
    as the birthday of those born on a 28 February and the 1st of March as the day after."""
    for born in (date(1988, 12, 31), date(1989, 1, 1), date(1958, 12, 31), date(1959, 1, 1)):
        factories.case(client=factories.client(birth_date=born), opened_on=date(2012, 2, 1))
    scope = resolve_scope(ctx, period="2013")
    assert queries.client_figures(ctx, replace(scope, start=date(2012, 1, 1)))["gender_age"] == {
        ("female", "under_25"): (1,), ("female", "25_34"): (1,), ("female", "45_54"): (1,),
        ("female", "55_plus"): (1,)}
    for born in (date(1987, 2, 28), date(1987, 3, 1)):
        factories.case(client=factories.client(birth_date=born), opened_on=date(2012, 2, 1))
    leap_day = replace(scope, start=date(2012, 1, 1), end=date(2012, 2, 29))
    bands = queries.client_figures(ctx, leap_day)["gender_age"]
    assert bands[("female", "under_25")] == (3,)  # born 31.12.1988, 01.01.1989 and 01.03.1987
    assert bands[("female", "25_34")] == (1,)  # born 28.02.1987: 25 on 29.02.2012


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
