"""Read-access log: a row for each read path of personal data, append-only, scoped, its API."""
import prison
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.security.models import AccessLogEntry
from tests.api_support import ADMIN, STAFF, rows


def _logged(ctx):
    return sorted((r.client_id, r.path, r.actor) for r in rows(ctx, AccessLogEntry))


@pytest.mark.parametrize("page", ["show", "edit"])
def test_client_page_is_logged(page, login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    record = factories.client(partner="migra")
    path = f"/clientview/{page}/{record.id}"
    assert web.get(path).status_code == 200
    assert _logged(ctx) == [(record.id, path, "t_staff")]
    [row] = rows(ctx, AccessLogEntry)
    assert row.partner_id == record.partner_id and row.user_id is not None


def test_another_partners_client_is_404_and_not_logged(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    other = factories.client(partner="genres")
    assert web.get(f"/clientview/show/{other.id}").status_code == 404
    assert _logged(ctx) == []


def test_api_client_get_and_list_are_logged(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    first, second = factories.client(partner="migra"), factories.client(partner="migra")
    factories.client(partner="genres")  # not visible, not logged
    assert client.get(f"/api/v1/client/{first.id}", headers=headers).status_code == 200
    assert _logged(ctx) == [(first.id, f"/api/v1/client/{first.id}", "t_staff")]
    assert client.get("/api/v1/client/", headers=headers).status_code == 200
    listed = [(cid, path) for cid, path, _ in _logged(ctx) if path == "/api/v1/client/"]
    assert sorted(listed) == sorted([(first.id, "/api/v1/client/"), (second.id, "/api/v1/client/")])


def test_api_case_get_and_list_log_the_client(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    case = factories.case(partner="migra")
    assert client.get(f"/api/v1/case/{case.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/case/", headers=headers).status_code == 200
    assert _logged(ctx) == sorted([(case.client_id, f"/api/v1/case/{case.id}", "t_staff"),
                                   (case.client_id, "/api/v1/case/", "t_staff")])


def test_confirmation_letter_is_logged(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    case = factories.case(partner="migra")
    path = f"/cases/{case.id}/confirmation.pdf"
    assert web.get(path).status_code == 200
    assert _logged(ctx) == [(case.client_id, path, "t_staff")]


def test_export_with_names_writes_one_row_with_its_filter(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    for _ in range(3):
        factories.case(partner="migra")
    response = web.get("/exports/cases.csv?period=all")
    assert response.status_code == 200 and response.get_data()
    [row] = rows(ctx, AccessLogEntry)
    assert row.client_id is None and row.path == "/exports/cases.csv"
    assert "period=all" in row.detail and row.partner_id == factories.partner("migra").id


def test_export_without_names_is_not_logged(login_as, factories, ctx):
    web = login_as("t_mgmt", "Management", ("migra",))
    factories.case(partner="migra")
    assert web.get("/exports/cases.csv").status_code == 200
    assert _logged(ctx) == []


def test_log_is_append_only(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    record = factories.client(partner="migra")
    web.get(f"/clientview/show/{record.id}")
    ctx.rollback()
    for statement in ("UPDATE access_log SET actor = 'someone else'", "DELETE FROM access_log",
                      "UPDATE access_log SET detail = 'rewritten'",  # only an erasure's blanking passes
                      "UPDATE access_log SET detail = '[erased]', path = '/elsewhere'"):
        with pytest.raises(DBAPIError):
            ctx.execute(text(statement))
        ctx.rollback()
    assert _logged(ctx) == [(record.id, f"/clientview/show/{record.id}", "t_staff")]


def test_access_log_api_scope(client, api_token, login_as, factories, ctx):
    own, other = factories.client(partner="migra"), factories.client(partner="genres")
    reader = api_token(*ADMIN)
    client.get(f"/api/v1/client/{own.id}", headers=reader)
    client.get(f"/api/v1/client/{other.id}", headers=reader)
    q = prison.dumps({"filters": [{"col": "client_id", "opr": "eq", "value": own.id}]})
    body = client.get(f"/api/v1/access_log/?q={q}", headers=reader).get_json()
    assert [r["client_id"] for r in body["result"]] == [own.id]
    partner_admin = api_token("t_padmin", "PartnerAdmin", ("migra",))
    seen = client.get("/api/v1/access_log/", headers=partner_admin).get_json()["result"]
    assert {r["client_id"] for r in seen} == {own.id}
    [foreign] = [r for r in rows(ctx, AccessLogEntry) if r.client_id == other.id]
    assert client.get(f"/api/v1/access_log/{foreign.id}", headers=partner_admin).status_code == 404
    staff = api_token(*STAFF)
    assert client.get("/api/v1/access_log/", headers=staff).status_code == 403
    assert client.delete(f"/api/v1/access_log/{foreign.id}", headers=reader).status_code == 405


def test_client_list_logs_every_client_on_the_page(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    shown = [factories.client(partner="migra") for _ in range(3)]
    factories.client(partner="genres")  # not visible, not logged
    assert web.get("/clientview/list/").status_code == 200
    assert _logged(ctx) == sorted((c.id, "/clientview/list/", "t_staff") for c in shown)
    ctx.rollback()
    web.get("/clientview/list/?psize_ClientView=1&page_ClientView=0")
    assert len([r for r in _logged(ctx) if r[1] == "/clientview/list/"]) == 4  # one more: the page's client


@pytest.mark.parametrize("page", ["show", "edit"])
def test_case_page_logs_its_client(page, login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    case = factories.case(partner="migra")
    path = f"/caseview/{page}/{case.id}"
    assert web.get(path).status_code == 200
    assert (case.client_id, path, "t_staff") in _logged(ctx)
    assert {cid for cid, _p, _a in _logged(ctx)} == {case.client_id}


def test_case_and_contact_lists_log_the_clients_they_name(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    case = factories.case(partner="migra")
    contact = factories.contact(case)
    other = factories.case(partner="genres")
    factories.contact(other)
    number = case.client.client_number
    for path in ("/caseview/list/", "/contactview/list/", f"/contactview/show/{contact.id}"):
        page = web.get(path)
        assert page.status_code == 200 and number in page.get_data(as_text=True)  # the rows still render
    assert _logged(ctx) == sorted([(case.client_id, "/caseview/list/", "t_staff"),
                                   (case.client_id, "/contactview/list/", "t_staff"),
                                   (case.client_id, f"/contactview/show/{contact.id}", "t_staff")])


def test_another_partners_case_page_is_404_and_not_logged(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    other = factories.case(partner="genres")
    assert web.get(f"/caseview/show/{other.id}").status_code == 404
    assert _logged(ctx) == []


@pytest.fixture
def broken_log(monkeypatch):
    """The log's write fails (e.g. its table is locked or the disk is full)."""
    from sqlalchemy.exc import OperationalError

    from app.security import access_log

    def fail(db, clients, exports):
        raise OperationalError("INSERT INTO access_log", {}, Exception("disk full"))

    monkeypatch.setattr(access_log, "_insert_rows", fail)


def test_page_is_withheld_when_its_reading_cannot_be_logged(broken_log, login_as, factories, ctx, caplog):
    web = login_as("t_staff", "Staff", ("migra",))
    record = factories.client(partner="migra", last_name="Unloggable")
    response = web.get(f"/clientview/show/{record.id}")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "Unloggable" not in body and "could not be recorded" in body
    assert response.headers["Cache-Control"] == "no-store"
    assert any("page withheld" in r.getMessage() and str(record.id) in r.getMessage() for r in caplog.records)
    assert _logged(ctx) == []
    assert web.get("/partnerview/list/").status_code == 200  # pages without personal data still work


def test_api_answer_is_withheld_when_its_reading_cannot_be_logged(broken_log, client, api_token, factories):
    headers = api_token(*STAFF)
    record = factories.client(partner="migra", last_name="Unloggable")
    response = client.get(f"/api/v1/client/{record.id}", headers=headers)
    assert response.status_code == 503
    assert "Unloggable" not in response.get_data(as_text=True)
    assert "could not be recorded" in response.get_json()["message"]


@pytest.mark.parametrize("mode", ["durable", "async"])
def test_commit_mode_and_one_statement_per_request(mode, app, login_as, factories, ctx, monkeypatch):
    """PostgreSQL: the log rows are ONE statement in the request's transaction; ``durable`` (the
    default) leaves synchronous_commit alone, ``async`` turns it off for that transaction only, in
    the same statement (and the next transaction of the connection is durable again)."""
    from sqlalchemy import event

    from app.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    monkeypatch.setitem(app.config, "ACCESS_LOG_COMMIT", mode)
    web = login_as("t_staff", "Staff", ("migra",))
    shown = [factories.client(partner="migra") for _ in range(3)]
    seen = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert web.get("/clientview/list/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [insert] = [s for s in seen if "INSERT INTO access_log" in s]
    assert [s for s in seen if "synchronous_commit" in s] == ([] if mode == "durable" else [insert])
    assert _logged(ctx) == sorted((c.id, "/clientview/list/", "t_staff") for c in shown)
    with engine.connect() as conn:  # a pooled connection after the request: the server default
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
