"""SQL statements per list request do not grow with the page size (no N+1) (issue 10).

Counted with a ``before_cursor_execute`` listener on the app's engine, per request, after one warm-up
request of the same URL (so that one-time work of a fresh process -- nothing here, but kept honest --
is not counted). Excluded, explicitly:

- PostgreSQL's ``SELECT set_config('iq.partner_ids', ...)`` / ``SET LOCAL ...`` that the partner
  scope issues per transaction for row-level security (app.security.scoping): it is a session
  setting, not a query over data, and SQLite has no equivalent, so that both databases count the
  same statements;
- any other ``SET`` (none by default: with ``IQ_ACCESS_LOG_COMMIT=async`` the access log turns
  synchronous_commit off inside its INSERT, and only an export row without client rows needs a
  ``SET LOCAL`` of its own).

Everything else counts: the user's load by the session cookie, the page's ids, the rows, the total,
the access-log INSERT.
"""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event

EXCLUDED = (re.compile(r"^\s*SELECT\s+set_config\(", re.I), re.compile(r"^\s*SET\s+", re.I))


class Statements:
    def __init__(self, engine):
        self.engine = engine
        self.seen = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not any(pattern.match(statement) for pattern in EXCLUDED):
            self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def count(app, client, url, headers=None):
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    assert client.get(url, headers=headers).status_code == 200  # warm-up
    with Statements(engine) as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return statements.seen


def _postgres(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture(autouse=True)
def choices_stay_cached(monkeypatch):
    """The search form's reference choices (app.core.choices) are read by the warm-up request and
    then cached; on a slow machine the 60 s could run out between warm-up and count."""
    from app.core import choices

    monkeypatch.setattr(choices, "TTL", 3600.0)


@pytest.fixture(autouse=True)
def badge_counts_stay_cached(monkeypatch):
    """The menu badge's count is kept 10 s (app.referrals.service): longer here, as for the choices."""
    from app.referrals import service

    service.forget_badge_counts()
    monkeypatch.setattr(service, "BADGE_TTL", 3600.0)
    yield
    service.forget_badge_counts()


@pytest.fixture(autouse=True)
def estimates_start_empty(monkeypatch):
    """The planner estimates (app.core.listing) are per-process state: an earlier test's entry for the
    same filters and partner set could expire between this test's warm-up and its count (CI saw the
    filtered Staff list read its estimate again: 5 statements instead of 4)."""
    from app.core import listing

    listing._estimates.clear()
    monkeypatch.setattr(listing, "ESTIMATE_TTL", 3600.0)
    yield
    listing._estimates.clear()


@pytest.fixture
def many_cases(factories, ctx):
    """110 cases of migra, each with its own client (so that an N+1 on the client would show), and
    five of agsa."""
    for n in range(110):
        factories.case(opened_on=date(2013, 1, 1) + timedelta(days=n), commit=False)
    for n in range(5):
        factories.case(partner="agsa", opened_on=date(2013, 1, 1) + timedelta(days=n), commit=False)
    ctx.commit()


LIST = "/caseview/list/?psize_CaseView={psize}"
PAGES = {
    "first page": LIST,
    "sorted by opened_on desc": LIST + "&_oc_CaseView=opened_on&_od_CaseView=desc",
    "high page": LIST + "&page_CaseView={high}",  # page 11 of 10 rows / page 1 of 100 (both full or partial)
    "filtered by status": LIST + "&_flt_0_status=open",
    "filtered by partner": LIST + "&_flt_0_partner={partner}",
}

#: Statements per list request (see the module's docstring for what is excluded). Exact, so that a
#: regression fails; the target of issue 10 is <= 6.
#: Both: the user (with roles, groups and memberships in one statement), the page's ids with the total
#: counted up to ``ESTIMATE_ABOVE`` rows (one statement), the rows, the access-log INSERT.
#: Staff's menu badge (open referrals received, issue 12) is counted once per 10 s and partner set
#: (``app.referrals.service.BADGE_TTL``), not per page: not on these pages after the warm-up.
EXPECTED = {"Staff": 4, "Admin": 4}
#: A filtered list longer than ``ESTIMATE_ABOVE`` rows reads PostgreSQL's estimate in one more statement
#: (``test_a_long_list_costs_no_statement_more_unless_filtered``); these lists are shorter.
PG_ESTIMATE = {"Staff": 0, "Admin": 0}
EXPECTED_API = {"Staff": 5, "Admin": 5}


@pytest.mark.parametrize("role,partners", [("Staff", ["migra"]), ("Admin", [])])
def test_case_list_statements_do_not_depend_on_page_size(app, login_as, many_cases, role, partners):
    from app.extensions import db
    from app.partners.models import Partner

    client = login_as(f"t_count_{role.lower()}", role, partners)
    with app.app_context():
        migra = db.session.query(Partner.id).filter_by(code="migra").scalar()
    for page, url in PAGES.items():
        small = count(app, client, url.format(psize=10, high=10, partner=migra))
        large = count(app, client, url.format(psize=100, high=1, partner=migra))
        assert len(small) == len(large), (page, small, large)
        estimate = PG_ESTIMATE[role] if not page.startswith("filtered") and _postgres(app) else 0
        assert len(large) == EXPECTED[role] + estimate, (page, large)


@pytest.mark.parametrize("role,partners", [("Staff", ["migra"]), ("Admin", [])])
def test_api_case_list_statements_do_not_depend_on_page_size(app, client, api_token, many_cases, role, partners):
    headers = api_token(f"t_count_api_{role.lower()}", role, partners)
    small = count(app, client, "/api/v1/case/?q=(page:0,page_size:10)", headers)
    large = count(app, client, "/api/v1/case/?q=(page:0,page_size:100)", headers)
    high = count(app, client, "/api/v1/case/?q=(page:10,page_size:10)", headers)
    assert len(small) == len(large) == len(high), (small, large, high)
    assert len(large) == EXPECTED_API[role], large


@pytest.mark.parametrize("role,partners", [("Staff", ["migra"]), ("Admin", [])])
def test_a_long_list_costs_no_statement_more_unless_filtered(app, login_as, many_cases, monkeypatch, role, partners):
    """Above the cap an unfiltered list still reads its exact total from the tallies in the ids'
    statement (no statement more, on both databases). A filtered list's total is the planner's
    estimate (PostgreSQL: one statement, then remembered for ``ESTIMATE_TTL`` seconds, so the request
    after the warm-up reads none) or, on SQLite, an exact count (one statement): never more than six."""
    from app.core import listing

    from app.extensions import db
    from app.partners.models import Partner

    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 20)
    client = login_as(f"t_count_long_{role.lower()}", role, partners)
    with app.app_context():
        migra = db.session.query(Partner.id).filter_by(code="migra").scalar()
    for page, url in PAGES.items():
        small = count(app, client, url.format(psize=10, high=10, partner=migra))
        large = count(app, client, url.format(psize=100, high=1, partner=migra))
        extra = 0 if _postgres(app) or not page.startswith("filtered") else 1
        assert len(small) == len(large) == EXPECTED[role] + extra <= 6, (page, large)
    if _postgres(app):  # the estimate is read again once it is older than ESTIMATE_TTL
        listing._estimates.clear()
        url = PAGES["filtered by status"].format(psize=10, high=10, partner=migra)
        assert len(count(app, client, url)) == EXPECTED[role]  # the warm-up read it again
        listing._estimates.clear()
        with app.app_context():
            engine = db.engine
        with Statements(engine) as statements:
            assert client.get(url).status_code == 200
        assert len(statements.seen) == EXPECTED[role] + 1, statements.seen
