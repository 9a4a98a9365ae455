"""Playwright in Debian's Chromium: German dates typed in the standard forms and list filters stay as typed.

FAB's own picker (format yyyy-mm-dd, forceParse) turned 21.10.2013 into 27-04-05 on blur; these
tests type like a counsellor, leave the field with Tab and check what is stored.
"""
from datetime import date

from app.cases.models import Case, Contact
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def _german(page, base, username="t_browser", partners=("migra",), make_user=None):
    make_user(username, "Staff", partners)
    log_in(page, base, username, PASSWORD)
    page.goto(f"{base}/lang/de")


def _type_date(page, selector, text):
    page.focus(selector)
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Tab")  # blur: nothing may rewrite what was typed


def test_follow_up_contact_takes_21_10_2013(page, live_server, make_user, ctx, factories):
    case = factories.case(partner="migra", opened_on=date(2013, 10, 14))
    _german(page, live_server, make_user=make_user)
    page.goto(f"{live_server}/caseview/show/{case.id}")
    page.click("#iq-add-follow-up")
    page.wait_for_selector("input#date")
    page.focus("#date")
    # The picker speaks German and opens inside the programme window (1 July 2011 – 31 Dec 2014).
    picker = page.wait_for_selector(".datepicker-dropdown")
    assert picker.inner_text().startswith("«\nDezember 2014") or "Dezember 2014" in picker.inner_text()
    assert "Mo" in page.inner_text(".datepicker-dropdown .dow")
    page.keyboard.type("21.10.2013")
    assert "Oktober 2013" in page.inner_text(".datepicker-dropdown .datepicker-switch")
    shot(page, "20-follow-up-contact-german-picker")
    page.keyboard.press("Tab")
    assert page.input_value("#date") == "21.10.2013"
    page.click("form#model_form button[type=submit]")
    page.wait_for_selector(".alert-success")
    ctx.expire_all()
    assert [contact.date for contact in ctx.query(Contact).filter_by(case_id=case.id)] == [date(2013, 10, 21)]


def test_case_edit_keeps_an_impossible_date_then_saves_21_10_2013(page, live_server, make_user, ctx, factories):
    case = factories.case(partner="migra", opened_on=date(2013, 10, 14))
    _german(page, live_server, make_user=make_user)
    page.goto(f"{live_server}/caseview/edit/{case.id}")
    assert page.input_value("#opened_on") == "14.10.2013"
    _type_date(page, "#opened_on", "31.02.2013")
    assert page.input_value("#opened_on") == "31.02.2013"
    page.click("form#model_form button[type=submit]")
    page.wait_for_selector("text=„31.02.2013“ ist kein gültiges Datum (TT.MM.JJJJ).")
    assert page.input_value("#opened_on") == "31.02.2013"  # the input is kept
    assert page.locator("text=Dieses Feld wird benötigt").count() == 0
    shot(page, "21-case-edit-impossible-date-kept")
    _type_date(page, "#opened_on", "21.10.2013")
    assert page.input_value("#opened_on") == "21.10.2013"
    page.click("form#model_form button[type=submit]")
    page.wait_for_selector(".alert-success")
    ctx.expire_all()
    assert ctx.get(Case, case.id).opened_on == date(2013, 10, 21)
    page.goto(f"{live_server}/caseview/edit/{case.id}")
    assert page.input_value("#opened_on") == "21.10.2013"


def test_list_filter_opened_on_01_01_2013(page, live_server, make_user, factories):
    wanted = factories.case(partner="migra", opened_on=date(2013, 1, 1))
    other = factories.case(partner="migra", opened_on=date(2013, 2, 1))
    _german(page, live_server, make_user=make_user)
    page.goto(f"{live_server}/caseview/list/")
    page.click("a.accordion-toggle[href='#accordion1_href']")  # "Suche"
    page.click("#filter_form button.dropdown-toggle")
    page.click("#filter_form a.filter[name=opened_on]")
    value = "#filter_form input.filter_val"
    page.wait_for_selector(value)
    _type_date(page, value, "01.01.2013")
    assert page.input_value(value) == "01.01.2013"  # not 01/01/2013
    shot(page, "22-case-list-filter-german-date")
    page.click("#filter_form button[type=submit]")
    page.wait_for_url("**_flt_0_opened_on=01.01.2013**")
    assert page.locator(f"a[href$='/caseview/show/{wanted.id}']").count() >= 1
    assert page.locator(f"a[href$='/caseview/show/{other.id}']").count() == 0
    assert page.input_value(value) == "01.01.2013"
    # A value that is no date says so instead of silently finding nothing.
    page.goto(f"{live_server}/caseview/list/?_flt_0_opened_on=31.02.2013")
    page.wait_for_selector("text=„31.02.2013“ ist kein gültiges Datum (TT.MM.JJJJ).")
    page.click("a.accordion-toggle[href='#accordion1_href']")
    page.wait_for_selector(value, state="visible")
    page.wait_for_selector("#accordion1_href.collapse.in")  # opened, not mid-animation
    assert page.input_value(value) == "31.02.2013"
    shot(page, "23-case-list-filter-unreadable-date")
