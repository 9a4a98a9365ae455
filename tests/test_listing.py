"""Lists page by primary key (app.core.listing): same rows, order and totals as FAB's single query."""
import re
from datetime import date, timedelta

import pytest

from app.core import listing, text_search
from tests.conftest import logout


@pytest.fixture
def thirty_cases(factories):
    """30 cases of migra on distinct days (newest last) and one of agsa, which Staff must not see."""
    ids = [factories.case(opened_on=date(2013, 1, 1) + timedelta(days=n)).id for n in range(30)]
    foreign = factories.case(partner="agsa", opened_on=date(2014, 6, 1)).id
    return ids, foreign


def _case_ids(html):
    return [int(pk) for pk in re.findall(r'/caseview/show/(\d+)', html)]


def test_case_list_pages_newest_first_within_scope(login_as, thirty_cases):
    ids, foreign = thirty_cases
    client = login_as("t_lister", "Staff", ["migra"])
    first = client.get("/caseview/list/").get_data(as_text=True)
    second = client.get("/caseview/list/?page_CaseView=1").get_data(as_text=True)
    assert list(dict.fromkeys(_case_ids(first))) == ids[::-1][:25]
    assert list(dict.fromkeys(_case_ids(second))) == ids[::-1][25:]
    assert foreign not in _case_ids(first) + _case_ids(second)
    assert re.search(r":</strong>\s*30\s", first)  # the exact total


def test_case_list_sorted_and_filtered(login_as, thirty_cases, factories):
    ids, _foreign = thirty_cases
    special = factories.case(opened_on=date(2012, 5, 5), qualification_title="Zahnärztin").id
    client = login_as("t_lister", "Staff", ["migra"])
    html = client.get("/caseview/list/?_oc_CaseView=opened_on&_od_CaseView=asc").get_data(as_text=True)
    assert list(dict.fromkeys(_case_ids(html)))[:3] == [special, ids[0], ids[1]]
    html = client.get("/caseview/list/?_flt_2_qualification_title=hnärzt").get_data(as_text=True)
    assert list(dict.fromkeys(_case_ids(html))) == [special]


def test_api_list_pages_and_counts_exactly(api_token, client, thirty_cases):
    ids, foreign = thirty_cases
    headers = api_token("t_api_lister", "Staff", ["migra"])
    body = client.get("/api/v1/case/?q=(page:1,page_size:10)", headers=headers).get_json()
    assert body["count"] == 30
    assert body["ids"] == ids[::-1][10:20]
    assert [row["id"] for row in body["result"]] == body["ids"]
    assert type(body["count"]) is int and foreign not in body["ids"]


def test_lists_above_the_cap_show_an_estimated_total(app, login_as, thirty_cases, admin_engine, monkeypatch):
    """Up to ESTIMATE_ABOVE rows the total is exact, for everybody; above, a filtered list shows
    PostgreSQL's estimate ("about N", never fewer than the rows the page proves: the planner's
    estimate of the scoped, filtered query), SQLite counts. An unfiltered list of cases stays exact
    (the tallies), also on a page past the cap."""
    from sqlalchemy import text

    client = login_as("t_lister_admin", "Admin", [])
    exact = client.get("/caseview/list/").get_data(as_text=True)
    assert "about" not in exact and "etwa" not in exact  # 31 rows: below the cap, counted
    assert re.search(r":</strong>\s*31\s", exact)
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 10)
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if postgres:
        with admin_engine.begin() as conn:
            conn.execute(text("ANALYZE counselling_case"))
    unfiltered = client.get("/caseview/list/").get_data(as_text=True)
    deep = client.get("/caseview/list/?page_CaseView=1&psize_CaseView=10").get_data(as_text=True)
    filtered = client.get("/caseview/list/?_flt_0_status=open").get_data(as_text=True)
    filtered_deep = client.get("/caseview/list/?_flt_0_status=open&page_CaseView=1&psize_CaseView=10") \
        .get_data(as_text=True)
    # A text search has its own, smaller cap and says "more than N" (app.core.text_search), never
    # fewer than the rows of the page, on every database.
    monkeypatch.setattr(text_search, "SEARCH_EXACT_UP_TO", 10)
    for query in ("_flt_2_qualification_title=ingenieur", "_flt_2_qualification_title=ingenieur&_flt_0_status=open"):
        searched = client.get(f"/caseview/list/?{query}").get_data(as_text=True)
        assert re.search(r"(more than|mehr als) 24\b", searched) and len(_case_ids(searched)) == 25, query
    past_the_end = client.get("/caseview/list/?page_CaseView=40").get_data(as_text=True)
    filtered_past_the_end = client.get("/caseview/list/?_flt_0_status=open&page_CaseView=40").get_data(as_text=True)
    for html in (unfiltered, deep, past_the_end, filtered_past_the_end):
        assert not re.search(r"(about|etwa) \d", html) and re.search(r":</strong>\s*31\s", html)
    logout(client)
    staff = login_as("t_lister_staff", "Staff", ["migra"])
    staff_unfiltered = staff.get("/caseview/list/").get_data(as_text=True)
    staff_filtered = staff.get("/caseview/list/?_flt_0_status=open").get_data(as_text=True)
    assert re.search(r":</strong>\s*30\s", staff_unfiltered) and not re.search(r"(about|etwa) \d", staff_unfiltered)
    if not postgres:
        for html, total in ((filtered, 31), (filtered_deep, 31), (staff_filtered, 30)):
            assert re.search(rf":</strong>\s*{total}\s", html) and not re.search(r"(about|etwa) \d", html)
        return
    for html in (filtered, filtered_deep, staff_filtered):
        found = re.search(r"(?:about|etwa) ([\d.,]+)", html)
        assert found, html[-2000:]
        assert int(re.sub(r"[.,]", "", found.group(1))) >= 21  # at least the rows of the pages and one


def test_estimated_count_is_an_int_shown_as_about(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("en"):
        count = listing.EstimatedCount(1234567)
        assert count // 25 == 49382 and str(count) == "about 1,234,567"


@pytest.mark.parametrize("role,partners", [("Staff", ["migra"]), ("Admin", [])])
def test_api_total_from_the_tallies_equals_a_direct_count(app, client, api_token, factories, ctx, role, partners):
    """An unfiltered API list of cases or contacts takes its exact total from the summary's tallies
    (app.core.listing._tallied_total): equal to a count of the rows in the user's scope, also after
    a delete and an insert, and for a filtered list (counted directly)."""
    from sqlalchemy import func, select

    from app.cases.models import Case, Contact
    from app.partners.models import Partner

    cases = [factories.case(commit=False) for _ in range(3)] + [factories.case(partner="agsa", commit=False)]
    ctx.commit()
    headers = api_token(f"t_tally_api_{role.lower()}", role, partners)

    def expected(model):
        statement = select(func.count()).select_from(model)
        if role == "Staff":
            statement = statement.join(Partner, Partner.id == model.partner_id).where(Partner.code == "migra")
        return ctx.execute(statement).scalar()

    def api_count(resource, query="(page:0,page_size:2)"):
        response = client.get(f"/api/v1/{resource}/?q={query}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.get_json()["count"]

    assert api_count("case") == expected(Case) == (3 if role == "Staff" else 4)
    assert api_count("contact") == expected(Contact)
    ctx.delete(ctx.get(Case, cases[0].id))
    factories.case(partner="agsa", commit=False)
    ctx.commit()
    assert api_count("case") == expected(Case) == (2 if role == "Staff" else 4)
    assert api_count("case", "(filters:!((col:status,opr:eq,value:open)),page:0,page_size:2)") == \
        ctx.execute(select(func.count()).select_from(Case).where(Case.status == "open").where(
            Case.partner_id.in_(select(Partner.id).where(Partner.code == "migra")) if role == "Staff" else True
        )).scalar()


@pytest.fixture
def mixed_cases(factories, ctx):
    """24 cases of migra and 12 of agsa, open and closed, several on the same day (the id breaks the tie)."""
    for n in range(24):
        factories.case(opened_on=date(2013, 1, 1) + timedelta(days=n // 3),
                       status="closed" if n % 4 == 0 else "open", commit=False)
    for n in range(12):
        factories.case(partner="agsa", opened_on=date(2013, 1, 1) + timedelta(days=n // 2),
                       status="open" if n % 3 else "closed", commit=False)
    ctx.commit()


@pytest.mark.parametrize("role,partners", [("Staff", ["migra"]), ("Staff", ["agsa"]), ("Admin", [])])
def test_pages_past_the_cap_equal_a_direct_query_within_the_scope(login_as, mixed_cases, ctx, monkeypatch,
                                                                  role, partners):
    """Every page (those below the cap, counted in the ids' statement, and those past it, without a
    count), unfiltered and filtered by status or by partner: the ids and order of a direct query
    over the user's partners (opened_on desc, id desc), and the exact total where one is shown. A
    user of agsa filtering by migra gets no row of migra."""
    from sqlalchemy import select

    from app.cases.models import Case
    from app.partners.models import Partner

    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 5)
    code = {partner.code: partner.id for partner in ctx.execute(select(Partner)).scalars()}
    visible = [code[p] for p in partners] if partners else list(code.values())
    client = login_as(f"t_deep_{role.lower()}_{'_'.join(partners)}", role, partners)
    lists = {"": (), "&_flt_0_status=open": (Case.status == "open",),
             f"&_flt_0_partner={code['migra']}": (Case.partner_id == code["migra"],),
             f"&_flt_0_partner={code['migra']}&_flt_0_status=open":
                 (Case.partner_id == code["migra"], Case.status == "open")}
    for query, conditions in lists.items():
        expected = list(ctx.execute(select(Case.id).where(Case.partner_id.in_(visible), *conditions)
                                    .order_by(Case.opened_on.desc(), Case.id.desc())).scalars())
        pages = max(1, -(-len(expected) // 5))
        for page in range(pages + 1):  # and one past the end
            html = client.get(f"/caseview/list/?psize_CaseView=5&page_CaseView={page}{query}").get_data(as_text=True)
            assert list(dict.fromkeys(_case_ids(html))) == expected[page * 5:page * 5 + 5], (query, page)
            if not query or len(expected) <= 5 or page == pages:  # tallies, below the cap, or past the end
                assert re.search(rf":</strong>\s*{len(expected)}\s", html), (query, page)
        if "agsa" in partners and "partner" in query:
            assert expected == []
