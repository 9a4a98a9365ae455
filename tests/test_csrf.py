"""Issue 8.1: every state change needs a CSRF token, and no GET changes anything.

Walks ``app.url_map``: each UI rule that accepts POST/PUT/PATCH/DELETE is sent, with an Admin's
session cookie and a foreign Referer, a request without a token; every one is refused and the
whole database (every table, every row) is unchanged. The REST API is JWT-only (FAB exempts it).
"""
import pytest
from sqlalchemy import MetaData, inspect, select

from tests.conftest import PASSWORD, csrf_token

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def dump_database(ctx):
    """Every row of every table: equal before and after means nothing changed."""
    ctx.rollback()
    metadata = MetaData()
    metadata.reflect(bind=ctx.get_bind())
    state = {}
    for name, table in sorted(metadata.tables.items()):
        if name == "alembic_version":
            continue
        rows = ctx.execute(select(table)).all()
        state[name] = sorted(tuple(str(v) for v in row) for row in rows)
    return state


def _pk_for(app, endpoint, ctx):
    """The id of an existing row of the view's model, so that the request has something to hit."""
    blueprint = endpoint.split(".")[0]
    for view in app.appbuilder.baseviews:
        if getattr(view, "blueprint", None) is not None and view.blueprint.name == blueprint:
            datamodel = getattr(view, "datamodel", None)
            if datamodel is not None:
                key = inspect(datamodel.obj).primary_key[0]
                row = ctx.execute(select(key).order_by(key)).first()
                if row is not None:
                    return row[0]
    return 1


def _url(app, rule, ctx):
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        if arg == "pk" or converter in ("IntegerConverter",):
            values[arg] = _pk_for(app, rule.endpoint, ctx)
        elif arg == "name":
            values[arg] = "muldelete"
        else:
            values[arg] = "x"
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture
def populated(factories, make_user, ctx):
    client = factories.client(partner="migra")
    case = factories.case(client=client)
    factories.contact(case)
    factories.training(partner="migra")
    factories.funding(partner="migra")
    make_user("t_victim", "Staff", ("migra",))
    ctx.commit()


def _admin_session(client, make_user):
    make_user("t_csrfadmin", "Admin", ("migra",))
    response = client.post("/login/", data={"username": "t_csrfadmin", "password": PASSWORD,
                                             "csrf_token": csrf_token(client, "/login/")})
    assert response.status_code == 302


def test_every_ui_write_route_refuses_a_request_without_token(app, client, ctx, populated, make_user):
    _admin_session(client, make_user)
    before = dump_database(ctx)
    checked = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & WRITE_METHODS
        if not methods or rule.rule.startswith("/api/"):
            continue
        url = _url(app, rule, ctx)
        for method in sorted(methods):
            response = client.open(url, method=method, headers={"Referer": "https://evil.example/"},
                                   data={"action": "muldelete", "rowid": ["1", "2", "3"], "name": "x",
                                         "delete": "1", "password": "Xx-1234567890"})
            assert response.status_code == 400, (method, url, response.status_code)
            checked.append((method, url))
    assert len(checked) > 30  # the walk really found the app's forms, deletes and actions
    assert dump_database(ctx) == before


@pytest.mark.parametrize("path", [
    "/caseview/delete/{case}", "/clientview/delete/{client}", "/contactview/delete/{contact}",
    "/users/delete/{user}", "/caseview/action/muldelete/{case}", "/clientview/action/muldelete/{client}",
])
def test_get_never_mutates(app, client, ctx, populated, make_user, path):
    from app.cases.models import Case, Contact
    from app.clients.models import Client
    from flask_appbuilder.security.sqla.models import User

    ids = {"case": ctx.execute(select(Case.id)).scalar(), "client": ctx.execute(select(Client.id)).scalar(),
           "contact": ctx.execute(select(Contact.id)).scalar(),
           "user": ctx.execute(select(User.id).where(User.username == "t_victim")).scalar()}
    _admin_session(client, make_user)
    before = dump_database(ctx)
    response = client.get(path.format(**ids), headers={"Referer": "https://evil.example/"})
    assert response.status_code in (302, 400, 404, 405)
    assert dump_database(ctx) == before


def test_fab_refuses_get_mutations(app):
    with app.test_request_context("/caseview/delete/1", method="GET"):
        view = next(v for v in app.appbuilder.baseviews if v.__class__.__name__ == "CaseView")
        assert view.is_get_mutation_allowed() is False


def test_delete_with_token_still_works(app, client, ctx, populated, make_user):
    from app.cases.models import Contact

    contact_id = ctx.execute(select(Contact.id)).scalar()
    _admin_session(client, make_user)
    token = csrf_token(client, "/contactview/list/")
    response = client.post(f"/contactview/delete/{contact_id}", data={"csrf_token": token})
    assert response.status_code == 302
    ctx.rollback()
    assert ctx.get(Contact, contact_id) is None


def test_refusal_is_translated(app, client, make_user, german_default):
    response = client.post("/login/", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "Formular" in response.get_data(as_text=True)
