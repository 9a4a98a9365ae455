"""Roles per partner membership (issue 8, item 2): a user's rights at partner X come from its role at X.

The issue's scenario: a user with memberships at migra and caritas-md as Management; migra's
PartnerAdmin makes it Staff. Before, the user then read caritas-md's clients with names (one global
role, memberships without effect); now it is Staff at migra only. The other way round, migra's
PartnerAdmin could demote or deactivate caritas-md's staff; now its edits stay at migra.
"""
import prison
import pytest
from sqlalchemy import select

from app.security.models import AuditEvent, Membership
from tests.api_support import rows
from tests.conftest import PASSWORD, logout, post_form


def _partner_id(ctx, code):
    from app.partners.models import Partner

    return ctx.query(Partner.id).filter_by(code=code).scalar()


@pytest.fixture
def member(app, ctx):
    """A user with a role per partner, e.g. member("t_x", migra="Management", caritas="Staff");
    FAB's roles derived from the memberships, as the user administration derives them."""
    from app.security.roles import ROLE_NAMES

    def factory(username, **roles):
        sm = app.appbuilder.sm
        wanted = {code.replace("_", "-"): role for code, role in roles.items()}
        fab_roles = [sm.find_role(r) for r in ROLE_NAMES if r in wanted.values()]
        user = sm.add_user(username, username, "Test", f"{username}@example.org", fab_roles, password=PASSWORD)
        assert user
        for code, role in wanted.items():
            ctx.add(Membership(user_id=user.id, partner_id=_partner_id(ctx, code), role=role))
        ctx.commit()
        return user.id

    return factory


def _login(client, username):
    response = post_form(client, "/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _token(client, username):
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _memberships(ctx, user_id):
    ctx.expire_all()
    found = ctx.execute(select(Membership.partner_id, Membership.role).where(Membership.user_id == user_id))
    from app.partners.models import Partner

    codes = dict(ctx.execute(select(Partner.id, Partner.code)).all())
    return sorted((codes[pid], role) for pid, role in found)


def _user(ctx, user_id):
    from flask_appbuilder.security.sqla.models import User

    ctx.expire_all()
    return ctx.get(User, user_id)


def _edit(client, user_id, **fields):
    data = {"first_name": fields.pop("first_name", None), "last_name": "Test",
            "email": fields.pop("email", None), "membership_set": fields.pop("membership_set", None),
            "active": fields.pop("active", "y")}
    data.update(fields)
    return post_form(client, f"/partnerusers/edit/{user_id}", {k: v for k, v in data.items() if v is not None})


def _choice(ctx, code, role):
    return f"{_partner_id(ctx, code)}:{role}"


def _client_names(client, headers):
    response = client.get(f"/api/v1/client/?q={prison.dumps({'page_size': 100})}", headers=headers)
    assert response.status_code == 200
    return {row["last_name"] for row in response.get_json()["result"]}


def test_partner_admin_making_a_shared_user_staff_opens_its_own_partner_only(client, ctx, member, factories):
    """The issue's reproduction: Management at migra and caritas-md, made Staff by migra's PartnerAdmin."""
    factories.client(partner="migra", last_name="MigraPerson")
    factories.client(partner="caritas-md", last_name="CaritasPerson")
    factories.training(partner="caritas-md", title="CaritasTraining")
    shared = member("t_shared", migra="Management", caritas_md="Management")
    member("t_padmin", migra="PartnerAdmin")

    _login(client, "t_padmin")
    response = _edit(client, shared, first_name="t_shared", email="t_shared@example.org",
                     membership_set=[_choice(ctx, "migra", "Staff")])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _memberships(ctx, shared) == [("caritas-md", "Management"), ("migra", "Staff")]
    assert sorted(r.name for r in _user(ctx, shared).roles) == ["Management", "Staff"]
    logout(client)

    headers = _token(client, "t_shared")
    assert _client_names(client, headers) == {"MigraPerson"}  # names at migra only, none of caritas-md
    [caritas_client] = rows(ctx, __import__("app.clients.models", fromlist=["Client"]).Client,
                            last_name="CaritasPerson")
    assert client.get(f"/api/v1/client/{caritas_client.id}", headers=headers).status_code == 404
    # Management at caritas-md still opens its figures (no persons): its trainings and its summary.
    trainings = client.get("/api/v1/training/", headers=headers).get_json()["result"]
    assert [t["title"] for t in trainings] == ["CaritasTraining"]
    _login(client, "t_shared")
    assert client.get("/reports/summary.pdf?partner=caritas-md").status_code == 200
    assert client.get("/reports/summary.pdf?partner=genres").status_code == 404


def test_partner_admin_cannot_demote_or_deactivate_another_partners_staff(client, ctx, member, factories):
    factories.client(partner="caritas-md", last_name="CaritasPerson")
    staff = member("t_cstaff", migra="Staff", caritas_md="Staff")
    member("t_padmin", migra="PartnerAdmin")
    _login(client, "t_padmin")

    # Demoting at migra leaves the caritas-md membership as it is.
    response = _edit(client, staff, first_name="t_cstaff", email="t_cstaff@example.org",
                     membership_set=[_choice(ctx, "migra", "Management")])
    assert response.status_code == 302
    assert _memberships(ctx, staff) == [("caritas-md", "Staff"), ("migra", "Management")]

    # Deactivating, renaming or a new e-mail address: refused with a message, nothing changed.
    for change in ({"active": None}, {"first_name": "Renamed"}, {"email": "new@example.org"}):
        fields = {"first_name": "t_cstaff", "email": "t_cstaff@example.org",
                  "membership_set": [_choice(ctx, "migra", "Management")], **change}
        response = _edit(client, staff, **fields)
        assert response.status_code == 200
        assert "also belongs to another partner" in response.get_data(as_text=True)
        user = _user(ctx, staff)
        assert (user.active, user.first_name, user.email) == (True, "t_cstaff", "t_cstaff@example.org")
        assert _memberships(ctx, staff) == [("caritas-md", "Staff"), ("migra", "Management")]
    logout(client)

    # The user keeps reading caritas-md's clients as Staff there.
    assert _client_names(client, _token(client, "t_cstaff")) == {"CaritasPerson"}


def test_network_admin_may_deactivate_a_shared_user(client, ctx, member, make_user):
    staff = member("t_cstaff", migra="Staff", caritas_md="Staff")
    make_user("t_admin", "Admin")
    _login(client, "t_admin")
    response = _edit(client, staff, first_name="t_cstaff", email="t_cstaff@example.org", active=None,
                     membership_set=[_choice(ctx, "migra", "Staff"), _choice(ctx, "caritas-md", "Management")])
    assert response.status_code == 302
    assert _user(ctx, staff).active is False
    assert _memberships(ctx, staff) == [("caritas-md", "Management"), ("migra", "Staff")]


def test_partner_admin_does_not_see_other_partners_memberships(client, ctx, member):
    staff = member("t_cstaff", migra="Staff", caritas_md="Management")
    member("t_padmin", migra="PartnerAdmin")
    _login(client, "t_padmin")
    form = client.get(f"/partnerusers/edit/{staff}").get_data(as_text=True)
    assert "Caritas" not in form  # neither as a choice nor as the user's membership
    assert f'value="{_choice(ctx, "migra", "Staff")}" selected' in form or \
        f'selected value="{_choice(ctx, "migra", "Staff")}"' in form
    listing = client.get("/partnerusers/list/").get_data(as_text=True)
    assert "t_cstaff" in listing and "Caritas" not in listing


def test_foreign_or_unknown_choices_are_refused(client, ctx, member):
    staff = member("t_mstaff", migra="Staff")
    member("t_padmin", migra="PartnerAdmin")
    _login(client, "t_padmin")
    for choice in (_choice(ctx, "genres", "Staff"), _choice(ctx, "migra", "PartnerAdmin"), "network:Admin",
                   "x:Staff", f"{10**30}:Staff"):
        response = _edit(client, staff, first_name="t_mstaff", email="t_mstaff@example.org",
                         membership_set=[choice])
        assert response.status_code == 200, choice
        assert _memberships(ctx, staff) == [("migra", "Staff")]
    # Removing the only membership would orphan the account: deactivate instead.
    response = _edit(client, staff, first_name="t_mstaff", email="t_mstaff@example.org")
    assert response.status_code == 200
    assert "deactivate" in response.get_data(as_text=True)
    assert _memberships(ctx, staff) == [("migra", "Staff")]


def test_changes_of_users_and_memberships_reach_each_partners_audit(client, ctx, member, make_user):
    staff = member("t_cstaff", migra="Staff", caritas_md="Staff")
    member("t_padmin", migra="PartnerAdmin")
    member("t_cadmin", caritas_md="PartnerAdmin")
    _login(client, "t_padmin")
    assert _edit(client, staff, first_name="t_cstaff", email="t_cstaff@example.org",
                 membership_set=[_choice(ctx, "migra", "Management")]).status_code == 302
    logout(client)
    make_user("t_admin", "Admin")
    _login(client, "t_admin")
    assert _edit(client, staff, first_name="t_cstaff", email="t_cstaff@example.org", active=None,
                 membership_set=[_choice(ctx, "migra", "Management"),
                                 _choice(ctx, "caritas-md", "Staff")]).status_code == 302
    logout(client)
    from werkzeug.security import generate_password_hash

    user = _user(ctx, staff)
    user.password = generate_password_hash("Another-Passw0rd-42")
    ctx.commit()

    def events(username):
        headers = _token(client, username)
        q = prison.dumps({"page_size": 100, "order_column": "id", "order_direction": "asc"})
        body = client.get(f"/api/v1/audit/?q={q}", headers=headers).get_json()["result"]
        return [(e["table_name"], e["action"], e["old_values"], e["new_values"]) for e in body
                if e["table_name"] in ("membership", "ab_user")]

    migra, caritas = _partner_id(ctx, "migra"), _partner_id(ctx, "caritas-md")
    mine = events("t_padmin")
    # migra's admin: the Staff → Management change at migra (one membership out, one in), the
    # derived FAB roles, the deactivation and the password change; nothing of caritas-md's memberships.
    assert any(t == "membership" and a == "delete" and o["role"] == "Staff" and o["partner_id"] == migra
               for t, a, o, n in mine)
    assert any(t == "membership" and a == "insert" and n["role"] == "Management" for t, a, o, n in mine)
    assert ("ab_user", "update", {"roles": ["Staff"]}, {"roles": ["Management", "Staff"]}) in mine
    assert ("ab_user", "update", {"active": True}, {"active": False}) in mine
    assert ("ab_user", "update", {}, {"password": "changed"}) in mine
    assert all(o is None or o.get("partner_id") in (None, migra) for t, a, o, n in mine if t == "membership")
    # caritas-md's admin: the same account changes, no membership of migra.
    theirs = events("t_cadmin")
    assert ("ab_user", "update", {"active": True}, {"active": False}) in theirs
    assert ("ab_user", "update", {}, {"password": "changed"}) in theirs
    assert not [e for e in theirs if e[0] == "membership" and (e[2] or e[3]).get("partner_id") == migra]
    # The hash never enters the trail.
    for event in rows(ctx, AuditEvent, table_name="ab_user"):
        assert "pbkdf2" not in str(event.old_values) + str(event.new_values)
        assert "scrypt" not in str(event.old_values) + str(event.new_values)
    updates = rows(ctx, AuditEvent, table_name="ab_user", record_id=str(staff), action="update")
    assert {e.partner_id for e in updates} == {migra, caritas}


def test_already_exists_message_discloses_no_other_partners_users(client, ctx, member, german_default):
    member("t_theirs", caritas_md="Staff")
    member("t_padmin", migra="PartnerAdmin")
    _login(client, "t_padmin")

    def add(username, email):
        return post_form(client, "/partnerusers/add", {
            "username": username, "first_name": "Neu", "last_name": "Person", "email": email,
            "membership_set": [_choice(ctx, "migra", "Staff")], "active": "y",
            "password": PASSWORD + "Xy9", "conf_password": PASSWORD + "Xy9"})

    by_name = add("T_THEIRS", "fresh@example.org").get_data(as_text=True)
    by_email = add("t_fresh", "T_theirs@Example.org").get_data(as_text=True)
    generic = "Dieser Benutzername oder diese E-Mail-Adresse kann nicht verwendet werden"
    assert generic in by_name and generic in by_email
    for page in (by_name, by_email):
        assert "Already exists" not in page and "existiert bereits" not in page
        assert "Caritas" not in page
    assert _user_by_name(ctx, "t_fresh") is None


def _user_by_name(ctx, username):
    from flask_appbuilder.security.sqla.models import User

    return ctx.query(User).filter_by(username=username).one_or_none()


def test_mixed_roles_scope_orm_and_writes(app, ctx, member, factories):
    """Staff at migra, Management at caritas-md: names at migra, figures at both, writes at migra."""
    from app.clients.models import Client
    from app.core.errors import ScopeError
    from app.extensions import db
    from app.security.scoping import aggregate_scope, current_scope, scope_for_user
    from app.trainings.models import Training

    factories.client(partner="migra", last_name="MigraPerson")
    factories.client(partner="caritas-md", last_name="CaritasPerson")
    factories.training(partner="caritas-md", title="CaritasTraining")
    user_id = member("t_mixed", migra="Staff", caritas_md="Management")
    scope = scope_for_user(ctx, _user(ctx, user_id))
    migra, caritas = _partner_id(ctx, "migra"), _partner_id(ctx, "caritas-md")
    assert (scope.partner_ids, scope.aggregate_ids, scope.write_ids, scope.admin_ids) == (
        {migra}, {migra, caritas}, {migra}, frozenset())

    from app.security.scoping import explicit_scope

    with app.app_context(), explicit_scope(scope):
        session = db.session
        assert {c.last_name for c in session.query(Client)} == {"MigraPerson"}
        assert [t.title for t in session.query(Training)] == ["CaritasTraining"]
        with aggregate_scope():
            assert current_scope().partner_ids == {migra, caritas}
            assert {c.last_name for c in session.query(Client)} == {"MigraPerson", "CaritasPerson"}
        assert {c.last_name for c in session.query(Client)} == {"MigraPerson"}
        # A training for caritas-md (Management there) is refused; migra (Staff) is allowed.
        session.add(Training(partner_id=caritas, **_training_fields()))
        with pytest.raises(ScopeError):
            session.flush()
        session.rollback()
        session.remove()


def _training_fields():
    from datetime import date

    return dict(date=date(2013, 6, 4), title="t", target_institution="jobcenter", hours=1,
                participants_female=0, participants_male=0, participants_diverse=0)


def test_the_account_rule_holds_outside_the_form_too(app, ctx, member):
    """Any code path, not only the user form: a PartnerAdmin's flush of a shared account is refused."""
    from flask_appbuilder.security.sqla.models import User

    from app.core.errors import DomainError
    from app.extensions import db
    from app.security.scoping import Scope, explicit_scope

    shared = member("t_cstaff", migra="Staff", caritas_md="Staff")
    own = member("t_mstaff", migra="Staff")
    migra = frozenset({_partner_id(ctx, "migra")})
    padmin = Scope(migra, user_id=None, roles=frozenset({"PartnerAdmin"}), label="t_padmin",
                   aggregate_ids=migra, admin_ids=migra, write_ids=frozenset())
    with app.app_context(), explicit_scope(padmin):
        db.session.get(User, shared).active = False
        with pytest.raises(DomainError):
            db.session.flush()
        db.session.rollback()
        db.session.get(User, own).active = False  # a user of migra alone: allowed
        db.session.commit()
        db.session.remove()
    assert _user(ctx, shared).active is True and _user(ctx, own).active is False


def test_audit_trail_page_shows_account_events(client, ctx, member, make_user):
    from werkzeug.security import generate_password_hash

    staff = member("t_mstaff", migra="Staff")
    user = _user(ctx, staff)
    user.password = generate_password_hash("Another-Passw0rd-42")
    user.first_name = "Renamed"
    ctx.commit()
    [event] = rows(ctx, AuditEvent, table_name="ab_user", record_id=str(staff), action="update")
    make_user("t_admin", "Admin")
    _login(client, "t_admin")
    page = client.get(f"/auditeventview/show/{event.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Renamed" in html and "pbkdf2" not in html and "scrypt" not in html
