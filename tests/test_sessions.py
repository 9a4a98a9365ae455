"""Issue 8.5: sessions and tokens end on logout, password change and deactivation (security stamp)."""
import base64
import json

from tests.conftest import PASSWORD, IsolatedClient, csrf_token, logout, post_form

NEW_PASSWORD = "Neues-Kennwort-2014x"


def _browser(app):
    """One more browser (its own cookie jar) on the same app."""
    app.test_client_class = IsolatedClient
    return app.test_client()


def _ui_login(browser, username, password=PASSWORD):
    response = post_form(browser, "/login/", {"username": username, "password": password})
    assert response.status_code == 302 and "/login/" not in response.headers["Location"]  # not refused
    return browser


def _opens(browser, url):
    """True if the page opens for a logged-in user (not the redirect to the login form)."""
    response = browser.get(url)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _api_login(client, username, password=PASSWORD, refresh=False):
    response = client.post("/api/v1/security/login", json={"username": username, "password": password,
                                                           "provider": "db", "refresh": refresh})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _user(ctx, username):
    from flask_appbuilder.security.sqla.models import User

    ctx.expire_all()
    return ctx.query(User).filter_by(username=username).one()


def test_session_cookie_captured_before_logout_opens_nothing_afterwards(login_as, client, factories):
    record = factories.client(partner="migra")
    page = f"/clientview/show/{record.id}"
    login_as("t_leaver", "Staff", ["migra"])
    assert _opens(client, page)
    captured = client.get_cookie("session").value

    assert logout(client).status_code == 302
    assert not _opens(client, page)
    # The attacker replays the cookie of before the logout.
    client.set_cookie("session", captured)
    assert not _opens(client, page)
    assert not _opens(client, "/clientview/list/")


def test_logout_ends_every_session_and_token_of_the_user(app, login_as, client, factories):
    record = factories.client(partner="migra")
    page = f"/clientview/show/{record.id}"
    login_as("t_twice", "Staff", ["migra"])
    second = _ui_login(_browser(app), "t_twice")
    token = _api_login(client, "t_twice", refresh=True)
    assert _opens(second, page)
    assert client.get("/api/v1/client/", headers=_bearer(token["access_token"])).status_code == 200

    logout(client)

    assert not _opens(second, page)
    refused = client.get("/api/v1/client/", headers=_bearer(token["access_token"]))
    assert refused.status_code == 401
    assert "no longer valid" in refused.get_json()["message"]
    assert client.post("/api/v1/security/refresh", headers=_bearer(token["refresh_token"])).status_code == 401


def test_api_logout_ends_the_token_and_the_browser_session(app, login_as, client, make_user):
    login_as("t_apiout", "Staff", ["migra"])
    api = _browser(app)
    token = _api_login(api, "t_apiout", refresh=True)["access_token"]
    assert api.get("/api/v1/client/", headers=_bearer(token)).status_code == 200

    response = api.post("/api/v1/security/logout", headers=_bearer(token))
    assert response.status_code == 200

    assert api.get("/api/v1/client/", headers=_bearer(token)).status_code == 401
    assert api.post("/api/v1/security/logout", headers=_bearer(token)).status_code == 401
    assert not _opens(client, "/clientview/list/")
    # Logging in again works as before.
    fresh = _api_login(api, "t_apiout")["access_token"]
    assert api.get("/api/v1/client/", headers=_bearer(fresh)).status_code == 200


def test_refresh_token_issues_nothing_after_a_password_change(app, client, make_user, ctx):
    make_user("t_refresher", "Staff", ["migra"])
    tokens = _api_login(client, "t_refresher", refresh=True)
    renewed = client.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"]))
    assert renewed.status_code == 200
    assert client.get("/api/v1/client/", headers=_bearer(renewed.get_json()["access_token"])).status_code == 200

    from app.security.users import reset_password

    reset_password(ctx, app.appbuilder.sm, _user(ctx, "t_refresher"), NEW_PASSWORD)

    assert client.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 401
    for access in (tokens["access_token"], renewed.get_json()["access_token"]):
        assert client.get("/api/v1/client/", headers=_bearer(access)).status_code == 401
    assert _api_login(client, "t_refresher", NEW_PASSWORD)["access_token"]


def test_access_tokens_are_short_lived(app, client, make_user):
    make_user("t_short", "Staff", ["migra"])
    token = _api_login(client, "t_short")["access_token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert app.config["JWT_REFRESH_TOKEN_EXPIRES"] <= 12 * 3600


def test_own_password_change_asks_for_the_current_password(app, login_as, client, ctx):
    login_as("t_changer", "Staff", ["migra"])
    other_browser = _ui_login(_browser(app), "t_changer")
    token = _api_login(_browser(app), "t_changer")["access_token"]
    form = client.get("/resetmypassword/form").get_data(as_text=True)
    assert 'name="current_password"' in form
    before = _user(ctx, "t_changer").password

    for current in ("", "not-my-password-1"):
        response = post_form(client, "/resetmypassword/form", {
            "current_password": current, "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
        assert response.status_code == 200
        assert _user(ctx, "t_changer").password == before
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert _opens(other_browser, "/clientview/list/")

    response = post_form(client, "/resetmypassword/form", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _user(ctx, "t_changer").password != before
    # This session goes on; the other browser and the token of before are out.
    assert _opens(client, "/clientview/list/")
    assert not _opens(other_browser, "/clientview/list/")
    assert client.get("/api/v1/client/", headers=_bearer(token)).status_code == 401
    _ui_login(_browser(app), "t_changer", NEW_PASSWORD)


def test_own_password_change_is_translated(app, login_as, client, german_default):
    login_as("t_changer_de", "Staff", ["migra"])
    html = client.get("/resetmypassword/form").get_data(as_text=True)
    assert "Aktuelles Passwort" in html
    response = post_form(client, "/resetmypassword/form", {
        "current_password": "falsch-1234", "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert "Das aktuelle Passwort ist nicht korrekt." in response.get_data(as_text=True)


def test_admin_reset_of_a_password_ends_that_users_sessions(app, login_as, client, make_user, ctx):
    make_user("t_victim", "Staff", ["migra"])
    victim = _ui_login(_browser(app), "t_victim")
    token = _api_login(_browser(app), "t_victim", refresh=True)
    login_as("t_netadmin", "Admin", ())
    pk = _user(ctx, "t_victim").id
    response = post_form(client, f"/resetpassword/form?pk={pk}",
                         {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert not _opens(victim, "/clientview/list/")
    assert victim.post("/api/v1/security/refresh", headers=_bearer(token["refresh_token"])).status_code == 401
    # The admin's own session is untouched.
    assert _opens(client, "/clientview/list/")


def test_deactivation_ends_sessions_and_tokens_also_after_reactivation(app, login_as, client, ctx):
    login_as("t_leaving", "Staff", ["migra"])
    token = _api_login(_browser(app), "t_leaving", refresh=True)
    user = _user(ctx, "t_leaving")
    user.active = False
    ctx.commit()
    user.active = True
    ctx.commit()
    assert not _opens(client, "/clientview/list/")
    assert client.post("/api/v1/security/refresh", headers=_bearer(token["refresh_token"])).status_code == 401
    assert client.get("/api/v1/client/", headers=_bearer(token["access_token"])).status_code == 401


def test_a_session_without_a_stamp_is_no_login(app, login_as, client):
    """Sessions from before the stamp (or forged without one) are refused."""
    from app.security.sessions import SESSION_KEY

    login_as("t_nostamp", "Staff", ["migra"])
    with client.session_transaction() as session:
        session.pop(SESSION_KEY)
    assert not _opens(client, "/clientview/list/")



def test_wrong_current_passwords_count_like_failed_logins(app, login_as, client, ctx):
    """A stolen session cannot guess the current password: the per-user login limit stops it."""
    login_as("t_guesser", "Staff", ["migra"])
    before = _user(ctx, "t_guesser").password
    limit = int(app.config["LOGIN_LIMIT_PER_USER"].split()[0])
    for i in range(limit):
        response = post_form(client, "/resetmypassword/form", {
            "current_password": f"guess-{i}-1234", "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
        assert response.status_code == 200
    response = post_form(client, "/resetmypassword/form", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 429
    assert _user(ctx, "t_guesser").password == before
    refused = client.post("/api/v1/security/login",
                          json={"username": "t_guesser", "password": PASSWORD, "provider": "db"})
    assert refused.status_code == 429


def test_a_weak_new_password_is_no_guess(app, login_as, client, ctx):
    login_as("t_weakling", "Staff", ["migra"])
    limit = int(app.config["LOGIN_LIMIT_PER_USER"].split()[0])
    for _ in range(limit + 1):
        response = post_form(client, "/resetmypassword/form", {
            "current_password": PASSWORD, "password": "short1", "conf_password": "short1"})
        assert response.status_code == 200
    response = post_form(client, "/resetmypassword/form", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302


def test_a_user_from_before_the_stamp_gets_one_at_the_next_login(app, client, make_user, ctx):
    """After the migration existing users have no stamp (NULL): their next login gives them one."""
    from sqlalchemy import text

    make_user("t_oldtimer", "Staff", ["migra"])
    ctx.execute(text("UPDATE ab_user SET security_stamp = NULL WHERE username = 't_oldtimer'"))
    ctx.commit()
    token = _api_login(client, "t_oldtimer")["access_token"]
    stamp = _user(ctx, "t_oldtimer").security_stamp
    assert stamp
    ctx.rollback()
    assert client.get("/api/v1/client/", headers=_bearer(token)).status_code == 200
    _ui_login(client, "t_oldtimer")
    assert _opens(client, "/clientview/list/")
    assert _user(ctx, "t_oldtimer").security_stamp == stamp
