"""Accessibility (issue 9, item 11): axe-core (shipped by axe-playwright-python, no download) on the
German login page, lists, "Neue Beratung", the case page, the follow-up contact form, the home page and
the dashboard: no violation of impact "critical" or "serious", and every form field has a label."""
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium

AXE = Axe()
SEVERE = {"critical", "serious"}

# Fields without a label: every input, select and textarea (not hidden inputs, not buttons, which their
# value names, not the native <select> that select2 hides behind its own box) needs an accessible name
# from <label for>, a wrapping <label>, aria-labelledby or aria-label (a title or placeholder is none).
UNLABELLED_FIELDS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)
                && !el.closest('[aria-hidden="true"]')
                && !(el.classList.contains('select2-hidden-accessible') && el.nextElementSibling
                     && el.nextElementSibling.classList.contains('select2')))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => id && document.getElementById(id)
                     && document.getElementById(id).textContent.trim()))
  .map(el => el.outerHTML.slice(0, 160))"""


def _severe(results):
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(
            f"{' '.join(map(str, n['target']))}: {' '.join(n.get('failureSummary', '').split())}"
            for n in v["nodes"][:6])
        for v in results.response["violations"] if v["impact"] in SEVERE
    ]


def check_page(page, name, lang="de"):
    """axe on the page as it is now, a screenshot of it (a11y-<name>.png in the screenshot folder, tests/browser_support.py), the label
    check and the page's language."""
    shot(page, f"a11y-{name}")
    results = AXE.run(page)
    assert page.evaluate("document.documentElement.lang") == lang
    severe = _severe(results)
    assert not severe, f"{name}:\n" + "\n".join(severe)
    unlabelled = page.evaluate(UNLABELLED_FIELDS)
    assert not unlabelled, f"{name}, fields without a label:\n" + "\n".join(unlabelled)
    return results


def _german(page, live_server):
    page.goto(f"{live_server}/lang/de")


def test_login_page(page, live_server):
    _german(page, live_server)
    page.goto(f"{live_server}/login/")
    check_page(page, "login")
    assert page.get_attribute(".navbar-right .dropdown-toggle", "aria-label") == "Sprache: Deutsch"


def test_login_page_in_english_names_its_language(page, live_server):
    page.goto(f"{live_server}/lang/en")
    page.goto(f"{live_server}/login/")
    check_page(page, "login-en", lang="en")


@pytest.fixture
def staff_page(page, live_server, make_user):
    make_user("t_a11y_staff", "Staff", ["migra"])
    log_in(page, live_server, "t_a11y_staff", PASSWORD)
    _german(page, live_server)
    return page


def test_home_page(staff_page, live_server, factories):
    factories.case(opened_on=date(2013, 10, 14))
    staff_page.goto(f"{live_server}/")
    check_page(staff_page, "home-staff")


def test_case_and_client_lists(staff_page, live_server, factories):
    factories.case(client=factories.client(first_name="Olena", last_name="Kovalenko"), opened_on=date(2013, 10, 14))
    staff_page.goto(f"{live_server}/caseview/list/")
    check_page(staff_page, "case-list")
    staff_page.goto(f"{live_server}/clientview/list/")
    check_page(staff_page, "client-list")


def test_case_list_with_open_filters(staff_page, live_server, factories):
    """The search panel's filter rows (FAB's ab_filters.js builds them): each operator and value is
    named by its column."""
    factories.case(opened_on=date(2013, 1, 1))
    staff_page.goto(f"{live_server}/caseview/list/?_flt_0_opened_on=01.01.2013&_flt_0_status=open"
                    "&_flt_2_qualification_title=Ing")
    staff_page.click("a.accordion-toggle[href='#accordion1_href']")  # "Suche"
    staff_page.wait_for_selector("#accordion1_href.collapse.in")
    check_page(staff_page, "case-list-filters")
    title = staff_page.locator("table.filters tr", has=staff_page.locator("input[name=_flt_2_qualification_title]"))
    column = title.locator(".remove-filter").inner_text().replace("×", "").strip()
    assert column and title.locator(".filter_val").get_attribute("aria-label") == column
    assert title.locator("select.filter-op").get_attribute("aria-label") == f"{column}: Vergleich"


def test_quick_entry(staff_page, live_server, factories):
    existing = factories.client(first_name="Mirela", last_name="Dragomir")
    number = existing.client_number
    staff_page.goto(f"{live_server}/entry/")
    check_page(staff_page, "quick-entry")
    # select2's box and its search field are named by the field's label ("Ratsuchende(r)")
    label = staff_page.inner_text("label[for=client]").strip()
    box = staff_page.locator("#client + .select2 .select2-selection")
    assert label and label in box.evaluate("el => el.getAttribute('aria-labelledby')"
                                           ".split(' ').map(id => document.getElementById(id).textContent).join(' ')")
    box.focus()
    staff_page.keyboard.press("Enter")  # opens the list, the search box has the focus
    search = staff_page.locator(".select2-container--open .select2-search__field")
    search.wait_for()
    assert search.get_attribute("aria-label") == label
    check_page(staff_page, "quick-entry-client-search")
    assert staff_page.inner_text("#iq-select2-status") == "Bitte mindestens ein Zeichen eingeben."
    staff_page.keyboard.type("Dragom")
    staff_page.wait_for_selector(f".select2-results__option:has-text('{number}')")
    check_page(staff_page, "quick-entry-client-found")


def test_case_page_and_follow_up_contact_form(staff_page, live_server, factories):
    case = factories.case(client=factories.client(first_name="Olena", last_name="Kovalenko"),
                          opened_on=date(2013, 10, 14))
    case_id = case.id
    staff_page.goto(f"{live_server}/caseview/show/{case_id}")
    check_page(staff_page, "case-page")
    staff_page.goto(f"{live_server}/contactview/add?_flt_0_case={case_id}")
    check_page(staff_page, "follow-up-contact")


def test_dashboard(page, live_server, make_user, factories):
    factories.case(opened_on=date(2013, 10, 14))
    make_user("t_a11y_mgmt", "Management", ["migra"])
    log_in(page, live_server, "t_a11y_mgmt", PASSWORD)
    _german(page, live_server)
    page.goto(f"{live_server}/")
    check_page(page, "home-management")
    page.goto(f"{live_server}/reports/dashboard")
    check_page(page, "dashboard")
