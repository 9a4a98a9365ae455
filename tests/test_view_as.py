""""View as" (issue 12): who may view as whom, the target's scope, read-only everywhere, banner, audit, end.

The read-only promise is checked at the gate (every write of the UI and the API answers 403 and every row
of the domain tables is unchanged) and below it (a view that writes anyway, by ORM flush and by raw SQL,
is refused by the database transaction itself).
"""
import io
import re

import pytest
from sqlalchemy import select, text

from app.security.models import AccessLogEntry, AuditEvent, Membership
from tests.conftest import PASSWORD, csrf_token, logout, post_form

BANNER_DE = "Sie sehen die Anwendung als"
TABLES = ("client", "counselling_case", "contact", "consent", "erasure_request", "membership", "training")


def _snapshot(ctx):
    """Every row of the domain tables, and the accounts' changeable columns."""
    ctx.rollback()
    rows = {table: ctx.execute(text(f"SELECT * FROM {table} ORDER BY id")).all() for table in TABLES}
    rows["ab_user"] = ctx.execute(text(
        "SELECT id, username, password, email, active, security_stamp FROM ab_user ORDER BY id")).all()
    return rows


def _token(client):
    return csrf_token(client, "/logout/")


def _start(client, target_id):
    return client.post(f"/view-as/{target_id}", data={"csrf_token": _token(client)})


def _end(client):
    return client.post("/view-as/end", data={"csrf_token": _token(client)})


def _user_id(ctx, username):
    from flask_appbuilder.security.sqla.models import User

    ctx.rollback()
    return ctx.scalar(select(User.id).where(User.username == username))


@pytest.fixture
def people(make_user, factories):
    """Staff at migra and at spi, a user of both, Management at migra, each partner's client."""
    ids = {
        "staff": make_user("t_staff_migra", "Staff", ("migra",)),
        "spi": make_user("t_staff_spi", "Staff", ("spi",)),
        "both": make_user("t_staff_both", "Staff", ("migra", "spi")),
        "mgmt": make_user("t_mgmt_migra", "Management", ("migra",)),
    }
    ids["migra_client"] = factories.client("migra", last_name="Migrahausen").id
    ids["spi_client"] = factories.client("spi", last_name="Spiberger").id
    return ids


# --- start and end: POST with CSRF ---------------------------------------------------------------------


def test_start_and_end_only_by_post_with_token(login_as, client, people):
    login_as("t_admin", "Admin")
    assert client.get(f"/view-as/{people['staff']}").status_code == 405
    assert client.get("/view-as/end").status_code == 405
    assert client.post(f"/view-as/{people['staff']}").status_code == 400  # no CSRF token
    assert "Migrahausen" in client.get("/clientview/list/").get_data(as_text=True)
    assert "Spiberger" in client.get("/clientview/list/").get_data(as_text=True)  # still the admin
    assert _start(client, people["staff"]).status_code == 302
    page = client.get("/clientview/list/").get_data(as_text=True)
    assert "Migrahausen" in page and "Spiberger" not in page
    assert client.post("/view-as/end").status_code == 400  # no token: the view-as goes on
    assert "iq-view-as-banner" in client.get("/").get_data(as_text=True)
    response = _end(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/partnerusers/list/")
    page = client.get("/clientview/list/").get_data(as_text=True)
    assert "Spiberger" in page and "iq-view-as-banner" not in page  # the admin's own session again


def test_the_user_page_offers_the_button_as_a_post_form(login_as, client, people):
    login_as("t_admin", "Admin")
    page = client.get(f"/partnerusers/show/{people['staff']}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/view-as/(\d+)".*?</form>', page, re.S)
    assert form and int(form.group(1)) == people["staff"] and 'name="csrf_token"' in form.group(0)
    own = client.get(f"/partnerusers/show/{_user_id_of(client)}").get_data(as_text=True)
    assert "/view-as/" not in own  # not for oneself


def _user_id_of(client):
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import User

    with client.application.app_context():
        return db.session.scalar(select(User.id).where(User.username == "t_admin"))


# --- who may view as whom --------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer,partners,target,status", [
    ("Admin", (), "staff", 302),
    ("Admin", (), "spi", 302),
    ("Admin", (), "mgmt", 302),
    ("PartnerAdmin", ("migra",), "staff", 302),
    ("PartnerAdmin", ("migra",), "mgmt", 302),
    ("PartnerAdmin", ("migra",), "spi", 404),  # another partner's user: invisible
    ("PartnerAdmin", ("migra",), "both", 403),  # also at another partner: the network admin's
    ("PartnerAdmin", ("migra",), "admin", 404),  # an Admin
    ("PartnerAdmin", ("migra",), "peer", 404),  # a fellow PartnerAdmin
    ("Staff", ("migra",), "staff", 403),
    ("Management", ("migra",), "staff", 403),
])
def test_who_may_view_as_whom(login_as, make_user, client, people, ctx, viewer, partners, target, status):
    people["admin"] = make_user("t_other_admin", "Admin")
    people["peer"] = make_user("t_peer_pa", "PartnerAdmin", ("migra",))
    login_as("t_viewer", viewer, partners)
    response = _start(client, people[target])
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    banner = "iq-view-as-banner" in client.get("/").get_data(as_text=True)
    assert banner is (status == 302)
    started = ctx.scalars(select(AuditEvent).where(AuditEvent.action == "viewas")).all()
    assert bool(started) is (status == 302)


def test_refusals_say_why_in_german(german_default, login_as, client, people, ctx):
    login_as("t_admin", "Admin")
    own = _user_id(ctx, "t_admin")
    response = _start(client, own)
    assert response.status_code == 400
    assert "nicht als Sie selbst" in response.get_data(as_text=True)
    ctx.execute(text("UPDATE ab_user SET active = :f WHERE id = :i"), {"f": False, "i": people["spi"]})
    ctx.commit()
    response = _start(client, people["spi"])
    assert response.status_code == 400 and "inaktiv" in response.get_data(as_text=True)
    assert _start(client, 987654).status_code == 404
    logout(client)
    login_as("t_pa", "PartnerAdmin", ("migra",))
    response = _start(client, people["both"])
    assert response.status_code == 403 and "auch zu anderen Partnern" in response.get_data(as_text=True)
    logout(client)
    login_as("t_counsellor", "Staff", ("migra",))
    response = _start(client, people["staff"])
    assert response.status_code == 403 and "Nur Administratoren" in response.get_data(as_text=True)


# --- the target's view -------------------------------------------------------------------------------------


def test_the_targets_roles_menus_and_scope_apply(login_as, client, people):
    login_as("t_admin", "Admin")
    assert "/partnerusers/list/" in client.get("/").get_data(as_text=True)
    _start(client, people["staff"])
    home = client.get("/").get_data(as_text=True)
    assert "/partnerusers/list/" not in home  # Staff has no user administration
    assert client.get("/partnerusers/list/").status_code in (302, 403)
    assert client.get("/api/v1/client/").status_code == 401  # FAB's API takes tokens, not the cookie
    login = client.post("/api/v1/security/login", json={"username": "t_admin", "password": PASSWORD,
                                                        "provider": "db"})
    bearer = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    api = client.get("/api/v1/client/?q=(page_size:100)", headers=bearer).get_json()
    ids = {row["id"] for row in api["result"]}
    assert people["migra_client"] in ids and people["spi_client"] not in ids
    assert client.get(f"/clientview/show/{people['spi_client']}").status_code == 404
    assert client.get(f"/api/v1/client/{people['spi_client']}", headers=bearer).status_code == 404
    assert "Migrahausen" in client.get(f"/clientview/show/{people['migra_client']}").get_data(as_text=True)


def test_management_target_sees_no_personal_data(login_as, client, people):
    login_as("t_admin", "Admin")
    _start(client, people["mgmt"])
    assert "Migrahausen" not in client.get("/clientview/list/").get_data(as_text=True)
    assert client.get(f"/clientview/show/{people['migra_client']}").status_code in (302, 403, 404)


def test_an_export_is_what_the_target_gets(login_as, client, people, factories, app):
    factories.case(client=factories.client("migra"))
    factories.case(client=factories.client("spi"))
    own = app.test_client()
    post_form(own, "/login/", {"username": "t_staff_migra", "password": PASSWORD})
    expected = own.get("/exports/cases.csv")
    assert expected.status_code == 200
    login_as("t_admin", "Admin")
    full = client.get("/exports/cases.csv").get_data()
    _start(client, people["staff"])
    seen = client.get("/exports/cases.csv")
    assert seen.status_code == 200 and seen.get_data() == expected.get_data() != full


def test_postgres_row_level_security_follows_the_target(database_url, login_as, client, people, app, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("row-level security exists on PostgreSQL only")
    from flask import jsonify

    from app.extensions import db

    def settings():
        current = db.session.execute(text(
            "SELECT current_setting('iq.partner_ids', true), current_setting('transaction_read_only'),"
            " (SELECT count(*) FROM client)")).one()  # raw SQL: no ORM scope, only RLS
        return jsonify(partner_ids=current[0], read_only=current[1], clients=current[2])

    from flask_login import current_user

    def view():
        current_user.is_authenticated  # noqa: B018
        return settings()

    monkeypatch.setitem(app.view_functions, "health.health_check", view)
    login_as("t_admin", "Admin")
    assert client.get("/health").get_json()["partner_ids"] == "all"
    _start(client, people["staff"])
    seen = client.get("/health").get_json()
    migra = str(_partner_id(app, "migra"))
    assert seen == {"partner_ids": migra, "read_only": "on", "clients": 1}


def _partner_id(app, code):
    from app.extensions import db
    from app.partners.models import Partner
    from app.security.scoping import system_scope

    with app.app_context(), system_scope():
        return db.session.scalar(select(Partner.id).where(Partner.code == code))


# --- read-only ---------------------------------------------------------------------------------------------


def _ui_writes(people):
    migra, case_form = people["migra_client"], {"opened_on": "03.02.2014", "channel": "phone",
                                                "birth_date": "01.06.1984", "gender": "female",
                                                "citizenship": "AF", "counselling_language": "de",
                                                "qualification_title": "Lehrerin", "qualification_type": "academic",
                                                "outcome": "application_help"}
    return [
        ("/clientview/add", {"birth_date": "1984-06-01", "gender": "female", "citizenship": "AF",
                             "counselling_language": "de"}),
        (f"/clientview/edit/{migra}", {"birth_date": "1984-06-01", "gender": "male", "citizenship": "AF",
                                       "counselling_language": "de"}),
        (f"/clientview/delete/{migra}", {}),
        (f"/clientview/action/muldelete/{migra}", {}),
        ("/clientview/action_post", {"action": "muldelete", "rowid": [migra]}),
        ("/entry/", case_form),
        (f"/clients/{migra}/erasure", {}),
        ("/consentview/add", {"purpose": "email", "given_on": "2013-03-14", "text_version": "2026-1"}),
        ("/resetmypassword/form", {"current_password": PASSWORD, "password": "Ganz-neu-2026x",
                                   "conf_password": "Ganz-neu-2026x"}),
        ("/partnerusers/add", {"username": "t_new_one", "password": "Ganz-neu-2026x"}),
        (f"/view-as/{people['spi']}", {}),
        ("/login/", {"username": "t_staff_migra", "password": PASSWORD}),
    ]


def test_every_ui_write_is_refused_and_nothing_changes(german_default, login_as, client, people, ctx):
    login_as("t_admin", "Admin")
    _start(client, people["staff"])
    before = _snapshot(ctx)
    for url, data in _ui_writes(people):
        response = client.post(url, data={**data, "csrf_token": _token(client)})
        assert response.status_code == 403, (url, response.status_code)
        assert "nur lesen" in response.get_data(as_text=True).lower() or "Nur lesen" in response.get_data(as_text=True)
    upload = client.post("/import/", data={"csrf_token": _token(client), "upload": (io.BytesIO(b"a;b\n"), "x.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 403
    assert _snapshot(ctx) == before
    assert "iq-view-as-banner" in client.get("/").get_data(as_text=True)  # still viewing as


def test_the_same_form_works_for_the_target_itself(login_as, client, people, ctx):
    """The refused client form above is a valid one: the target saves it."""
    post_form(client, "/login/", {"username": "t_staff_migra", "password": PASSWORD})
    before = _snapshot(ctx)["client"]
    response = post_form(client, "/clientview/add", {"birth_date": "1984-06-01", "gender": "female",
                                                     "citizenship": "AF", "counselling_language": "de"})
    assert response.status_code == 302
    assert len(_snapshot(ctx)["client"]) == len(before) + 1


def test_every_api_write_is_refused_with_the_session_and_with_a_view_as_token(login_as, client, people, ctx, app):
    login_as("t_admin", "Admin")
    _start(client, people["staff"])
    # An API login (the admin's own password) from the session that views as: a view-as token.
    login = client.post("/api/v1/security/login",
                        json={"username": "t_admin", "password": PASSWORD, "provider": "db", "refresh": True})
    assert login.status_code == 200
    bearer = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    fresh = app.test_client()  # the token alone, without the cookie
    listed = fresh.get("/api/v1/client/?q=(page_size:100)", headers=bearer).get_json()["result"]
    assert {row["id"] for row in listed} == {people["migra_client"]}
    before = _snapshot(ctx)
    migra = people["migra_client"]
    body = {"birth_date": "1984-06-01", "gender": "female", "citizenship": "AF"}
    for sender, headers in ((client, {}), (fresh, bearer)):
        for method, url, payload in (("post", "/api/v1/client/", body),
                                     ("put", f"/api/v1/client/{migra}", {"gender": "male", "version": 1}),
                                     ("delete", f"/api/v1/client/{migra}", None),
                                     ("post", f"/api/v1/client/{migra}/erasure", {})):
            response = getattr(sender, method)(url, json=payload, headers=headers)
            assert response.status_code == 403, (method, url, bool(headers), response.get_json())
            assert "read only" in response.get_json()["message"]
    assert _snapshot(ctx) == before
    # The refresh token gives view-as tokens only; ending the view-as ends them all.
    refresh = {"Authorization": f"Bearer {login.get_json()['refresh_token']}"}
    renewed = fresh.post("/api/v1/security/refresh", headers=refresh)
    assert renewed.status_code == 200
    renewed_bearer = {"Authorization": f"Bearer {renewed.get_json()['access_token']}"}
    assert fresh.post("/api/v1/client/", json=body, headers=renewed_bearer).status_code == 403
    _end(client)
    assert fresh.get("/api/v1/client/", headers=bearer).status_code == 401
    assert fresh.get("/api/v1/client/", headers=renewed_bearer).status_code == 401
    assert fresh.post("/api/v1/security/refresh", headers=refresh).status_code == 401
    assert _snapshot(ctx)["client"] == before["client"]


def test_the_database_refuses_writes_that_pass_the_gate(login_as, client, people, app, monkeypatch, ctx):
    """A view that writes on a GET (no such view exists: this one is planted) is refused below the gate:
    by the flush guard and, for raw SQL, by the read-only transaction (PostgreSQL) / query_only (SQLite)."""
    from flask import jsonify
    from flask_login import current_user

    from app.clients.models import Client
    from app.extensions import db

    def writer():
        current_user.is_authenticated  # noqa: B018
        outcome = {}
        def orm():
            db.session.get(Client, people["migra_client"]).gender = "male"  # the target could write this
            db.session.flush()

        for name, attempt in (("orm", orm), ("sql", lambda: db.session.execute(text("UPDATE client SET gender = 'male'")))):
            try:
                attempt()
                db.session.commit()
                outcome[name] = "written"
            except Exception as error:  # noqa: BLE001 - the test reports what refused it
                db.session.rollback()
                outcome[name] = type(error).__name__
        return jsonify(outcome)

    monkeypatch.setitem(app.view_functions, "health.health_check", writer)
    login_as("t_admin", "Admin")
    _start(client, people["staff"])
    before = _snapshot(ctx)
    outcome = client.get("/health").get_json()
    assert outcome["orm"] == "ViewAsReadOnly"
    assert outcome["sql"] in ("OperationalError", "InternalError")  # sqlite query_only / PG read-only
    assert _snapshot(ctx) == before

    def careless():  # a writing view that does not catch: the refusal is the gate's 403
        current_user.is_authenticated  # noqa: B018
        db.session.get(Client, people["migra_client"]).gender = "male"
        db.session.commit()
        return jsonify(written=True)

    monkeypatch.setitem(app.view_functions, "health.health_check", careless)
    refused = client.get("/health", headers={"Accept": "application/json"})
    assert refused.status_code == 403 and "read only" in refused.get_json()["message"]
    assert _snapshot(ctx) == before
    monkeypatch.setitem(app.view_functions, "health.health_check", writer)
    _end(client)
    assert client.get("/health").get_json() == {"orm": "written", "sql": "written"}  # the admin again


# --- banner, audit, access log ------------------------------------------------------------------------------


def test_banner_on_every_page_with_the_end_button(german_default, login_as, client, people, factories):
    case = factories.case(client=factories.client("migra"))
    login_as("t_admin", "Admin")
    _start(client, people["staff"])
    for url in ("/", "/clientview/list/", f"/caseview/show/{case.id}", "/entry/", "/logout/", "/clientview/show/999999"):
        page = client.get(url).get_data(as_text=True)
        assert f"{BANNER_DE} t_staff_migra Test (t_staff_migra) — nur lesen" in page, url
        assert re.search(r'action="/view-as/end".*?name="csrf_token"', page, re.S), url


def test_start_pages_and_end_are_audited_and_reads_logged_for_the_real_admin(login_as, client, people, ctx):
    login_as("t_admin", "Admin")
    admin = _user_id(ctx, "t_admin")
    _start(client, people["staff"])
    client.get(f"/clientview/show/{people['migra_client']}")
    client.get("/clientview/list/?_flt_0_last_name=x")
    client.post("/clientview/add", data={"csrf_token": _token(client)})
    _end(client)
    ctx.rollback()
    events = ctx.scalars(select(AuditEvent).where(
        AuditEvent.record_id == str(people["staff"]), AuditEvent.table_name == "ab_user",
        AuditEvent.action.in_(("viewas", "viewpage", "viewend"))).order_by(AuditEvent.id)).all()
    assert {e.user_id for e in events} == {admin} and {e.actor for e in events} == {"t_admin"}
    assert events[0].action == "viewas" and events[-1].action == "viewend"
    assert events[-1].new_values["reason"] == "button"
    pages = [(e.new_values["method"], e.new_values["path"], e.new_values["status"]) for e in events
             if e.action == "viewpage"]
    assert ("GET", f"/clientview/show/{people['migra_client']}", 200) in pages
    assert ("GET", "/clientview/list/?_flt_0_last_name=x", 200) in pages
    assert ("POST", "/clientview/add", 403) in pages
    assert all(e.new_values["view_as"] == "t_staff_migra" for e in events)
    migra = ctx.scalar(text("SELECT id FROM partner WHERE code = 'migra'"))
    assert {e.partner_id for e in events} == {migra}  # the target's partner's trail
    reads = ctx.scalars(select(AccessLogEntry).where(AccessLogEntry.client_id == people["migra_client"])).all()
    assert reads and {r.user_id for r in reads} == {admin}
    assert {r.actor for r in reads} == {"t_admin [view-as t_staff_migra]"}


def test_a_partner_admin_finds_the_events_in_its_trail(login_as, client, people, ctx, app):
    login_as("t_pa", "PartnerAdmin", ("migra",))
    _start(client, people["staff"])
    client.get("/clientview/list/")
    _end(client)
    login = client.post("/api/v1/security/login", json={"username": "t_pa", "password": PASSWORD, "provider": "db"})
    bearer = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    listed = client.get("/api/v1/audit/?q=(page_size:100)", headers=bearer).get_json()["result"]
    assert {"viewas", "viewpage", "viewend"} <= {row["action"] for row in listed}


# --- ending, logout, revalidation ------------------------------------------------------------------------


def test_logout_ends_it_and_the_target_is_not_affected(login_as, client, people, ctx, app):
    target = app.test_client()
    post_form(target, "/login/", {"username": "t_staff_migra", "password": PASSWORD})
    stamp = ctx.scalar(text("SELECT security_stamp FROM ab_user WHERE id = :i"), {"i": people["staff"]})
    login_as("t_admin", "Admin")
    _start(client, people["staff"])
    assert logout(client).status_code == 302
    assert client.get("/clientview/list/").status_code == 302  # logged out
    ctx.rollback()
    assert ctx.scalar(text("SELECT security_stamp FROM ab_user WHERE id = :i"), {"i": people["staff"]}) == stamp
    assert "Migrahausen" in target.get("/clientview/list/").get_data(as_text=True)  # the target's session lives
    post_form(client, "/login/", {"username": "t_admin", "password": PASSWORD})
    page = client.get("/clientview/list/").get_data(as_text=True)
    assert "iq-view-as-banner" not in page and "Spiberger" in page  # nothing of the view-as remains
    ended = ctx.scalars(select(AuditEvent).where(AuditEvent.action == "viewend")).all()
    assert [e.new_values["reason"] for e in ended] == ["logout"]


def test_a_replayed_cookie_views_as_nobody_after_the_end(login_as, client, people):
    login_as("t_admin", "Admin")
    _start(client, people["staff"])
    cookie = client.get_cookie("session").value
    _end(client)
    replay = client.application.test_client()
    replay.set_cookie("session", cookie)
    page = replay.get("/clientview/list/").get_data(as_text=True)
    assert "iq-view-as-banner" not in page and "Spiberger" in page  # the admin's own session, not the view-as


def test_a_demoted_partner_admin_s_view_as_ends(login_as, client, people, ctx):
    login_as("t_pa", "PartnerAdmin", ("migra",))
    _start(client, people["staff"])
    assert "iq-view-as-banner" in client.get("/").get_data(as_text=True)
    ctx.execute(text("UPDATE membership SET role = 'Management' WHERE user_id = "
                     "(SELECT id FROM ab_user WHERE username = 't_pa')"))
    ctx.commit()
    page = client.get("/clientview/list/")
    assert "iq-view-as-banner" not in page.get_data(as_text=True)
    assert "Migrahausen" not in page.get_data(as_text=True)  # neither the target's view nor personal data


def test_a_target_deactivated_meanwhile_ends_the_view(login_as, client, people, ctx):
    login_as("t_admin", "Admin")
    _start(client, people["staff"])
    ctx.execute(text("UPDATE ab_user SET active = :f WHERE id = :i"), {"f": False, "i": people["staff"]})
    ctx.commit()
    page = client.get("/clientview/list/").get_data(as_text=True)
    assert "iq-view-as-banner" not in page and "Spiberger" in page


@pytest.mark.parametrize("target", ["staff", "mgmt"])
def test_every_menu_page_and_document_answers_as_for_the_target(login_as, client, people, factories, app, target):
    """The read-only transaction disturbs no reading: every page of the target's menus, the summary PDF and
    a confirmation letter answer exactly as they do in the target's own session."""
    case = factories.case(client=factories.client("migra"))
    own = app.test_client()
    post_form(own, "/login/", {"username": {"staff": "t_staff_migra", "mgmt": "t_mgmt_migra"}[target],
                               "password": PASSWORD})
    login_as("t_admin", "Admin")
    _start(client, people[target])
    home = client.get("/").get_data(as_text=True)
    links = sorted(set(re.findall(r'href="(/[a-z][^"#?]*)"', home)) - {"/logout/"})
    assert len(links) > 5
    urls = links + ["/reports/summary.pdf?period=2013&partner=all&state=all", f"/cases/{case.id}/confirmation.pdf"]
    seen = {url: client.get(url) for url in urls}
    assert all(r.status_code < 500 for r in seen.values()), {u: r.status_code for u, r in seen.items()}
    assert {u: r.status_code for u, r in seen.items()} == {u: own.get(u).status_code for u in urls}
    assert seen[f"/cases/{case.id}/confirmation.pdf"].status_code == (200 if target == "staff" else 403)


def test_a_letter_while_viewing_as_is_the_targets_and_logged_for_the_admin(login_as, client, people, factories, ctx):
    from pypdf import PdfReader

    mine = factories.case(client=factories.client("migra", last_name="Briefmann"))
    other = factories.case(client=factories.client("spi"))
    login_as("t_admin", "Admin")
    admin = _user_id(ctx, "t_admin")
    _start(client, people["staff"])
    assert client.get(f"/cases/{other.id}/confirmation.pdf").status_code == 404
    letter = client.get(f"/cases/{mine.id}/confirmation.pdf")
    assert letter.status_code == 200
    assert "Briefmann" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.get_data())).pages)
    ctx.rollback()
    reads = ctx.scalars(select(AccessLogEntry).where(AccessLogEntry.client_id == mine.client_id)).all()
    assert [(r.user_id, r.actor) for r in reads] == [(admin, "t_admin [view-as t_staff_migra]")]
