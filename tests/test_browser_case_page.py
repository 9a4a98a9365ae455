"""Playwright in Debian's Chromium: the follow-up contact from the case page by keyboard (issue 9,
item 6), the case page with the client's name, edit and close (item 5), readable audit trail (item 9)."""
from datetime import date

from sqlalchemy import select

from app.cases.models import Case, Contact
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def test_follow_up_contact_by_keyboard_from_the_case_page(page, live_server, make_user, ctx, factories):
    case = factories.case(client=factories.client(first_name="Olena", last_name="Kovalenko"),
                          opened_on=date(2013, 10, 14))
    case_id, number = case.id, case.client.client_number
    make_user("t_pw_mgmt", "Management", ["migra"])
    make_user("t_pw_padmin", "PartnerAdmin", ["migra"])
    make_user("t_pw_colleague", "Staff", ["migra"])
    make_user("t_pw_staff", "Staff", ["migra"])
    log_in(page, live_server, "t_pw_staff", PASSWORD)
    page.goto(f"{live_server}/lang/de")  # German screenshots
    page.goto(f"{live_server}/caseview/show/{case_id}")
    assert page.inner_text("a.iq-client-link") == f"Kovalenko, Olena ({number})"
    shot(page, "h9-case-page-with-client-edit-close")
    page.click("#iq-add-follow-up")
    page.wait_for_url("**/contactview/add?_flt_0_case=*")
    header = page.inner_text("#iq-contact-case")
    assert f"#{case_id}" in header and "Kovalenko, Olena" in header
    assert page.evaluate("document.activeElement.id") == "date"  # no Tab needed
    offered = page.eval_on_selector_all("#counsellor option", "options => options.map(o => o.textContent)")
    assert sorted(offered) == sorted(["—", "t_pw_staff Test", "t_pw_colleague Test"])
    assert page.eval_on_selector("#counsellor", "s => s.options[s.selectedIndex].textContent") == "t_pw_staff Test"
    shot(page, "h9-follow-up-contact-form")
    page.keyboard.type("2013-10-21")
    page.keyboard.press("Escape")  # closes a date picker, if one opened
    page.focus("#minutes")
    page.keyboard.type("30")
    page.keyboard.press("Enter")  # saves
    page.wait_for_selector(".alert-success")
    ctx.rollback()
    contact = ctx.execute(select(Contact).where(Contact.case_id == case_id)).unique().scalar_one()
    assert (contact.date, contact.kind, contact.minutes, contact.counsellor.username) == \
        (date(2013, 10, 21), "follow_up", 30, "t_pw_staff")


def test_foreign_case_id_gives_a_clear_404(page, live_server, make_user, factories):
    case = factories.case()
    make_user("t_pw_other", "Staff", ["genres"])
    log_in(page, live_server, "t_pw_other", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    response = page.goto(f"{live_server}/contactview/add?_flt_0_case={case.id}")
    assert response.status == 404
    assert f"#{case.id}" in page.inner_text(".alert-danger")
    shot(page, "h9-follow-up-contact-foreign-case-404")


def test_close_case_from_the_case_page(page, live_server, make_user, ctx, factories):
    case = factories.case(opened_on=date(2013, 3, 14), outcome=None)
    case_id = case.id
    make_user("t_pw_staff", "Staff", ["migra"])
    log_in(page, live_server, "t_pw_staff", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    page.goto(f"{live_server}/caseview/show/{case_id}")
    page.click("#iq-close-case-toggle")
    page.wait_for_selector("#iq-close-case-submit", state="visible")
    page.select_option("#iq-close-outcome", "application_filed")
    page.fill("#iq-close-closed-on", "20.06.2013")
    shot(page, "h9-close-case-form")
    page.click("#iq-close-case-submit")
    page.wait_for_selector(".alert-success")
    ctx.rollback()
    closed = ctx.execute(select(Case).where(Case.id == case_id)).unique().scalar_one()
    assert (closed.status, closed.closed_on, closed.outcome) == ("closed", date(2013, 6, 20), "application_filed")
    shot(page, "h9-case-closed")


def test_audit_trail_screens(page, live_server, make_user, factories):
    case = factories.case(outcome="on_hold")
    case.outcome = "application_filed"
    factories.session.commit()
    factories.funding(planned_amount=20000)
    make_user("t_pw_admin", "Admin", [])
    log_in(page, live_server, "t_pw_admin", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    page.goto(f"{live_server}/auditeventview/list/")
    assert "counselling_case" not in page.inner_text("body")
    shot(page, "h9-audit-trail-list")
    # the change of the case (not whichever event is newest, e.g. the test user's creation)
    page.locator("tr", has_text="Beratungsfall geändert").locator("a[href*='/auditeventview/show/']").click()
    page.wait_for_selector(".iq-audit-changes")
    shot(page, "h9-audit-event")
    page.goto(f"{live_server}/fundingview/list/")
    shot(page, "h9-funding-money")
