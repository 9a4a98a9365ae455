"""Playwright in Debian's Chromium: the start page per role (issue 9 item 10), screenshots in
tests/artifacts/, and axe-core (shipped by axe-playwright-python, no download) without critical or
serious violations in the page's content (the navbar around it is the base layout's)."""
from datetime import date

from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def _serious(page):
    from axe_playwright_python.sync_playwright import Axe

    # The page's own content; the navbar and layout around it are FAB's base template's.
    results = Axe().run(page, context=".iq-home")
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]
            if v["impact"] in ("critical", "serious")]


def test_start_page_per_role_is_accessible(page, live_server, make_user, factories):
    staff = make_user("t_pw_home_staff", "Staff", ["migra"])
    make_user("t_pw_home_mgmt", "Management", ["migra"])
    make_user("t_pw_home_admin", "Admin", [])
    case = factories.case(counsellor_id=staff, opened_on=date(2014, 2, 3),
                          client=factories.client(first_name="Olena", last_name="Kovalenko"))
    factories.contact(case, date=date(2014, 3, 1))
    for username, section, name in (("t_pw_home_staff", "#iq-home-staff", "staff"),
                                    ("t_pw_home_mgmt", "#iq-home-management", "management"),
                                    ("t_pw_home_admin", "#iq-home-admin", "admin")):
        page.context.clear_cookies()
        log_in(page, live_server, username, PASSWORD)
        page.goto(f"{live_server}/lang/de")
        page.goto(f"{live_server}/")
        assert page.is_visible(section)
        assert page.locator("h1").count() == 1
        shot(page, f"h9-home-{name}")
        assert _serious(page) == [], name
    # Staff: the case behind "my open cases" opens from the home page
    page.context.clear_cookies()
    log_in(page, live_server, "t_pw_home_staff", PASSWORD)
    page.goto(f"{live_server}/")
    page.click(f"#iq-my-open-cases a[href='/caseview/show/{case.id}']")
    page.wait_for_url(f"**/caseview/show/{case.id}")
