"""Shared by the bench scripts: run the app as an ordinary database role and create bench users.

The local PostgreSQL login is a superuser, and superusers bypass row-level security; production
runs as an ordinary role, so the figures are taken that way too (as in tests/conftest.py).
"""
from sqlalchemy import event, text

APP_ROLE = "iq_app_bench"
PASSWORD = "Bench-Passw0rd!"


def run_as_ordinary_role(engine):
    """Grant the bench role what the app needs and make every new connection ``SET ROLE`` to it."""
    with engine.begin() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).scalar():
            conn.execute(text(f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"))
        conn.execute(text(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"))

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET ROLE {APP_ROLE}")
        cursor.close()
        dbapi_connection.commit()

    engine.dispose()


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
