"""The app as ``bench/run`` serves it with gunicorn: production code plus two bench-only additions.

    IQ_BENCH_ROLE=iq_app_bench IQ_BENCH_SQL_COUNT=1 DATABASE_URL=... SECRET_KEY=... \
        gunicorn -c gunicorn.conf.py 'bench.server:create_bench_app()'

- every new database connection switches to the ordinary role ``IQ_BENCH_ROLE`` (``SET ROLE``), so
  that row-level security is on as in production (the local login is a superuser, which bypasses
  it); the role's rights are granted once by ``bench/run`` before the workers start;
- the stock Flask-AppBuilder ``ModelView`` of Case at ``/stockcaseview`` (as ``bench/list_pages.py``
  mounts it), to be measured next to ours;
- with ``IQ_BENCH_SQL_COUNT=1``: the header ``X-SQL-Statements``, the number of SQL statements the
  request executed (counted at the cursor on the request's thread: the read-access log's INSERT in
  ``in_request`` mode is included, the batched writer's statements on its own thread are not; a
  streamed body's statements are not, they run after the headers are sent). Sync workers serve one
  request at a time, so one counter per process suffices.

Nothing here is imported by the application itself.
"""
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STOCK = "/stockcaseview"
SQL_HEADER = "X-SQL-Statements"


def stock_case_view():
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.cases.models import Case
    from app.security.roles import CASES, READ_WRITE

    class StockCaseView(ModelView):
        """FAB as shipped: only the permission names are shared so that the same users may read it."""
        datamodel = SQLAInterface(Case)
        route_base = STOCK
        class_permission_name = CASES
        method_permission_name = READ_WRITE
        list_columns = ["id", "client", "opened_on", "closed_on", "status", "outcome", "funding_period", "partner"]
        search_columns = ["qualification_title", "opened_on", "status", "partner"]

    return StockCaseView


def _set_role_on_connect(engine, role):
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET ROLE "{role}"')
        cursor.close()
        dbapi_connection.commit()

    engine.dispose()


def _count_statements(app, engine):
    from flask import request
    from sqlalchemy import event

    counter = {"n": 0, "thread": None}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*args):
        # The request's own statements only: the batched read-access log writes from a thread of its own.
        if threading.get_ident() == counter["thread"]:
            counter["n"] += 1

    @app.before_request
    def _reset():
        counter["n"], counter["thread"] = 0, threading.get_ident()

    def _header(response):
        if not request.path.startswith("/static"):
            response.headers[SQL_HEADER] = str(counter["n"])
        return response

    # after_request functions run last-registered first: at index 0 this one runs after all the
    # others (the read-access log's INSERT and COMMIT are counted).
    app.after_request_funcs.setdefault(None, []).insert(0, _header)


def create_bench_app():
    from app import create_app
    from app.extensions import db
    from config import Config

    app = create_app(Config())
    with app.app_context():
        app.appbuilder.add_view_no_menu(stock_case_view())
        role = os.environ.get("IQ_BENCH_ROLE")
        if role:
            _set_role_on_connect(db.engine, role)
        if os.environ.get("IQ_BENCH_SQL_COUNT") == "1":
            _count_statements(app, db.engine)
    return app
