"""Shared by the bench scripts: run the app as an ordinary database role and create bench users.

The local PostgreSQL login is a superuser, and superusers bypass row-level security; production
runs as an ordinary role, so the figures are taken that way too (as in tests/conftest.py).
"""
import re

APP_ROLE = "iq_app_bench"
# A database the bench scripts may wipe: its name contains "bench" as a word (perf_bench, iq_bench,
# bench_1m, SOME_BENCH_DB). Anything else (iq, test, test_<helper>, a production name) is refused.
_BENCH_NAME = re.compile(r"(^|[_-])bench([_-]|\d*$)", re.IGNORECASE)


class NotABenchDatabase(SystemExit):
    pass


def is_bench_database(url):
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and bool(_BENCH_NAME.search(parsed.database or ""))


def reset_schema(url):
    """Drop and recreate the ``public`` schema of a bench database; refuse any other database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not is_bench_database(url):
        raise NotABenchDatabase(
            f"refusing to drop the schema of {make_url(url).render_as_string(hide_password=True)!s}: "
            "bench scripts only wipe PostgreSQL databases whose name contains 'bench' (e.g. perf_bench)")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
PASSWORD = "Bench-Passw0rd!"


def run_as_ordinary_role(engine):
    """Every new connection of ``engine`` acts as the bench role (rights granted first)."""
    from app.security.database_roles import run_as_role

    run_as_role(engine, APP_ROLE)


def ensure_user(app, username, role, partners=()):
    """The bench user (created once per database), returned from the app's session."""
    from app.extensions import db
    from app.security.roles import ensure_roles
    from app.security.scoping import system_scope
    from app.security.users import create_user

    sm = app.appbuilder.sm
    with system_scope():
        ensure_roles(sm)
        user = sm.find_user(username=username)
        if user is None:
            user = create_user(db.session, sm, username, PASSWORD, role, list(partners))
    return user
