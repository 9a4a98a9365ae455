"""Issue 8.9: one password policy for the UI forms, the API and the CLI (with common passwords)."""
import pytest

from app.security.passwords import common_passwords, password_problem
from tests.conftest import PASSWORD, post_form

# The example: the CLI refused it for user pwtest01, the UI took it.
USERNAME, WITH_NAME = "t_pwtest01", "t_pwtest01ab"
COMMON = "password123"


def _user(ctx, username):
    from flask_appbuilder.security.sqla.models import User

    ctx.expire_all()
    return ctx.query(User).filter_by(username=username).one_or_none()


def test_the_policy():
    assert password_problem(WITH_NAME, USERNAME) == "The password must not contain the user name."
    assert password_problem("PWTEST01-Ab9", "pwtest01") == "The password must not contain the user name."
    assert "commonly used" in password_problem(COMMON, "t_someone")
    assert "commonly used" in password_problem("IloveYou123", None)  # compared in lower case
    assert "commonly used" in password_problem("passwort123", None)  # German additions
    assert password_problem("Beratung2013x", "t_someone") is None
    assert len(common_passwords()) > 8000
    assert all(len(p) >= 8 for p in common_passwords())


def test_messages_are_translated(app, german_default):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("de"):
        assert password_problem(WITH_NAME, USERNAME) == "Das Passwort darf den Benutzernamen nicht enthalten."
        assert "häufigsten" in password_problem(COMMON, None)


def _new_user_form(ctx, username, password):
    from app.partners.models import Partner

    migra = str(ctx.query(Partner.id).filter_by(code="migra").scalar())
    return {"username": username, "first_name": "Neu", "last_name": "Person",
            "email": f"{username}@example.org", "membership_set": [f"{migra}:Staff"],
            "active": "y", "password": password, "conf_password": password}


@pytest.mark.parametrize("password, message", [
    (WITH_NAME, "The password must not contain the user name."),
    (COMMON, "one of the most commonly used passwords"),
])
def test_user_creation_in_the_ui_follows_the_policy(login_as, client, ctx, password, message):
    login_as("t_padmin", "PartnerAdmin", ["migra"])
    response = post_form(client, "/partnerusers/add", _new_user_form(ctx, USERNAME, password))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _user(ctx, USERNAME) is None


def test_fabs_user_view_takes_no_new_user(login_as, client, ctx):
    """FAB's /users/add is gone (app/security/stock_views.py): new users only through the app's form."""
    login_as("t_netadmin", "Admin", ())
    from app.extensions import appbuilder

    role = str(appbuilder.sm.find_role("Staff").id)
    response = post_form(client, "/users/add", {
        "first_name": "Neu", "last_name": "Person", "username": USERNAME, "active": "y",
        "email": f"{USERNAME}@example.org", "roles": [role], "password": WITH_NAME,
        "conf_password": WITH_NAME}, form_url="/partnerusers/add")
    assert response.status_code == 404
    assert _user(ctx, USERNAME) is None


def test_own_password_change_follows_the_policy(login_as, client, ctx):
    login_as(USERNAME, "Staff", ["migra"])
    before = _user(ctx, USERNAME).password
    for weak, message in ((WITH_NAME, "must not contain the user name"), (COMMON, "commonly used")):
        response = post_form(client, "/resetmypassword/form", {
            "current_password": PASSWORD, "password": weak, "conf_password": weak})
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
        assert _user(ctx, USERNAME).password == before


def test_admin_reset_follows_the_policy_of_the_user_concerned(login_as, client, ctx, make_user):
    make_user(USERNAME, "Staff", ["migra"])
    before = _user(ctx, USERNAME).password
    login_as("t_netadmin", "Admin", ())
    pk = _user(ctx, USERNAME).id
    response = post_form(client, f"/resetpassword/form?pk={pk}",
                         {"password": WITH_NAME, "conf_password": WITH_NAME})
    assert response.status_code == 200
    assert "The password must not contain the user name." in response.get_data(as_text=True)
    assert _user(ctx, USERNAME).password == before


def test_the_cli_refuses_the_same_passwords(app, ctx):
    for weak in (WITH_NAME, COMMON):
        result = app.test_cli_runner().invoke(args=["iq", "user-add", USERNAME, "--password", weak,
                                                    "--role", "Staff", "--partner", "migra"])
        assert result.exit_code != 0
        assert password_problem(weak, USERNAME) in result.output
        assert _user(ctx, USERNAME) is None


def test_a_user_created_in_the_ui_gets_the_configured_hash_and_can_log_in(app, login_as, client, ctx):
    from tests.conftest import IsolatedClient

    login_as("t_padmin", "PartnerAdmin", ["migra"])
    good = "Beratung2013x"
    response = post_form(client, "/partnerusers/add", _new_user_form(ctx, USERNAME, good))
    assert response.status_code == 302
    method = app.config["FAB_PASSWORD_HASH_METHOD"]
    assert _user(ctx, USERNAME).password.startswith(method + "$")
    app.test_client_class = IsolatedClient
    login = post_form(app.test_client(), "/login/", {"username": USERNAME, "password": good})
    assert login.status_code == 302 and "/login/" not in login.headers["Location"]
