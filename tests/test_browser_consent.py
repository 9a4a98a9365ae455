"""Playwright in Debian's Chromium: recording a counselling consent for an anonymously counselled
client, adding the names, withdrawing the consent, and the clear refusal of personal fields after it."""
from datetime import date

from app.clients.consent import Consent
from app.clients.models import Client
from app.security.models import AuditEvent
from tests.api_support import rows
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def _edit_names(page, base, client_id, first, last):
    page.goto(f"{base}/clientview/edit/{client_id}")
    if page.locator('a[href="#Home"]').count():  # FAB keeps the last tab (here: Consents) open
        page.click('a[href="#Home"]')
    page.fill("#first_name", first)
    page.fill("#last_name", last)
    page.locator("form:has(#last_name) button[type=submit]").first.click()
    page.wait_for_load_state()


def test_record_a_consent_add_names_withdraw_and_be_refused(page, live_server, make_user, ctx, factories):
    record = factories.anonymous(partner="migra")
    client_id = record.id
    make_user("t_pw_consent", "Staff", ["migra"])
    log_in(page, live_server, "t_pw_consent", PASSWORD)
    base = live_server

    # Without a consent the names are refused with the clear message.
    _edit_names(page, base, client_id, "Amina", "Haddad")
    assert "Without a counselling consent" in page.content()
    assert rows(ctx, Client, id=client_id)[0].last_name is None

    # Record the consent from the client page (tab "Consents", add).
    page.goto(f"{base}/clientview/show/{client_id}")
    page.click('a[href="#ConsentView"]')
    page.click(f'a[href*="/consentview/add"][href*="{client_id}"]')
    page.wait_for_url("**/consentview/add**")
    page.select_option("#purpose", "counselling")
    page.fill("#given_on", date.today().isoformat())
    page.keyboard.press("Escape")  # closes a date picker, if one opened
    page.select_option("#given_how", "verbal")
    shot(page, "h11-record-consent")
    page.locator("form:has(#given_how) button[type=submit]").first.click()
    page.wait_for_load_state()
    [consent] = rows(ctx, Consent, client_id=client_id)
    assert (consent.purpose, consent.given_on, consent.given_how, consent.withdrawn_on) == (
        "counselling", date.today(), "verbal", None)

    # Now the names are accepted.
    _edit_names(page, base, client_id, "Amina", "Haddad")
    assert rows(ctx, Client, id=client_id)[0].last_name == "Haddad"

    # Withdraw it (POST with CSRF token from the consent row).
    page.goto(f"{base}/clientview/show/{client_id}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click('a[href="#ConsentView"]')
    page.click("form.iq-withdraw button[type=submit]")
    page.wait_for_load_state()
    shot(page, "h11-consent-withdrawn")
    assert rows(ctx, Consent, client_id=client_id)[0].withdrawn_on == date.today()
    [event] = rows(ctx, AuditEvent, table_name="consent", record_id=str(consent.id), action="withdraw")
    assert event.actor == "t_pw_consent"
    page.click("#iq-history-tab")
    page.wait_for_selector("#iq-history .iq-history-loaded")  # loaded when the tab is opened
    assert "consent withdrawn" in page.inner_text("#iq-history")  # the history tab names it

    # Personal fields are refused from now on, with the clear message; nothing is changed.
    _edit_names(page, base, client_id, "Amina", "Haddad-Said")
    assert "was withdrawn on" in page.content()
    shot(page, "h11-names-refused-after-withdrawal")
    assert rows(ctx, Client, id=client_id)[0].last_name == "Haddad"
