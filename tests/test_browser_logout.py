"""Playwright in Debian's Chromium: the navbar's logout is a POST button that looks like the menu
item next to it and works by keyboard (issue 8: GET /logout/ changes nothing)."""
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def test_logout_from_the_user_menu_by_keyboard(page, live_server, make_user):
    make_user("t_menu_leaver", "Staff", ("migra",))
    log_in(page, live_server, "t_menu_leaver", PASSWORD)
    page.goto(f"{live_server}/clientview/list/")
    page.focus("a.dropdown-toggle:has(.fa-user)")
    page.keyboard.press("Enter")                 # opens the user menu
    page.keyboard.press("Tab")                   # "Profile"
    page.keyboard.press("Tab")                   # "Logout"
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.type,"
                            " document.activeElement.form && document.activeElement.form.method]")
    assert focused == ["BUTTON", "submit", "post"]
    button = page.locator(".dropdown-menu .iq-menu-button")
    profile = page.locator(".dropdown-menu a[href*='userinfo']")
    assert button.is_visible()
    # Looks like the menu link above it: same width, same left edge, left-aligned text, no frame.
    assert button.bounding_box()["width"] == profile.bounding_box()["width"]
    assert button.bounding_box()["x"] == profile.bounding_box()["x"]
    style = button.evaluate("b => { const s = getComputedStyle(b);"
                            " return [s.textAlign, s.borderTopStyle, s.paddingLeft]; }")
    assert style == ["left", "none", "20px"]
    shot(page, "logout-menu")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/clientview/" not in url)
    page.goto(f"{live_server}/clientview/list/")
    assert "/login/" in page.url                 # the session has ended
