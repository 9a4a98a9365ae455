"""Lists page by primary key (app.core.listing): same rows, order and totals as FAB's single query."""
import re
from datetime import date, timedelta

import pytest

from app.core import listing
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


def test_admin_sees_estimated_total_only_for_huge_unfiltered_lists(app, login_as, thirty_cases, admin_engine,
                                                                   monkeypatch):
    from sqlalchemy import text

    client = login_as("t_lister_admin", "Admin", [])
    exact = client.get("/caseview/list/").get_data(as_text=True)
    assert "about" not in exact and "etwa" not in exact  # 31 rows: below the threshold, counted
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the estimate comes from PostgreSQL's statistics only")
    with admin_engine.begin() as conn:
        conn.execute(text("ANALYZE counselling_case"))
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 10)
    estimated = client.get("/caseview/list/").get_data(as_text=True)
    assert re.search(r"(about|etwa) 31\b", estimated)
    filtered = client.get("/caseview/list/?_flt_2_qualification_title=ingenieur").get_data(as_text=True)
    assert not re.search(r"(about|etwa) \d", filtered)  # a filtered list is counted exactly
    logout(client)
    staff = login_as("t_lister_staff", "Staff", ["migra"]).get("/caseview/list/").get_data(as_text=True)
    assert re.search(r":</strong>\s*30\s", staff)
    assert not re.search(r"(about|etwa) \d", staff)  # a partner's list is counted exactly


def test_estimated_count_is_an_int_shown_as_about(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("en"):
        count = listing.EstimatedCount(1234567)
        assert count // 25 == 49382 and str(count) == "about 1,234,567"
