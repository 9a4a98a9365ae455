"""The database-side scope after the one-statement user load, and the per-transaction marker (issue 10).

The request's user is loaded with its roles and groups in one statement, under ``resolving_user()``
(the partner scope depends on that very user). That load may begin the request's transaction
before the scope is known, so ``after_begin`` cannot tell PostgreSQL; ``adopt_request_user`` then
syncs it explicitly. Commit 939a1e5 lacked that sync: Management's pseudonymous export came back
empty on PostgreSQL (row-level security saw no ``iq.partner_ids``), while SQLite was fine.

The marker of what was set (``session.info["iq_rls_applied"]``) names the transaction by ``id()``;
a new transaction object may get the id of an ended one, so the marker is dropped whenever a
transaction or savepoint ends.
"""
import csv
import io
from datetime import date

from flask import g
from sqlalchemy import event, select, text

from app.security.scoping import _RLS_KEY, partner_scope, resolving_user


def _postgres(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def _case_numbers(response):
    assert response.status_code == 200, response.status_code
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    position = rows[0].index("Fallnummer")
    return {int(row[position]) for row in rows[1:]}


def test_management_export_is_not_empty_after_the_user_load(app, factories, login_as, client):
    """The user load is the request's first statement; on PostgreSQL the scope must be set before
    the first partner-owned statement, or the export is empty (commit 939a1e5)."""
    from app.extensions import db

    mine = {factories.case(opened_on=date(2013, 2, 1)).id, factories.case(opened_on=date(2013, 5, 6)).id}
    factories.case(partner="genres", opened_on=date(2013, 4, 4))
    login_as("t_sync_mgmt", "Management", ("migra",))
    with app.app_context():
        engine = db.engine
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/exports/cases.csv")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert _case_numbers(response) == mine
    assert seen[0].startswith("SELECT ab_user.id"), seen[:2]  # the one-statement user load comes first
    if _postgres(app):
        first_case = next(i for i, s in enumerate(seen) if "FROM counselling_case" in s)
        assert any(s.startswith("SELECT set_config('iq.partner_ids'") for s in seen[:first_case]), seen
    assert client.get("/exports/cases.csv").status_code == 200  # and again, in a new request


def test_staff_list_and_api_see_their_rows_after_the_user_load(app, factories, login_as, client, api_token):
    case = factories.case(qualification_title="Syncprobe")
    other = factories.case(partner="genres", qualification_title="Syncprobe")
    login_as("t_sync_staff", "Staff", ("migra",))
    body = client.get("/caseview/list/?_flt_0_qualification_title=Syncprobe").get_data(as_text=True)
    assert f"/caseview/show/{case.id}" in body
    headers = api_token("t_sync_api", "Staff", ("migra",))
    answer = client.get("/api/v1/case/", headers=headers).get_json()
    assert [row["id"] for row in answer["result"]] == [case.id], answer
    assert other.id not in [row["id"] for row in answer["result"]]


def test_marker_is_dropped_when_a_transaction_or_savepoint_ends(app, factories):
    from app.cases.models import Case
    from app.extensions import db
    from app.partners.models import Partner

    factories.case()
    with app.app_context():
        session = db.session()
        migra = session.execute(select(Partner.id).filter_by(code="migra")).scalar()
        with partner_scope([migra]):
            session.execute(select(Case.id)).all()
            if _postgres(app):
                assert session.info.get(_RLS_KEY) is not None
            session.commit()
            assert _RLS_KEY not in session.info
            session.execute(select(Case.id)).all()
            session.rollback()
            assert _RLS_KEY not in session.info
            session.execute(select(Case.id)).all()
            with session.begin_nested():
                session.execute(select(Case.id)).all()
            assert _RLS_KEY not in session.info
            session.rollback()
        db.session.remove()


def test_every_new_transaction_gets_the_scope_even_when_begun_before_it_is_known(app, factories, make_user):
    """A transaction begun while the user is being resolved (``after_begin`` cannot set the scope)
    must still get it at its first scoped statement, however often transaction objects (and their
    ``id()``) are recycled."""
    from app.cases.models import Case
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import User

    mine = factories.case().id
    factories.case(partner="genres")
    make_user("t_sync_loop", "Staff", ("migra",))
    with app.app_context():
        user = db.session.execute(select(User).filter_by(username="t_sync_loop")).scalar_one()
        user_id = user.id
        db.session.remove()
    for _round in range(30):
        with app.test_request_context("/"):
            session = db.session()
            with resolving_user():
                g.user = session.get(User, user_id)  # begins the transaction, scope not yet known
            assert session.execute(select(Case.id)).scalars().all() == [mine]
            if _postgres(app):
                setting = session.execute(text("SELECT current_setting('iq.partner_ids', true)")).scalar()
                assert setting and setting != "all"
                assert session.execute(text("SELECT id FROM counselling_case")).scalars().all() == [mine]
            session.commit()
            db.session.remove()
