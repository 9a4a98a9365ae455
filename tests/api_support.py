"""Helpers for the REST API tests (requests run isolated: see ``IsolatedClient`` in conftest)."""

ADMIN = ("t_admin", "Admin", ())
STAFF = ("t_staff", "Staff", ("migra",))


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
