"""Fixtures: one app per test session on SQLite (default) or TEST_DATABASE_URL (PostgreSQL).

The schema is built by the Alembic migrations (so every run also exercises them), the reference
data by the same code as ``iq seed``. After each test the records it created are removed, so tests
do not depend on each other's data.
"""
import contextvars
import os
import re
import secrets
import tempfile
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from config import TestConfig, normalise_database_url

PASSWORD = "Test-Passw0rd!" + secrets.token_hex(4)

# Tables emptied after every test (children first); reference data stays.
_DATA_TABLES = ["audit_event", "erasure_request", "referral_intake", "referral_payload", "referral", "contact", "counselling_case", "consent", "client", "training",
                "funding",
                "membership"]


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection, connection_record):
    """The SQLite test databases are thrown away after the run, so a commit need not wait for the
    disk: without fsync it costs ~0.4 ms instead of ~20 ms on the project machine (thousands of
    commits per run). Transactions, rollbacks, locking and constraints are unchanged."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


def _database_url(tmp_dir):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_dir}/test.db"


def _reset_postgres(url):
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url():
    with tempfile.TemporaryDirectory() as tmp_dir:
        url = _database_url(tmp_dir)
        if url.startswith("postgresql"):
            _reset_postgres(url)
        yield url


APP_ROLE = "iq_app_test"


@pytest.fixture(scope="session")
def admin_engine(database_url):
    """The schema owner's connection (superuser on the test server): migrations and clean-up."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url, admin_engine):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.roles import ensure_roles
    from app.security.scoping import system_scope
    from app.security.database_roles import run_as_role
    from app.setup.reference_data import seed_reference_data

    application = create_app(TestConfig(database_url))
    with application.app_context():
        upgrade()
        with system_scope():
            seed_reference_data(db.session)
            db.session.commit()
            ensure_roles(application.appbuilder.sm)
        if database_url.startswith("postgresql"):
            # The local login is a superuser; the app talks as an ordinary role so that
            # row-level security is on in every PostgreSQL test.
            run_as_role(db.engine, APP_ROLE, admin=admin_engine)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_access_log(conn):
    """The log is append-only for the app; the tests' owner connection empties it between tests
    (SQLite: without its guard triggers for that one statement)."""
    from app.security.access_log import SQLITE_GUARDS

    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER IF EXISTS access_log_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS access_log_no_delete"))
    conn.execute(text("DELETE FROM access_log"))
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_GUARDS:
            conn.execute(text(statement))


@pytest.fixture(autouse=True)
def _clean_data(request):
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    admin_engine = request.getfixturevalue("admin_engine")
    from app.extensions import db

    # Failed-login counters (memory storage) must not carry from one test to the next.
    application.appbuilder.sm.limiter.reset()
    # Nor the lists' remembered row estimates (app.core.listing, per process).
    from app.core import listing

    listing._estimates.clear()
    # Nor the menu badge's kept counts (app.referrals.service): the referrals are deleted below by SQL.
    from app.referrals import service as referrals

    referrals.forget_badge_counts()
    with application.app_context():
        db.session.rollback()
        with admin_engine.begin() as conn:
            for table in _DATA_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            # Consent texts published by a test (the seeded ones are version 2026-1).
            conn.execute(text("DELETE FROM consent_text WHERE version <> '2026-1'"))
            _empty_access_log(conn)
            conn.execute(text(
                "DELETE FROM ab_user_role WHERE user_id IN (SELECT id FROM ab_user WHERE username LIKE 't_%')"
            ))
            conn.execute(text("DELETE FROM ab_user WHERE username LIKE 't_%'"))
        db.session.remove()


@pytest.fixture
def ctx(app):
    """An app context with network-wide scope, for arranging data and checking the database."""
    from app.extensions import db
    from app.security.scoping import system_scope

    with app.app_context(), system_scope():
        yield db.session
        db.session.rollback()


class IsolatedClient(FlaskClient):
    """Runs every request in a fresh contextvars context.

    Otherwise a request would reuse the test's app context (``ctx``): its database session and
    its explicitly stated scope. Isolated, each request has its own session and the scope of the
    user who sends it, exactly as in production.
    """

    def open(self, *args, **kwargs):
        def run():
            response = FlaskClient.open(self, *args, **kwargs)
            if response.is_streamed:  # produce a streamed body inside the request's own context
                chunks = list(response.response)
                response.close()
                response.response = iter(chunks)
            return response

        return contextvars.Context().run(run)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    try:
        yield app.test_client()
    finally:
        app.test_client_class = None


def csrf_token(client, url):
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    return match.group(1) if match else ""


def logout(client):
    """Log out like the navbar does: POST /logout/ with the CSRF token (GET only asks).
    Nothing to do (None) if nobody is logged in."""
    token = csrf_token(client, "/logout/")
    return client.post("/logout/", data={"csrf_token": token}) if token else None


def post_form(client, url, data, form_url=None, **kwargs):
    """POST like a browser: fetch the form first for its CSRF token."""
    payload = dict(data)
    payload.setdefault("csrf_token", csrf_token(client, form_url or url))
    return client.post(url, data=payload, **kwargs)


@pytest.fixture
def make_user(app):
    """Create a user (username must start with ``t_``) with a role and memberships."""
    from app.extensions import db
    from app.partners.models import Partner
    from app.security.models import Membership
    from app.security.scoping import system_scope

    def factory(username, role="Staff", partners=()):
        assert username.startswith("t_")
        with app.app_context(), system_scope():
            sm = app.appbuilder.sm
            user = sm.add_user(username, username, "Test", f"{username}@example.org",
                               sm.find_role(role), password=PASSWORD)
            assert user, f"could not create {username}"
            for code in partners:
                partner = db.session.query(Partner).filter_by(code=code).one()
                member_role = role if role != "Admin" else "Staff"
                db.session.add(Membership(user_id=user.id, partner_id=partner.id, role=member_role))
            db.session.commit()
            return user.id

    return factory


@pytest.fixture
def login_as(client, make_user):
    """Log the test client in through the real login form (CSRF on)."""

    def factory(username, role="Staff", partners=("migra",)):
        make_user(username, role, partners)
        response = post_form(client, "/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return factory


@pytest.fixture
def api_token(client, make_user):
    def factory(username, role="Staff", partners=("migra",)):
        make_user(username, role, partners)
        response = client.post("/api/v1/security/login",
                               json={"username": username, "password": PASSWORD, "provider": "db"})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return factory


@pytest.fixture
def factories(ctx):
    """Small builders for domain records; commit so that requests see them."""
    from tests.factories import Factories

    return Factories(ctx)


@pytest.fixture
def german_default(app):
    """Production's default language (German) for the tests that check it."""
    from config import Config

    app.config["BABEL_DEFAULT_LOCALE"] = Config.BABEL_DEFAULT_LOCALE
    try:
        yield
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = "en"
