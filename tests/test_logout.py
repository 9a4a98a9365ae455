"""Issue 8: logout is a state change (it ends every session and token of the user, on every
instance), so it is a POST with a CSRF token; GET /logout/ only asks (app.security.account.IqAuthDBView)."""
import re

from tests.conftest import IsolatedClient, csrf_token, post_form
from tests.conftest import PASSWORD

EVIL = {"Referer": "https://evil.example/mail"}


def _stamp(ctx, username):
    from flask_appbuilder.security.sqla.models import User

    ctx.expire_all()
    stamp = ctx.query(User).filter_by(username=username).one().security_stamp
    ctx.rollback()
    return stamp


def _opens(browser, url):
    response = browser.get(url)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _second_browser(app, username):
    app.test_client_class = IsolatedClient
    browser = app.test_client()
    response = post_form(browser, "/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and "/login/" not in response.headers["Location"]
    return browser


def _client_page(factories):
    return f"/clientview/show/{factories.client(partner='migra').id}"


def test_get_logout_only_asks_and_changes_nothing(german_default, app, login_as, client, factories, ctx):
    page = _client_page(factories)
    login_as("t_asked", "Staff", ["migra"])
    other = _second_browser(app, "t_asked")
    stamp = _stamp(ctx, "t_asked")

    response = client.get("/logout/", headers=EVIL)  # what a cross-site link or <img> sends

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Wirklich abmelden?" in html
    form = re.search(r'<form method="post" action="/logout/">(.*?)</form>', html, re.S).group(1)
    assert 'name="csrf_token"' in form and 'type="submit"' in form
    assert _stamp(ctx, "t_asked") == stamp
    assert _opens(client, page) and _opens(other, page)


def test_post_without_a_valid_token_is_refused_and_the_session_stays(
        german_default, app, login_as, client, factories, ctx):
    page = _client_page(factories)
    login_as("t_forged", "Staff", ["migra"])
    other = _second_browser(app, "t_forged")
    stamp = _stamp(ctx, "t_forged")

    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf_token(other, "/logout/")}):
        response = client.post("/logout/", data=data, headers=EVIL)
        assert response.status_code == 400, data
        assert "Formular" in response.get_data(as_text=True)  # the translated CSRF refusal

    assert _stamp(ctx, "t_forged") == stamp
    assert _opens(client, page) and _opens(other, page)


def test_post_with_the_token_logs_out_everywhere(app, login_as, client, factories, ctx):
    page = _client_page(factories)
    login_as("t_leaving", "Staff", ["migra"])
    other = _second_browser(app, "t_leaving")
    stamp = _stamp(ctx, "t_leaving")

    response = client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})

    assert response.status_code == 302
    assert _stamp(ctx, "t_leaving") != stamp
    assert not _opens(client, page) and not _opens(other, page)


def test_the_navbar_logs_out_by_a_post_form(german_default, login_as, client, factories):
    login_as("t_navbar", "Staff", ["migra"])
    html = client.get("/clientview/list/").get_data(as_text=True)
    assert 'href="/logout/"' not in html
    menu = re.search(r'<ul class="dropdown-menu">((?:(?!</ul>).)*action="/logout/".*?)</ul>', html, re.S)
    assert menu is not None
    form = re.search(r'<form method="post" action="/logout/"[^>]*>(.*?)</form>', menu.group(1), re.S).group(1)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', form)
    assert re.search(r'<button type="submit"[^>]*>.*Abmelden</button>', form)
    # The form's token is the session's: submitting the navbar form logs out.
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/logout/", data={"csrf_token": token}).status_code == 302
    assert not _opens(client, "/clientview/list/")


def test_the_confirmation_in_english(login_as, client):
    login_as("t_english", "Staff", ["migra"])
    client.get("/lang/en")
    html = client.get("/logout/").get_data(as_text=True)
    assert "Log out?" in html and "every session and API token" in html and "Wirklich" not in html


def test_get_logout_without_a_session_goes_to_the_start_page(client):
    response = client.get("/logout/")
    assert response.status_code == 302 and "/logout/" not in response.headers["Location"]
