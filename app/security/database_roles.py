"""Running the application as an ordinary PostgreSQL role, so that row-level security applies.

Superusers (and roles with BYPASSRLS) always bypass row-level security. Production connects as an
ordinary role; the tests and the benchmarks do the same by ``SET ROLE`` on every new connection
of a login that may switch to that role.
"""
from sqlalchemy import event, text


def grant_application_role(connectable, role):
    """Create ``role`` if needed (NOLOGIN, no superuser, no BYPASSRLS) with the rights the app needs."""
    with connectable.begin() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
            conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
        # UPDATE on sequences: the demo loader moves them past explicit ids (setval).
        conn.execute(text(f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        # The read-access log is append-only for the application (app.security.access_log).
        if conn.execute(text("SELECT to_regclass('public.access_log')")).scalar():
            conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM "{role}"'))
            # Except blanking a client's value in ``detail`` on erasure; a trigger allows nothing else.
            conn.execute(text(f'GRANT UPDATE (detail) ON access_log TO "{role}"'))


def run_as_role(engine, role, admin=None):
    """Grant ``role`` its rights (through ``admin``, default ``engine``) and make every new
    connection of ``engine`` act as it; existing pooled connections are dropped."""
    grant_application_role(admin or engine, role)

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET ROLE "{role}"')
        cursor.close()
        dbapi_connection.commit()  # a SET inside a rolled-back transaction would be undone

    engine.dispose()
