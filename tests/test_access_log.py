"""Read-access log: a row for each read path of personal data, append-only, scoped, its API."""
import prison
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.security.models import AccessLogEntry
from tests.api_support import ADMIN, STAFF, rows


@pytest.fixture(autouse=True)
def writes(request, app, monkeypatch):
    """How the log is written (app/security/access_log.py): in the request's transaction, or queued
    for the process's batch writer (the default on PostgreSQL); ``BOTH`` runs a test in each."""
    from app.security import access_log

    mode = getattr(request, "param", "in_request")
    monkeypatch.setitem(app.config, "ACCESS_LOG_WRITES", mode)
    yield mode
    access_log.flush()  # nothing queued leaks into the next test


BOTH = pytest.mark.parametrize("writes", ["in_request", "batched"], indirect=True)
BATCHED = pytest.mark.parametrize("writes", ["batched"], indirect=True)


def _rows(ctx):
    """The log as the database has it once this process's queued rows are written."""
    from app.security.access_log import flush

    flush()
    return rows(ctx, AccessLogEntry)


def _logged(ctx):
    return sorted((r.client_id, r.path, r.actor) for r in _rows(ctx))


@BOTH
@pytest.mark.parametrize("page", ["show", "edit"])
def test_client_page_is_logged(page, login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    record = factories.client(partner="migra")
    path = f"/clientview/{page}/{record.id}"
    assert web.get(path).status_code == 200
    assert _logged(ctx) == [(record.id, path, "t_staff")]
    [row] = _rows(ctx)
    assert row.partner_id == record.partner_id and row.user_id is not None


@BOTH
def test_another_partners_client_is_404_and_not_logged(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    other = factories.client(partner="genres")
    assert web.get(f"/clientview/show/{other.id}").status_code == 404
    assert _logged(ctx) == []


@BOTH
def test_api_client_get_and_list_are_logged(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    first, second = factories.client(partner="migra"), factories.client(partner="migra")
    factories.client(partner="genres")  # not visible, not logged
    assert client.get(f"/api/v1/client/{first.id}", headers=headers).status_code == 200
    assert _logged(ctx) == [(first.id, f"/api/v1/client/{first.id}", "t_staff")]
    assert client.get("/api/v1/client/", headers=headers).status_code == 200
    listed = [(cid, path) for cid, path, _ in _logged(ctx) if path == "/api/v1/client/"]
    assert sorted(listed) == sorted([(first.id, "/api/v1/client/"), (second.id, "/api/v1/client/")])


@BOTH
def test_api_case_get_and_list_log_the_client(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    case = factories.case(partner="migra")
    assert client.get(f"/api/v1/case/{case.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/case/", headers=headers).status_code == 200
    assert _logged(ctx) == sorted([(case.client_id, f"/api/v1/case/{case.id}", "t_staff"),
                                   (case.client_id, "/api/v1/case/", "t_staff")])


@BOTH
def test_confirmation_letter_is_logged(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    case = factories.case(partner="migra")
    path = f"/cases/{case.id}/confirmation.pdf"
    assert web.get(path).status_code == 200
    assert _logged(ctx) == [(case.client_id, path, "t_staff")]


@BOTH
def test_export_with_names_writes_one_row_with_its_filter(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    for _ in range(3):
        factories.case(partner="migra")
    response = web.get("/exports/cases.csv?period=all")
    assert response.status_code == 200 and response.get_data()
    [row] = _rows(ctx)
    assert row.client_id is None and row.path == "/exports/cases.csv"
    assert "period=all" in row.detail and row.partner_id == factories.partner("migra").id


@BOTH
def test_export_without_names_is_not_logged(login_as, factories, ctx):
    web = login_as("t_mgmt", "Management", ("migra",))
    factories.case(partner="migra")
    assert web.get("/exports/cases.csv").status_code == 200
    assert _logged(ctx) == []


@BOTH
def test_log_is_append_only(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    record = factories.client(partner="migra")
    web.get(f"/clientview/show/{record.id}")
    assert len(_rows(ctx)) == 1  # written (batched: flushed), so there is a row to change
    for statement in ("UPDATE access_log SET actor = 'someone else'", "DELETE FROM access_log",
                      "UPDATE access_log SET detail = 'rewritten'",  # only an erasure's blanking passes
                      "UPDATE access_log SET detail = '[erased]', path = '/elsewhere'"):
        with pytest.raises(DBAPIError):
            ctx.execute(text(statement))
        ctx.rollback()
    assert _logged(ctx) == [(record.id, f"/clientview/show/{record.id}", "t_staff")]


@BOTH
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
    [foreign] = [r for r in _rows(ctx) if r.client_id == other.id]
    assert client.get(f"/api/v1/access_log/{foreign.id}", headers=partner_admin).status_code == 404
    staff = api_token(*STAFF)
    assert client.get("/api/v1/access_log/", headers=staff).status_code == 403
    assert client.delete(f"/api/v1/access_log/{foreign.id}", headers=reader).status_code == 405


@BOTH
def test_client_list_logs_every_client_on_the_page(login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    shown = [factories.client(partner="migra") for _ in range(3)]
    factories.client(partner="genres")  # not visible, not logged
    assert web.get("/clientview/list/").status_code == 200
    assert _logged(ctx) == sorted((c.id, "/clientview/list/", "t_staff") for c in shown)
    ctx.rollback()
    web.get("/clientview/list/?psize_ClientView=1&page_ClientView=0")
    assert len([r for r in _logged(ctx) if r[1] == "/clientview/list/"]) == 4  # one more: the page's client


@BOTH
@pytest.mark.parametrize("page", ["show", "edit"])
def test_case_page_logs_its_client(page, login_as, factories, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    case = factories.case(partner="migra")
    path = f"/caseview/{page}/{case.id}"
    assert web.get(path).status_code == 200
    assert (case.client_id, path, "t_staff") in _logged(ctx)
    assert {cid for cid, _p, _a in _logged(ctx)} == {case.client_id}


@BOTH
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


@BOTH
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

    def fail(*args):
        raise OperationalError("INSERT INTO access_log", {}, Exception("disk full"))

    monkeypatch.setattr(access_log, "_insert_rows", fail)
    monkeypatch.setattr(access_log, "_write_batch", fail)
    yield monkeypatch
    monkeypatch.undo()  # repaired: what is still queued can be written at teardown


def test_page_is_withheld_when_its_reading_cannot_be_logged(broken_log, writes, login_as, factories, ctx, caplog):
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


def test_api_answer_is_withheld_when_its_reading_cannot_be_logged(broken_log, writes, client, api_token, factories):
    headers = api_token(*STAFF)
    record = factories.client(partner="migra", last_name="Unloggable")
    response = client.get(f"/api/v1/client/{record.id}", headers=headers)
    assert response.status_code == 503
    assert "Unloggable" not in response.get_data(as_text=True)
    assert "could not be recorded" in response.get_json()["message"]


@pytest.mark.parametrize("mode", ["durable", "async"])
def test_commit_mode_and_one_statement_per_request(mode, writes, app, login_as, factories, ctx, monkeypatch):
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


@BATCHED
def test_batched_rows_are_one_statement_outside_the_request(writes, app, login_as, factories, ctx):
    """Batched: the request itself runs no log statement; the writer writes every queued row of
    several requests in ONE INSERT, taking each client's partner from the client row."""
    from sqlalchemy import event

    from app.extensions import db
    from app.security import access_log

    assert writes == "batched"
    web = login_as("t_staff", "Staff", ("migra",))
    shown = [factories.client(partner="migra") for _ in range(3)]
    access_log.flush()
    with app.app_context():
        engine = db.engine
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        writer = access_log._writer_for(app, engine)
        with writer.write_lock:  # holds the writer thread off while the requests run
            for record_ in shown:
                assert web.get(f"/clientview/show/{record_.id}").status_code == 200
            during_requests = [s for s in seen if "access_log" in s]
            queued = len(writer.rows)
        assert during_requests == [] and queued == 3
        access_log.flush()  # or the writer thread, which was waiting for the lock: one write either way
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in seen if "INSERT INTO access_log" in s]) == 1
    logged = _rows(ctx)
    assert sorted((r.client_id, r.partner_id, r.path) for r in logged) == sorted(
        (c.id, c.partner_id, f"/clientview/show/{c.id}") for c in shown)


@BATCHED
def test_batched_rows_are_written_by_the_writer_thread(writes, app, login_as, factories, ctx):
    """Nobody calls flush(): the process's writer thread writes the queue within its interval."""
    import time

    assert writes == "batched"
    web = login_as("t_staff", "Staff", ("migra",))
    record = factories.client(partner="migra")
    assert web.get(f"/clientview/show/{record.id}").status_code == 200
    deadline = time.monotonic() + 30  # a wait for the thread, not a timing assertion
    while time.monotonic() < deadline:
        if rows(ctx, AccessLogEntry):
            break
        time.sleep(0.05)
    assert [(r.client_id, r.partner_id) for r in rows(ctx, AccessLogEntry)] == [(record.id, record.partner_id)]


@BATCHED
def test_batched_writes_that_fail_withhold_the_next_pages(broken_log, writes, client, api_token, login_as,
                                                          factories, ctx, caplog):
    """Batched and fail-closed: once a write fails, every later page with personal data is withheld
    (503) until a write succeeds; the rows of the page already sent stay queued and are written then."""
    from app.security import access_log

    assert writes == "batched"
    web = login_as("t_staff", "Staff", ("migra",))
    first = factories.client(partner="migra", last_name="Sentbefore")
    later = factories.client(partner="migra", last_name="Unloggable")
    assert web.get(f"/clientview/show/{first.id}").status_code == 200  # queued, sent
    with pytest.raises(Exception, match="disk full"):
        access_log.flush()
    assert any("could not be written" in r.getMessage() for r in caplog.records)
    response = web.get(f"/clientview/show/{later.id}")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "Unloggable" not in body and "could not be recorded" in body
    api = client.get(f"/api/v1/client/{later.id}", headers=api_token("t_staff_api", "Staff", ("migra",)))
    assert api.status_code == 503 and "Unloggable" not in api.get_data(as_text=True)
    assert web.get("/partnerview/list/").status_code == 200  # pages without personal data still work
    assert rows(ctx, AccessLogEntry) == []
    broken_log.undo()  # the table can be written again
    access_log.flush()  # (or the writer thread, retrying)
    assert _logged(ctx) == [(first.id, f"/clientview/show/{first.id}", "t_staff")]
    assert web.get(f"/clientview/show/{later.id}").status_code == 200


@BATCHED
def test_batched_queue_is_written_at_exit(writes, app, login_as, factories, ctx):
    """A worker's graceful exit writes what is queued (gunicorn's worker_exit hook and atexit call
    the same function)."""
    from app.extensions import db
    from app.security import access_log

    assert writes == "batched"
    web = login_as("t_staff", "Staff", ("migra",))
    record = factories.client(partner="migra")
    with app.app_context():
        writer = access_log._writer_for(app, db.engine)
    with writer.write_lock:
        assert web.get(f"/clientview/show/{record.id}").status_code == 200
        assert len(writer.rows) == 1
    access_log._flush_at_exit()
    assert writer.rows == []
    assert _logged(ctx) == [(record.id, f"/clientview/show/{record.id}", "t_staff")]
