"""User administration per partner: who may create whom, for which partners and roles."""
from app.security.models import Membership
from tests.conftest import PASSWORD, post_form


def _user(ctx, username):
    from flask_appbuilder.security.sqla.models import User

    return ctx.query(User).filter_by(username=username).one_or_none()


def _new_user_form(ctx, username, role, partner_codes):
    from app.partners.models import Partner

    ids = [str(ctx.query(Partner.id).filter_by(code=c).scalar()) for c in partner_codes]
    choices = [f"{pid}:{role}" for pid in ids] if role != "Admin" else ["network:Admin"]
    return {"username": username, "first_name": "Neu", "last_name": "Person", "email": f"{username}@example.org",
            "membership_set": choices, "active": "y", "password": PASSWORD + "Xy9",
            "conf_password": PASSWORD + "Xy9"}


def test_partner_admin_creates_staff_for_own_partner(login_as, client, ctx):
    login_as("t_padmin", "PartnerAdmin", ["migra"])
    response = post_form(client, "/partnerusers/add", _new_user_form(ctx, "t_newstaff", "Staff", ["migra"]))
    assert response.status_code == 302
    user = _user(ctx, "t_newstaff")
    assert user is not None and [r.name for r in user.roles] == ["Staff"]
    assert [(m.partner.code, m.role) for m in ctx.query(Membership).filter_by(user_id=user.id)] == [("migra", "Staff")]


def test_partner_admin_cannot_grant_admin_or_other_partner(login_as, client, ctx):
    login_as("t_padmin", "PartnerAdmin", ["migra"])
    post_form(client, "/partnerusers/add", _new_user_form(ctx, "t_evil1", "Admin", []), form_url="/partnerusers/add")
    post_form(client, "/partnerusers/add", _new_user_form(ctx, "t_evil2", "Staff", ["genres"]))
    post_form(client, "/partnerusers/add", _new_user_form(ctx, "t_evil3", "PartnerAdmin", ["migra"]))
    assert _user(ctx, "t_evil1") is None
    assert _user(ctx, "t_evil2") is None
    assert _user(ctx, "t_evil3") is None


def test_partner_admin_sees_only_users_of_own_partners(login_as, make_user, client, ctx):
    make_user("t_mine", "Staff", ["migra"])
    other = make_user("t_theirs", "Staff", ["genres"])
    login_as("t_padmin", "PartnerAdmin", ["migra"])
    page = client.get("/partnerusers/list/").get_data(as_text=True)
    assert "t_mine" in page and "t_theirs" not in page
    assert client.get(f"/partnerusers/show/{other}").status_code == 404
    assert client.get(f"/partnerusers/edit/{other}").status_code == 404


def test_partner_admin_deactivates_own_staff(login_as, make_user, client, ctx):
    from app.partners.models import Partner

    staff = make_user("t_leaving", "Staff", ["migra"])
    login_as("t_padmin", "PartnerAdmin", ["migra"])
    migra = str(ctx.query(Partner.id).filter_by(code="migra").scalar())
    response = post_form(client, f"/partnerusers/edit/{staff}",
                         {"first_name": "Ex", "last_name": "Staff", "email": "t_leaving@example.org",
                          "membership_set": [f"{migra}:Staff"]})
    assert response.status_code == 302
    ctx.expire_all()
    assert _user(ctx, "t_leaving").active is False


def test_staff_cannot_open_user_admin(login_as, client):
    login_as("t_staff", "Staff", ["migra"])
    response = client.get("/partnerusers/list/")
    assert response.status_code in (302, 403)


def test_refused_grant_keeps_the_form_and_says_why(login_as, client, ctx):
    login_as("t_padmin", "PartnerAdmin", ["migra"])
    response = post_form(client, "/partnerusers/add", _new_user_form(ctx, "t_keepme", "Staff", ["genres"]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="t_keepme"' in html  # what the admin typed is still there
    assert _user(ctx, "t_keepme") is None
