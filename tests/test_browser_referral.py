"""Playwright in Debian's Chromium: the README's "Done when" walk-through of issue 12 — migra's staff refer a
client to SPI, SPI's staff see the badge and the inbox, accept, and both partners' audit trails show each step."""
from datetime import date

from sqlalchemy import select

from app.catalogues.models import ReferenceOccupation
from app.clients.models import Client
from app.referrals.models import Referral, ReferralIntake
from tests.api_support import rows
from tests.browser_support import browser, live_server, log_in, needs_chromium, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def _tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    return context, context.new_page()


def test_refer_from_migra_to_spi_accept_and_find_every_step_in_both_audit_trails(
        browser, live_server, make_user, ctx, factories):
    person = factories.client(partner="migra", first_name="Oksana", last_name="Melnyk", birth_date=date(1981, 9, 4))
    factories.consent(person, purpose="referral", given_on=date(2013, 5, 2))
    occupation = ctx.scalars(select(ReferenceOccupation).order_by(ReferenceOccupation.id)).first()
    factories.case(client=person, reference_occupation_id=occupation.id)
    ctx.commit()
    person_id = person.id
    spi = factories.partner("spi")
    for name, role, partner in (("t_pw_migra", "Staff", "migra"), ("t_pw_spi", "Staff", "spi"),
                                ("t_pw_pa_migra", "PartnerAdmin", "migra"), ("t_pw_pa_spi", "PartnerAdmin", "spi")):
        make_user(name, role, [partner])
    base = live_server

    # 1. migra's staff refer the client from its page.
    context, page = _tab(browser)
    log_in(page, base, "t_pw_migra", PASSWORD)
    page.goto(f"{base}/clientview/show/{person_id}")
    page.click("#iq-refer")
    page.wait_for_url("**/referrals/new**")
    page.select_option("#to_partner", str(spi.id))
    page.select_option("#case", index=1)
    page.select_option("#offer", "adaptation_qualification")
    page.fill("#reason", "Anpassungsqualifizierung Pflege")
    shot(page, "h12-referral-form")
    page.click("#iq-referral-send")
    page.wait_for_url("**/referrals/")
    [referral] = rows(ctx, Referral)
    assert page.locator(f"#iq-sent-{referral.id}").inner_text().count("SPI GmbH") == 1
    context.close()

    # 2. SPI's staff see the badge, open the inbox from the Counselling menu and accept.
    context, page = _tab(browser)
    log_in(page, base, "t_pw_spi", PASSWORD)
    assert page.locator(".iq-referral-badge").first.inner_text() == "1"
    page.click("a.dropdown-toggle:has-text('Counselling')")
    page.click("a[href='/referrals/']")
    page.wait_for_url("**/referrals/")
    row = page.locator(f"#iq-received-{referral.id}")
    assert "O. M." in row.inner_text() and "migra e.V." in row.inner_text()
    assert "Melnyk" not in page.content() and "Oksana" not in page.content()
    shot(page, "h12-referral-inbox")
    row.locator(".iq-accept-button").click()
    page.wait_for_load_state()
    assert "accepted" in page.locator(f"#iq-received-{referral.id}").inner_text()
    [intake] = rows(ctx, ReferralIntake, referral_id=referral.id)
    assert rows(ctx, Client, id=intake.client_id)[0].partner_id == spi.id
    assert page.locator(".iq-referral-badge").count() == 0
    shot(page, "h12-referral-accepted")
    context.close()

    # 3. Both partners' audit trails show the referral created and changed (accepted).
    for admin in ("t_pw_pa_migra", "t_pw_pa_spi"):
        context, page = _tab(browser)
        log_in(page, base, admin, PASSWORD)
        page.goto(f"{base}/auditeventview/list/?_flt_0_table_name=referral")
        text = page.inner_text("main")
        assert "Referral created" in text and "Referral changed" in text, (admin, text[:2000])
        shot(page, f"h12-audit-{admin}")
        context.close()
