"""Helpers for the REST API tests.

The ``ctx`` fixture keeps an app context and the network-wide ``system_scope`` open for the whole
test. Flask's test client would run requests inside that same app context and contextvars, so a
request would share the test's session and its system scope and the partner scope would never be
exercised. ``IsolatedClient`` runs every request in a fresh contextvars context: its own app
context, its own database session, and the scope of the user who sends it.
"""
import contextvars

import pytest
from flask.testing import FlaskClient

ADMIN = ("t_admin", "Admin", ())
STAFF = ("t_staff", "Staff", ("migra",))


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        return contextvars.Context().run(FlaskClient.open, self, *args, **kwargs)


@pytest.fixture
def client(app):
    """Overrides conftest's client (and so the one ``api_token`` logs in with)."""
    app.test_client_class = IsolatedClient
    try:
        yield app.test_client()
    finally:
        app.test_client_class = None


def rows(ctx, model, **criteria):
    """Rows as the database has them now (the test session forgets what it had loaded)."""
    ctx.rollback()
    return ctx.query(model).filter_by(**criteria).all()


def assert_refused(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.get_json())
    body = response.get_json()
    assert body and body.get("message"), body
    text = str(body)
    for leak in ("SELECT", "INSERT", "UPDATE", "sqlite", "psycopg", "IntegrityError", "constraint"):
        assert leak not in text, text
    return body
