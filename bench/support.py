"""Shared by the bench scripts: run the app as an ordinary database role and create bench users.

The local PostgreSQL login is a superuser, and superusers bypass row-level security; production
runs as an ordinary role, so the figures are taken that way too (as in tests/conftest.py).
"""
APP_ROLE = "iq_app_bench"
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
