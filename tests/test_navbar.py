"""The navigation menu is rendered once per role set and language (app/core/navbar.py): it must be
exactly FAB's stock menu for every role, never another role's menu, and the referral badge stays per
request (its count differs between users of the same roles)."""
import re

from flask import g, render_template
from flask_login import login_user

from app.core import navbar
from tests.conftest import logout, post_form
from tests.test_referrals import _person, _referral

MENU = re.compile(r'<ul class="nav navbar-nav">(.*?)</ul>\s*<ul class="nav navbar-nav navbar-right">', re.S)


def _menu(page):
    match = MENU.search(page)
    assert match, page[:2000]
    return match.group(1)


def _stock_menu(app, user_id):
    """FAB's template rendered directly, for the same user and language, in a request of its own."""
    from app.extensions import db
    from app.security.scoping import adopt_request_user, resolving_user

    with app.test_request_context("/"):
        with resolving_user():
            user = app.appbuilder.sm.get_user_by_id(user_id)
        login_user(user)
        g.user = user
        adopt_request_user(db.session, user)
        html = render_template("appbuilder/navbar_menu_stock.html", menu=app.appbuilder.menu)
        db.session.remove()
        return html


def _user_id(app, username):
    with app.app_context():
        return app.appbuilder.sm.find_user(username=username).id


def test_kept_menu_is_the_stock_menu_for_each_role(app, client, login_as):
    navbar.forget()
    seen = {}
    for username, role, partners in (("t_nav_staff", "Staff", ("migra",)), ("t_nav_mgmt", "Management", ("migra",)),
                                     ("t_nav_padm", "PartnerAdmin", ("migra",)), ("t_nav_admin", "Admin", ())):
        web = login_as(username, role, partners)
        for _round in range(2):  # rendered, then served from the kept copy
            menu = _menu(web.get("/").get_data(as_text=True))
            assert menu.strip() == _stock_menu(app, _user_id(app, username)).strip(), role
        seen[role] = menu
        logout(web)
    assert len(set(seen.values())) == len(seen)  # four roles, four different menus
    assert "/clientview/list/" in seen["Staff"] and "/clientview/list/" not in seen["Management"]
    # Anonymous (the login page): the public menu, not the last user's.
    anonymous = _menu(client.get("/login/").get_data(as_text=True))
    assert "/clientview/list/" not in anonymous and "/caseview/list/" not in anonymous


def test_menu_language_follows_the_request(app, login_as):
    navbar.forget()
    web = login_as("t_nav_lang", "Staff", ("migra",))
    web.get("/lang/de")
    german = _menu(web.get("/").get_data(as_text=True))
    web.get("/lang/en")
    english = _menu(web.get("/").get_data(as_text=True))
    assert "Ratsuchende" in german and "Ratsuchende" not in english and "Clients" in english


def test_referral_badge_is_per_request_in_the_kept_menu(app, client, api_token, login_as, factories, ctx):
    navbar.forget()
    person, case, _marker = _person(factories, ctx)
    referral_id, _sender = _referral(api_token, client, person, case, factories)
    logout(client)
    receiver = login_as("t_nav_spi", "Staff", ("spi",))
    first = _menu(receiver.get("/").get_data(as_text=True))
    assert first.count('class="badge iq-referral-badge"') == 2  # the category and its item
    assert '>1</span>' in first and navbar.BADGE_MARKER not in first
    logout(receiver)
    other = login_as("t_nav_vsp", "Staff", ("vsp",))  # same role set, kept menu, no open referral
    second = _menu(other.get("/").get_data(as_text=True))
    assert "iq-referral-badge" not in second and navbar.BADGE_MARKER not in second
    assert re.sub(r'\s*<span class="badge iq-referral-badge"[^>]*>1</span>', "", first) == second
    # Declined in this process: the kept count is dropped at once, the badge goes.
    logout(other)
    decliner = api_token("t_nav_spi_api", "Staff", ("spi",))
    assert client.post(f"/api/v1/referral/{referral_id}/decline", json={"reason": "kein Platz"},
                       headers=decliner).status_code == 200
    again = login_as("t_nav_spi2", "Staff", ("spi",))
    assert "iq-referral-badge" not in _menu(again.get("/").get_data(as_text=True))
