"""Playwright in Debian's Chromium: the "view as" flow from the user page to the end button (issue 12)."""
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def test_view_as_from_the_user_page_read_only_and_back(german_default, page, live_server, make_user, factories):
    target = make_user("t_seen_staff", "Staff", ("migra",))
    factories.client("migra", last_name="Rostocker")
    factories.client("spi", last_name="Hallenser")
    make_user("t_browser_admin", "Admin")
    log_in(page, live_server, "t_browser_admin", PASSWORD)
    page.goto(f"{live_server}/partnerusers/show/{target}")
    page.click("#iq-view-as-start")
    page.wait_for_load_state()
    banner = page.locator("#iq-view-as-banner")
    assert "Sie sehen die Anwendung als t_seen_staff Test (t_seen_staff) — nur lesen" in banner.inner_text()
    page.goto(f"{live_server}/clientview/list/")
    body = page.locator("main").inner_text()
    assert "Rostocker" in body and "Hallenser" not in body  # the target's partner only
    assert page.locator("#iq-view-as-banner").is_visible()
    shot(page, "40-view-as-banner-client-list")
    # A form of the target's, sent while viewing as: refused, read only.
    page.goto(f"{live_server}/clientview/add")
    page.select_option("#gender", "female")
    page.locator("form#model_form button[type=submit], form button[type=submit].btn-primary").first.click()
    page.wait_for_load_state()
    assert "nur lesen" in page.locator("main").inner_text()
    shot(page, "41-view-as-write-refused")
    page.click("#iq-view-as-end")
    page.wait_for_url(lambda url: "/partnerusers/list/" in url)
    assert page.locator("#iq-view-as-banner").count() == 0
    page.goto(f"{live_server}/clientview/list/")
    assert "Hallenser" in page.locator("main").inner_text()  # the admin's own view again
