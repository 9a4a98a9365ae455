"""Read-access log: every display of a client's personal data, written once per request.

Views and APIs call ``note_clients(ids)`` (or ``note_export``) while they answer; the ids are
collected in ``g`` and, at the end of the request, either queued for this process's batch writer
(``ACCESS_LOG_WRITES`` "batched", the default on PostgreSQL: see "Batched writes" below) or written
in the request's own transaction ("in_request", the default on SQLite) by ONE
multi-row statement ``INSERT INTO access_log ... SELECT ... FROM client ...``, which also takes each
client's partner (so that the log is scoped like the data) without another round trip; then the
request's one commit (durable by default, see ``_insert_rows``). An export
writes one row with its filter, not one row per exported client (1M rows would not be ≤ 1 ms).

Fail closed: if the rows cannot be written, the page with personal data is NOT sent; the user gets
a translated 503 ("could not be recorded, try again") and the log an error with path, user and
client ids. Reasons: the log is the controller's proof of who saw whose data (GDPR Art. 5(2),
Art. 32, and the Art. 15 report lists it); an unlogged display cannot be reconstructed afterwards,
and a person who can make the log fail (lock or fill its table) must not get unlogged reads. The
cost is availability: while the log cannot be written, pages with personal data are unavailable,
everything else (lists without names, dashboards, summaries) keeps working. Batched, the page of
the request whose rows fail has been sent already (they stay queued and are retried); every later
page with personal data is withheld until the log is written again.

``LogsClientReads`` is the ModelView mixin that notes the clients of list, show and edit pages.
"""
import atexit
import logging
import os
import threading
import time
from urllib.parse import unquote_plus

from flask import g, has_request_context, jsonify, make_response, request
from sqlalchemy import bindparam, insert, literal, select, text

from app.core.models import utcnow

log = logging.getLogger(__name__)

REDACTED = "[erased]"
# The one change allowed: an erasure (Art. 17) blanks a value in ``detail`` (an export's filter may
# hold a client's name); every other column stays, and the new detail carries the marker.
_UNCHANGED = ("id", "at", "user_id", "actor", "client_id", "partner_id", "path")
SQLITE_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log WHEN NOT ("
    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _UNCHANGED)
    + f" AND instr(coalesce(NEW.detail, ''), '{REDACTED}') > 0) "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
)


def note_clients(client_ids, path=None):
    """Record that the current request shows these clients' personal data."""
    if not has_request_context():
        return
    pending = g.setdefault("_iq_access_clients", {})
    where = path or request.path
    for cid in client_ids:
        if cid is not None:
            pending.setdefault(int(cid), where)


def note_export(description):
    """Record one export containing names (one row per partner in scope, whatever its size)."""
    if not has_request_context():
        return
    from app.security.scoping import current_scope

    partner_ids = current_scope().partner_ids
    g.setdefault("_iq_access_exports", []).append((description[:500], partner_ids))


def _actor():
    from app.security.view_as import access_log_actor

    viewing = access_log_actor()  # "view as": the real person who saw the data, naming the target
    if viewing is not None:
        return viewing
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, user.username[:100]
    return None, "anonymous"


def write_pending(response):
    """after_request: one INSERT for the request's client ids, one row per export."""
    clients = g.pop("_iq_access_clients", None)
    exports = g.pop("_iq_access_exports", None)
    if not clients and not exports:
        return response
    from app.extensions import db

    if response.status_code >= 400:
        return response  # nothing was shown
    from flask import current_app

    from app.security.view_as import log_phase

    engine = db.engine
    if batched(current_app, engine):
        writer = _writer_for(current_app, engine)
        if not writer.accepting():
            log.error("access log not being written (%d rows queued), page withheld (503): path=%s user=%s "
                      "clients=%s", len(writer.rows), request.path, _actor()[1], sorted(clients or ()))
            return _withheld(response)
        writer.add(_queued_rows(clients, exports))  # its own connection: "view as" read-only does not apply
        return response
    try:
        with log_phase():  # "view as": the log rows in a writable transaction of their own
            _insert_rows(db, clients, exports)
    except Exception:
        db.session.rollback()
        log.error("access log could not be written, page withheld (503): path=%s user=%s clients=%s",
                  request.path, _actor()[1], sorted(clients or ()), exc_info=True)
        return _withheld(response)
    return response


def _queued_rows(clients, exports):
    """The rows ``_insert_rows`` would write, as tuples for the batch writer (partner from the client)."""
    user_id, actor = _actor()
    now = utcnow()
    rows = [(now, user_id, actor, cid, None, where[:255], None) for cid, where in (clients or {}).items()]
    for description, partner_ids in exports or ():
        for partner in sorted(partner_ids) if partner_ids else [None]:
            rows.append((now, user_id, actor, None, partner, request.path[:255], description))
    return rows


# psycopg's own parameter style: sent with ``exec_driver_sql`` (no compilation step per request).
_CLIENT_ROWS_PG = (
    "INSERT INTO access_log (at, user_id, actor, client_id, partner_id, path) "
    "SELECT %(at)s::timestamp, %(user_id)s::integer, %(actor)s::varchar, c.id, c.partner_id, n.path "
    "FROM unnest(%(ids)s::integer[], %(paths)s::varchar[]) AS n(id, path) JOIN client c ON c.id = n.id")
# ``async``: the same INSERT also turns synchronous_commit off for this transaction (like SET LOCAL),
# in the same round trip. (If no client row joins, it may not run: the commit stays durable.)
_CLIENT_ROWS_PG_ASYNC = (
    "WITH commit_mode AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS mode) "
    + _CLIENT_ROWS_PG.replace("FROM unnest(", "FROM commit_mode, unnest("))


def _insert_rows(db, clients, exports):
    """The request's log rows, in the request's own transaction, then its one commit.

    PostgreSQL: ONE statement of constant text whatever the number of clients and paths (psycopg
    prepares it after a few requests), taking each client's partner from the client row itself
    (through the scope and row-level security: a client the reader cannot see gets no row). The
    commit is durable unless ``ACCESS_LOG_COMMIT = "async"`` (synchronous_commit off for this
    transaction only). Measured with bench/access_log.py: the durable commit's WAL flush is nearly
    all of the cost; the statement, its indexes and the RLS check are a fraction of a millisecond.
    """
    from flask import current_app

    from app.clients.models import Client
    from app.security.models import AccessLogEntry

    user_id, actor = _actor()
    now = utcnow()
    table = AccessLogEntry.__table__
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        from app.security.scoping import sync_database_scope

        connection = db.session.connection()  # the request's transaction; Core, no ORM events
        sync_database_scope(db.session())  # the scope for row-level security (already set: no statement)
        asynchronous = current_app.config.get("ACCESS_LOG_COMMIT", "durable") == "async"
        if asynchronous and not clients:
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    if clients and postgres:
        ids = list(clients)
        connection.exec_driver_sql(_CLIENT_ROWS_PG_ASYNC if asynchronous else _CLIENT_ROWS_PG, {"at": now, "user_id": user_id, "actor": actor, "ids": ids,
                                                     "paths": [clients[cid][:255] for cid in ids]})
    elif clients:
        by_path = {}
        for cid, where in clients.items():
            by_path.setdefault(where[:255], []).append(cid)
        for where, ids in by_path.items():
            source = select(
                literal(now).label("at"), literal(user_id).label("user_id"),
                literal(actor).label("actor"), Client.id, Client.partner_id, literal(where).label("path"),
            ).where(Client.id.in_(bindparam("ids", expanding=True)))
            db.session.execute(
                insert(table).from_select(
                    ["at", "user_id", "actor", "client_id", "partner_id", "path"], source),
                {"ids": ids},
            )
    for description, partner_ids in exports or ():
        # One row per partner whose names it may contain (network-wide: one row, no partner).
        for partner in sorted(partner_ids) if partner_ids else [None]:
            db.session.execute(insert(table).values(
                at=now, user_id=user_id, actor=actor, client_id=None, partner_id=partner,
                path=request.path[:255], detail=description))
    db.session.commit()


_KEPT_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                 "X-Request-ID")


def _withheld(original):
    """The 503 that replaces a page whose reading could not be logged (its body is never sent)."""
    from flask_babel import gettext as _

    message = _("The access to personal data could not be recorded, so the page is not shown. Please "
                "try again in a moment; the error has been logged.")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = make_response(jsonify(message=message), 503)
    else:
        try:
            from app.core.errorhandlers import _answer

            response = make_response(*_answer(503, message))
        except Exception:  # the database may be what failed: the page template needs it for the menu
            log.exception("error page could not be rendered")
            response = make_response(message, 503)
            response.mimetype = "text/plain"
    for header in _KEPT_HEADERS:
        if header in original.headers:
            response.headers[header] = original.headers[header]
    response.headers["Cache-Control"] = "no-store"
    response.headers["Retry-After"] = "30"
    original.close()
    return response


def _matches(value, terms):
    lowered = unquote_plus(value, errors="replace").strip().lower()
    return bool(lowered) and any(term in lowered or (len(lowered) >= 3 and lowered in term) for term in terms)


def redacted_detail(detail, terms):
    """``detail`` with every query value that names one of ``terms`` replaced by the marker; the
    other pieces stay as they were written. PostgreSQL has the same rule in ``iq_redacted_detail``
    (migration d2e3f4a5b6c7) for the network-wide rows."""
    path, mark, query = detail.partition("?")
    if not mark:
        return detail
    pieces, changed = [], False
    for piece in query.split("&"):
        name, _eq, value = piece.partition("=")
        if piece and _matches(value, terms):
            piece, changed = f"{name}={REDACTED}", True
        pieces.append(piece)
    return f"{path}?{'&'.join(pieces)}"[:500] if changed else detail


def client_terms(values):
    return {str(v).strip().lower() for v in values if v is not None and len(str(v).strip()) >= 2}


def _network_rows_hidden(session):
    """PostgreSQL with a partner-restricted scope: row-level security hides the rows without partner."""
    from app.security.scoping import current_scope

    return session.get_bind().dialect.name == "postgresql" and not current_scope(session).unrestricted


def redact(session, client, values):
    """Blank the values naming ``client`` (e.g. a name typed into an export's list filter) in the
    ``detail`` of the log rows of its partner and of network-wide exports (no partner). Call it
    BEFORE the client's fields are emptied (PostgreSQL reads them itself for the network-wide rows).
    Returns the rows changed."""
    from app.security.models import AccessLogEntry

    flush()  # an export with the client's name may still be queued (batched mode)
    terms = client_terms(values)
    table = AccessLogEntry.__table__
    connection = session.connection()
    changed = 0
    where = table.c.partner_id == client.partner_id
    if _network_rows_hidden(session):
        # Hidden from a Staff member by row-level security: a SECURITY DEFINER function checks that
        # the caller's partners cover the client and an erasure of it is requested, reads the
        # client's values itself and blanks only those.
        changed += connection.execute(text("SELECT iq_redact_network_exports(:client)"),
                                      {"client": client.id}).scalar()
    else:
        where = where | table.c.partner_id.is_(None)
    if not terms:
        return changed
    rows = connection.execute(select(table.c.id, table.c.detail).where(table.c.detail.is_not(None), where)).all()
    for row_id, detail in rows:
        new = redacted_detail(detail, terms)
        if new != detail:
            connection.execute(table.update().where(table.c.id == row_id).values(detail=new))
            changed += 1
    return changed


def network_exports(session, client):
    """The network-wide exports with names (Admin's, no partner) logged since ``client`` was recorded:
    (id, at, actor, path, detail) rows. On PostgreSQL through ``iq_network_exports`` (row-level
    security hides them from Staff; the function checks that the caller covers the client's partner)."""
    from app.security.models import AccessLogEntry

    if _network_rows_hidden(session):
        return session.connection().execute(
            text("SELECT log_id AS id, log_at AS at, log_actor AS actor, log_path AS path, "
                 "log_detail AS detail FROM iq_network_exports(:client)"), {"client": client.id}).all()
    table = AccessLogEntry.__table__
    return session.connection().execute(
        select(table.c.id, table.c.at, table.c.actor, table.c.path, table.c.detail).where(
            table.c.partner_id.is_(None), table.c.client_id.is_(None), table.c.at >= client.created_at)
        .order_by(table.c.at, table.c.id)).all()


class LogsClientReads:
    """ModelView mixin: list, show and edit pages note the clients whose personal data they show.

    ``client_column`` says how a listed row names its client: None (the rows are clients), or the
    list column holding the row's client or case; the ids come from the rows already loaded, so a
    list page costs no extra statement; a show page takes it from its loaded record the same way.
    Edit pages map their record with ``client_ids_for(pks)``, read through the partner scope: another partner's record notes nothing
    (and answers 404 anyway). Related lists inside a show page are covered as well.
    """

    client_column = None

    def client_ids_for(self, pks):
        return pks

    def _note(self, pks):
        pks = [int(pk) for pk in pks if str(pk).isdigit()]
        if pks:
            note_clients(self.client_ids_for(pks))

    def _get_list_widget(self, *args, **kwargs):
        widgets = super()._get_list_widget(*args, **kwargs)
        listed = widgets["list"].template_args
        if self.client_column is None:
            note_clients(listed.get("pks") or [])
        else:
            rows = listed["value_columns"] = list(listed.get("value_columns") or [])  # may be a generator
            related = [row.get(self.client_column) for row in rows]
            note_clients([getattr(obj, "client_id", None) or getattr(obj, "id", None)
                          for obj in related if obj is not None])
        return widgets

    def _client_ids_of(self, item):
        """The client a loaded record names, by ``client_column`` as for a list's rows."""
        if self.client_column is None:
            return [item.id]
        related = getattr(item, self.client_column, None)
        client_id = getattr(related, "client_id", None) or getattr(related, "id", None)
        return [client_id] if client_id is not None else []

    def _get_show_widget(self, pk, item, *args, **kwargs):
        """The show page notes its record's client from the record FAB has just loaded through the
        scope (FAB 5.3.0's ``_show`` calls this only for a record it found), not by another read."""
        note_clients(self._client_ids_of(item))
        return super()._get_show_widget(pk, item, *args, **kwargs)

    def _edit(self, pk):
        record = self._record(pk) if hasattr(self, "_record") else None  # IqModelView: read once
        if record is not None:
            note_clients(self._client_ids_of(record))
        elif not hasattr(self, "_record"):
            self._note([pk])
        return super()._edit(pk)


# --- Batched writes (the default on PostgreSQL) -------------------------------------------------
#
# Measured with bench/access_log.py (2 cores, PostgreSQL 15, 2026-12-03): writing the rows in the
# request's own transaction costs 0.6-1.6 ms per request (the INSERT's round trip, the commit instead
# of a rollback, the WAL flush when durable), over the 1 ms. Batched, a request only appends
# its rows to this process's queue (microseconds); one thread per process writes the queue every
# ``ACCESS_LOG_FLUSH_SECONDS`` (0.1 s) in ONE multi-row INSERT and a durable commit on a connection of
# its own, so the fsync is shared by every request of that interval and waits outside the request.
#
# What batching gives up, and how it stays fail-closed:
# - a worker killed hard (SIGKILL, out of memory) loses at most the rows of the last interval; a
#   graceful stop (gunicorn's worker_exit, SIGTERM, interpreter exit) writes the queue first;
# - while a write fails (table locked, disk full) the rows stay queued and are retried, and every
#   further page with personal data is withheld (the same 503 as in-request mode) until a write
#   succeeds again; a queue over ``_MAX_QUEUED`` rows withholds pages too, so memory stays bounded
#   and nothing is dropped;
# - the partner of each row is taken from the client row when the batch is written (LEFT JOIN under
#   the network-wide scope: only ids the request read through its own scope are queued).
# Readers of the log in this process (Art. 15 report, access-log API) call ``flush()`` first; rows of
# another worker appear within one interval.

_MAX_QUEUED = 100_000
_writers = {}
_writers_lock = threading.Lock()


class _BatchWriter:
    """The queue and the writing thread of one engine in one process."""

    def __init__(self, engine, interval):
        self.engine = engine
        self.interval = interval
        self.rows = []  # (at, user_id, actor, client_id, partner_id, path, detail)
        self.lock = threading.Lock()  # guards rows
        self.write_lock = threading.Lock()  # one write at a time (thread, flush(), exit)
        self.wake = threading.Event()
        self.failing = False
        self.pid = os.getpid()
        self.thread = None

    def accepting(self):
        return not self.failing and len(self.rows) < _MAX_QUEUED

    def add(self, rows):
        with self.lock:
            self.rows.extend(rows)
        if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
            self._start()

    def _start(self):
        with _writers_lock:
            if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._run, name="iq-access-log", daemon=True)
            self.thread.start()

    def _run(self):
        while True:
            self.wake.wait(self.interval)
            self.wake.clear()
            try:
                self.write()
            except Exception:  # logged in write(); retried at the next interval
                time.sleep(min(5.0, self.interval * 10))

    def write(self):
        """Write every queued row in one transaction; on failure keep them queued (and raise)."""
        with self.write_lock:
            with self.lock:
                batch, self.rows = self.rows, []
            if not batch:
                return 0
            try:
                _write_batch(self.engine, batch)
            except Exception:
                with self.lock:
                    self.rows[:0] = batch  # keep the order; retried next time
                if not self.failing:
                    log.error("access log: %d queued rows could not be written; pages with personal data "
                              "are withheld until a write succeeds", len(batch), exc_info=True)
                self.failing = True
                raise
            if self.failing:
                log.warning("access log: writing again (%d rows written)", len(batch))
            self.failing = False
            return len(batch)


_BATCH_CLIENT_ROWS_PG = (
    "INSERT INTO access_log (at, user_id, actor, client_id, partner_id, path, detail) "
    "SELECT n.at, n.user_id, n.actor, n.client_id, coalesce(n.partner_id, c.partner_id), n.path, n.detail "
    "FROM unnest(%(at)s::timestamp[], %(user_id)s::integer[], %(actor)s::varchar[], %(client_id)s::integer[], "
    "%(partner_id)s::integer[], %(path)s::varchar[], %(detail)s::varchar[]) "
    "AS n(at, user_id, actor, client_id, partner_id, path, detail) LEFT JOIN client c ON c.id = n.client_id")


def _write_batch(engine, batch):
    """One transaction of the log's own, network-wide scope (it only writes what requests queued)."""
    from app.clients.models import Client
    from app.security.models import AccessLogEntry

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            from app.security.scoping import _SET_SCOPE

            connection.exec_driver_sql(_SET_SCOPE, {"personal": "all", "aggregate": "all"})
            columns = list(zip(*batch))
            connection.exec_driver_sql(_BATCH_CLIENT_ROWS_PG, dict(zip(
                ("at", "user_id", "actor", "client_id", "partner_id", "path", "detail"),
                (list(column) for column in columns))))
            return
        ids = {row[3] for row in batch if row[3] is not None and row[4] is None}
        partners = dict(connection.execute(select(Client.id, Client.partner_id).where(
            Client.id.in_(ids))).all()) if ids else {}
        connection.execute(insert(AccessLogEntry.__table__), [
            {"at": at, "user_id": user_id, "actor": actor, "client_id": client_id,
             "partner_id": partner_id if partner_id is not None else partners.get(client_id),
             "path": path, "detail": detail}
            for at, user_id, actor, client_id, partner_id, path, detail in batch])


def _writer_for(app, engine):
    key = id(engine)
    writer = _writers.get(key)
    if writer is None or writer.engine is not engine:
        with _writers_lock:
            writer = _writers.get(key)
            if writer is None or writer.engine is not engine:
                writer = _writers[key] = _BatchWriter(
                    engine, float(app.config.get("ACCESS_LOG_FLUSH_SECONDS", 0.1)))
    return writer


def batched(app, engine):
    """``ACCESS_LOG_WRITES``: "batched", "in_request", or "auto" (batched on PostgreSQL)."""
    mode = app.config.get("ACCESS_LOG_WRITES", "auto")
    if mode == "auto":
        return engine.dialect.name == "postgresql"
    return mode == "batched"


def flush():
    """Write this process's queued rows now (readers of the log call it; so does a worker's exit).
    Returns the rows written; raises if the write fails (the rows stay queued)."""
    written = 0
    for writer in list(_writers.values()):
        written += writer.write()
    return written


def _flush_at_exit():
    try:
        flush()
    except Exception:
        log.exception("access log: queued rows could not be written at exit")


atexit.register(_flush_at_exit)


def init_app(app):
    app.after_request(write_pending)
