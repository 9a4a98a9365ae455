"""Text search under row-level security (app.core.text_search, migration c4d5e6f7a8b9): the same rows
as the plain scoped ILIKE, for every search field and for special characters, and never another
partner's rows. On PostgreSQL the search goes through ``iq_text_search`` (trigram indexes under
RLS); on SQLite the plain ILIKE is used, and the same assertions hold."""
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select, text

from app.core.filters import _prefix
from app.core.text_search import text_match, uses_search_function
from app.security.scoping import partner_scope

#: Titles and names with LIKE wildcards, the escape character and quotes; each exists at A and B.
TITLES = ["Bauingenieur", "100% Elektro", "100x Elektro", "Rate 50_ok", "Rate 50Xok", "a\\b Pfad", "a\\\\b Pfad",
          "O'Brien Kurs", 'He said "hi"', "Müller Ärztin", "master electrician"]
NAMES = [("O'Neil", "Anna"), ("Mc_Donald", "Bo"), ("McXDonald", "Bo"), ("Per%cent", "Cem"), ("Back\\slash", "Dana"),
         ("Öztürk", "Emre"), ('Say"Hi', "Fay")]
#: Typed terms: plain, case-folded, wildcards, escape character, quotes, umlauts.
TERMS = ["ingen", "INGEN", "100%", "50_", "50\\_", "a\\b", "a\\\\b", "O'", "'", '"hi"', "%", "_", "\\", "Ärzt",
         "mc_", "per%", "back\\", "öz", "Elektr", "master", "O'Neil, An", "Mc_Donald, B", "nothing at all"]


@pytest.fixture
def world(factories, ctx):
    from app.partners.models import Partner

    cases = {"migra": set(), "genres": set()}
    for code in cases:
        for n, title in enumerate(TITLES):
            last, first = NAMES[n % len(NAMES)]
            client = factories.client(partner=code, last_name=last, first_name=first, commit=False)
            cases[code].add(factories.case(client=client, partner=code, qualification_title=title, commit=False))
    ctx.commit()
    ids = {code: {case.id for case in found} for code, found in cases.items()}
    partners = {code: ctx.execute(select(Partner.id).filter_by(code=code)).scalar() for code in cases}
    return ids, partners


def _postgres(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def _patterns(term):
    """What the list filters send: FAB's "starts with" / "contains" (pattern as typed) and the case
    list's client filter (escaped prefix, ESCAPE '\\')."""
    return [(term + "%", None), ("%" + term + "%", None), (_prefix(term), "\\")]


@pytest.mark.parametrize("field", ["case.qualification_title", "client.client_number", "client.last_name",
                                   "client.first_name"])
def test_search_equals_the_plain_scoped_query(app, world, field):
    from app.cases.models import Case
    from app.clients.models import Client
    from app.extensions import db

    ids, partners = world
    model = {"case": Case, "client": Client}[field.split(".")[0]]
    column = getattr(model, field.split(".")[1])
    with app.app_context():
        session = db.session
        with partner_scope([partners["migra"]]):
            assert uses_search_function(session, column) == _postgres(app)
            mine = set(session.execute(select(model.id)).scalars())
            for term in TERMS:
                for pattern, escape in _patterns(term):
                    plain = column.ilike(pattern, escape=escape) if escape else column.ilike(pattern)
                    expected = set(session.execute(select(model.id).where(plain)).scalars())
                    found = set(session.execute(select(model.id).where(text_match(column, pattern, escape)))
                                .scalars())
                    assert found == expected, (field, pattern)
                    assert found <= mine, (field, pattern)  # never another partner's rows
            if model is Case:  # the fixtures make some matches: the comparison is not vacuous
                hits = set(session.execute(select(Case.id).where(text_match(column, "%50_ok%"))).scalars())
                assert len(hits) == 2 and hits <= ids["migra"]  # "_" is a wildcard, as in the plain filter
        session.rollback()
        db.session.remove()


def _case_ids(html):
    return {int(pk) for pk in re.findall(r"/caseview/show/(\d+)", html)}


def test_list_filters_find_what_the_plain_query_finds_for_staff_of_a(app, login_as, world):
    from app.cases.models import Case
    from app.clients.models import Client
    from app.extensions import db

    ids, partners = world
    client = login_as("t_search_staff", "Staff", ["migra"])
    for term in TERMS:
        q = quote(term)
        with app.app_context(), partner_scope([partners["migra"]]):
            title = lambda pattern: set(db.session.execute(  # noqa: E731
                select(Case.id).where(Case.qualification_title.ilike(pattern))).scalars())
            expected_sw, expected_ct = title(term + "%"), title("%" + term + "%")
            last, _comma, first = (part.strip() for part in term.partition(","))
            names = (Client.last_name.ilike(_prefix(last), escape="\\")
                     & Client.first_name.ilike(_prefix(first), escape="\\")) if first \
                else Client.last_name.ilike(_prefix(term), escape="\\")
            who = select(Client.id).where(Client.client_number.ilike(_prefix(term), escape="\\") | names)
            expected_client = set(db.session.execute(select(Case.id).where(Case.client_id.in_(who))).scalars())
            db.session.remove()
        starts = client.get(f"/caseview/list/?psize_CaseView=100&_flt_0_qualification_title={q}")
        contains = client.get(f"/caseview/list/?psize_CaseView=100&_flt_2_qualification_title={q}")
        by_client = client.get(f"/caseview/list/?psize_CaseView=100&_flt_0_client={q}")
        assert _case_ids(starts.get_data(as_text=True)) == expected_sw, term
        assert _case_ids(contains.get_data(as_text=True)) == expected_ct, term
        assert _case_ids(by_client.get_data(as_text=True)) == expected_client, term
        for found in (expected_sw, expected_ct, expected_client):
            assert found <= ids["migra"] and not found & ids["genres"]
    bau = _case_ids(client.get("/caseview/list/?_flt_0_qualification_title=Bau").get_data(as_text=True))
    assert len(bau) == 1 and bau <= ids["migra"]  # the comparison above is not vacuous


def test_client_list_name_search_stays_in_scope(app, login_as, world):
    ids, partners = world
    client = login_as("t_search_clients", "Staff", ["genres"])
    html = client.get("/clientview/list/?psize_ClientView=100&_flt_2_last_name=%27Neil").get_data(as_text=True)
    rows = re.findall(r"/clientview/show/(\d+)", html)
    assert len(set(rows)) == 2  # "O'Neil" twice at genres (TITLES outnumber NAMES), none of migra's
    html = client.get("/clientview/list/?psize_ClientView=100&_flt_0_last_name=Mc_").get_data(as_text=True)
    assert len(set(re.findall(r"/clientview/show/(\d+)", html))) == 4  # Mc_Donald and McXDonald, twice each


def test_search_function_applies_the_scope_itself(app, world, admin_engine):
    """Called directly (as a query that forgot every other rule would): nothing without a scope,
    only the set partners' rows with one; unknown targets refused; its owner cannot log in and
    does not bypass row-level security, and the application's role is not a member of it."""
    if not _postgres(app):
        pytest.skip("PostgreSQL only")
    from app.extensions import db

    ids, partners = world
    with app.app_context():
        connection = db.engine.connect()
        try:
            search = text("SELECT found.id FROM iq_text_search('counselling_case.qualification_title', '%') "
                          "AS found(id)")
            with connection.begin():
                assert connection.execute(search).scalars().all() == []
            with connection.begin():
                connection.execute(text("SELECT set_config('iq.partner_ids', :ids, true)"),
                                   {"ids": str(partners["genres"])})
                assert set(connection.execute(search).scalars()) == ids["genres"]
            with connection.begin():
                connection.execute(text("SELECT set_config('iq.partner_ids', 'all', true)"))
                assert set(connection.execute(search).scalars()) >= ids["genres"] | ids["migra"]
            with pytest.raises(Exception, match="unknown target"), connection.begin():
                connection.execute(text("SELECT * FROM iq_text_search('ab_user.password', '%')")).all()
            app_role = connection.execute(text("SELECT current_user")).scalar()
        finally:
            connection.close()
    with admin_engine.connect() as conn:
        role = conn.execute(text("SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles "
                                 "WHERE rolname = 'iq_search'")).one()
        assert tuple(role) == (False, False, False)
        owner = conn.execute(text("SELECT pg_get_userbyid(proowner), prosecdef FROM pg_proc "
                                  "WHERE proname = 'iq_text_search'")).one()
        assert tuple(owner) == ("iq_search", True)
        member = conn.execute(text("SELECT pg_has_role(:r, 'iq_search', 'MEMBER')"), {"r": app_role}).scalar()
        assert member is False


#: Titles of the paging tests: "Elektro" in many, on distinct days, at both partners.
PAGED = [f"{'Elektro' if n % 3 else 'Pflege'}technik {n}" for n in range(30)]


@pytest.fixture
def paged(factories, ctx):
    from datetime import date, timedelta

    from app.partners.models import Partner

    found = {"migra": set(), "genres": set()}
    for code in found:
        client = factories.client(partner=code, commit=False)
        for n, title in enumerate(PAGED):
            day = date(2014, 1, 1) + timedelta(days=n % 7)  # ties on the day: the id decides
            found[code].add(factories.case(client=client, partner=code, qualification_title=title, opened_on=day,
                                           commit=False))
    ctx.commit()
    ids = {code: {case.id for case in cases} for code, cases in found.items()}
    partners = {code: ctx.execute(select(Partner.id).filter_by(code=code)).scalar() for code in found}
    return ids, partners


# cap 4: more matches than the cap, so the ordered walk and "more than"; budget 3: the walk gives up
# before a page is full and the page comes from the sorted trigram matches.
@pytest.mark.parametrize("cap,budget", [(1000, 20_000), (4, 20_000), (4, 3)])
@pytest.mark.parametrize("codes", [["migra"], ["migra", "genres"]])
def test_search_pages_equal_the_plain_query(app, paged, monkeypatch, cap, budget, codes):
    """A list filtered by one text filter alone (``search_page``: ``iq_text_page`` on PostgreSQL):
    every page, in both orders and directions, holds exactly the plain scoped query's rows in the
    list's order; the total is exact up to the cap, beyond it "more than N" with N below the true
    count and at least the rows up to the page; never another partner's rows."""
    from app.cases.models import Case
    from app.core import text_search
    from app.core.filters import FilterTextContains, FilterTextStartsWith
    from app.core.listing import ScaledInterface
    from app.extensions import db

    monkeypatch.setattr(text_search, "SEARCH_EXACT_UP_TO", cap)
    monkeypatch.setattr(text_search, "WALK_BUDGET", budget)
    ids, partners = paged
    mine = set().union(*(ids[code] for code in codes))
    with app.app_context(), partner_scope([partners[code] for code in codes]):
        session = db.session
        interface = ScaledInterface(Case, session, estimate_count=True)
        more_than = 0
        for flt, value in ((FilterTextContains, "lektro"), (FilterTextStartsWith, "elektro"),
                           (FilterTextContains, "nothing"), (FilterTextStartsWith, "Pflege")):
            pattern = flt.pattern(value)
            for order, direction in (("opened_on", "desc"), ("opened_on", "asc"), ("id", "desc")):
                key = [getattr(Case, order).desc(), Case.id.desc()] if direction == "desc" \
                    else [getattr(Case, order).asc(), Case.id.asc()]
                expected = list(session.execute(select(Case.id).where(Case.qualification_title.ilike(pattern))
                                                .order_by(*key)).scalars())
                assert set(expected) <= mine
                for page in range(6):
                    filters = interface.get_filters(["qualification_title"])
                    filters.add_filter("qualification_title", flt, value)
                    count, items = interface.query(filters, order, direction, page, 8)
                    assert [item.id for item in items] == expected[page * 8:page * 8 + 8], (pattern, order, page)
                    seen = page * 8 + len(items)
                    if len(expected) <= cap:
                        assert count == len(expected) and type(count) is int
                    elif type(count) is int:  # beyond the cap only the last page or one past the end is exact
                        assert count == len(expected) and len(items) < 8
                    else:
                        assert isinstance(count, text_search.MoreThanCount)
                        assert cap < count <= len(expected) and (count >= seen or not items)
                        assert str(count) == f"more than {int(count) - 1}"
                        more_than += 1
        assert more_than > 0 if cap == 4 else more_than == 0
        session.rollback()
        db.session.remove()


def test_search_page_function_applies_the_scope_itself(app, paged, admin_engine):
    """``iq_text_page`` called directly: only the set partners' ids, nothing (one row, no id, total 0)
    without a scope, unknown orders refused; its helpers, which carry no scope rule of their own
    beyond the caller's rights, are not callable by the application's role."""
    if not _postgres(app):
        pytest.skip("PostgreSQL only")
    from app.extensions import db

    ids, partners = paged
    page = text("SELECT p.id, p.total, p.exact FROM iq_text_page('counselling_case.qualification_title', "
                "'%lektro%', :order, true, 0, 100, :cap, 1000) AS p")
    with app.app_context():
        connection = db.engine.connect()
        try:
            with connection.begin():
                assert connection.execute(page, {"order": "opened_on", "cap": 1000}).all() == [(None, 0, True)]
            for cap in (1000, 3):
                with connection.begin():
                    connection.execute(text("SELECT set_config('iq.partner_ids', :ids, true)"),
                                       {"ids": str(partners["genres"])})
                    rows = connection.execute(page, {"order": "opened_on", "cap": cap}).all()
                    assert {row.id for row in rows} <= ids["genres"] and len(rows) == 20
                    assert {(row.total, row.exact) for row in rows} == ({(20, True)} if cap == 1000 else {(4, False)})
            for cap in (1000, 3):  # two partners: the sorted trigram matches (no walk), the same rows
                with connection.begin():
                    connection.execute(text("SELECT set_config('iq.partner_ids', :ids, true)"),
                                       {"ids": f"{partners['genres']},{partners['migra']}"})
                    rows = connection.execute(page, {"order": "opened_on", "cap": cap}).all()
                    assert {row.id for row in rows} <= ids["genres"] | ids["migra"] and len(rows) == 40
            with pytest.raises(Exception, match="unknown order"), connection.begin():
                connection.execute(text("SELECT set_config('iq.partner_ids', 'all', true)"))
                connection.execute(page, {"order": "notes", "cap": 10}).all()
            for helper in ("iq_text_in_order", "iq_text_by_trigrams", "iq_text_query"):
                with pytest.raises(Exception, match="permission denied"), connection.begin():
                    connection.execute(text(f"SELECT * FROM {helper}('counselling_case.qualification_title', "
                                            "'%', NULL, false, 0, 10, NULL)")).all()
        finally:
            connection.close()
    with admin_engine.connect() as conn:
        owner = conn.execute(text("SELECT pg_get_userbyid(proowner), prosecdef FROM pg_proc "
                                  "WHERE proname = 'iq_text_page'")).one()
        assert tuple(owner) == ("iq_search", True)
