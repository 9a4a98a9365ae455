"""Playwright in Debian's Chromium (issue 9, item 9): the Admin sees the app's own user administration
and no stock FAB security pages; the profile page reads like the app and its buttons work for Staff."""
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def test_admin_has_no_stock_security_pages(page, live_server, make_user):
    make_user("t_prof_admin", "Admin", ())
    log_in(page, live_server, "t_prof_admin", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    page.goto(f"{live_server}/")
    menus = page.locator(".navbar-nav > li > a.dropdown-toggle").all_inner_texts()
    assert "Verwaltung" in [m.strip() for m in menus] and not any("Sicherheit" in m for m in menus)
    page.click("a.dropdown-toggle:has-text('Verwaltung')")
    assert page.locator(".dropdown-menu a[href='/partnerusers/list/']").is_visible()
    for path in ("/users/list/", "/groups/list/", "/permissionviews/list/"):
        assert page.goto(f"{live_server}{path}").status == 404, path


def test_profile_page_and_its_password_button(page, live_server, make_user):
    make_user("t_prof_staff", "Staff", ("migra",))
    log_in(page, live_server, "t_prof_staff", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    page.click(".navbar-right a.dropdown-toggle:has-text('t_prof_staff')")
    page.click(".dropdown-menu a[href*='userinfo']")
    row = page.locator("tr", has=page.locator("th, td", has_text="Aktiv"))
    assert "ja" in row.inner_text() and "True" not in page.inner_text("main")
    assert "Beratungspersonal" in page.inner_text("main") and "[Staff]" not in page.inner_text("main")
    shot(page, "i9-profile-de")
    page.click("a:has-text('Mein Passwort zurücksetzen')")
    page.wait_for_url("**/resetmypassword/form")
    assert page.locator("#current_password").count() == 1
    page.goto(f"{live_server}/lang/en")
    page.goto(f"{live_server}/users/userinfo/")
    assert "Active" in page.inner_text("main") and "yes" in page.inner_text("main")
    shot(page, "i9-profile-en")
