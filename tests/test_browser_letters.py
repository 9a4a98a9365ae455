"""Playwright in Debian's Chromium: the letter language chosen by keyboard next to the confirmation
button on the case page (issue 9, item 7); the letter opens in that language with the postal address."""
import io
from datetime import date

from pypdf import PdfReader

from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def test_letter_language_by_keyboard(page, live_server, make_user, factories):
    person = factories.client(first_name="Olena", last_name="Kovalenko", counselling_language="ru",
                              street="Lange Straße 12a", postcode="18055", city="Rostock")
    case = factories.case(client=person, opened_on=date(2013, 10, 14), qualification_country="PL")
    factories.contact(case)
    case_id = case.id
    make_user("t_pw_staff", "Staff", ["migra"])
    log_in(page, live_server, "t_pw_staff", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    page.goto(f"{live_server}/caseview/show/{case_id}")
    # The select is labelled and preselects the client's counselling language.
    assert page.inner_text("label[for=iq-letter-lang]") == "Briefsprache"
    assert page.eval_on_selector("#iq-letter-lang", "s => s.value") == "ru"
    shot(page, "h9-letter-language-select")
    page.focus("#iq-letter-lang")
    page.keyboard.type("Eng")  # typing a name picks the option, as in every select
    assert page.eval_on_selector("#iq-letter-lang", "s => s.value") == "en"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "iq-letter-submit"
    with page.expect_request(lambda request: "/confirmation.pdf" in request.url) as requested:
        page.keyboard.press("Enter")
    url = requested.value.url
    assert url.endswith(f"/cases/{case_id}/confirmation.pdf?lang=en")
    response = page.context.request.get(url)  # the same session's cookies
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Confirmation of recognition counselling" in text and "Poland" in text
    assert "Olena Kovalenko Lange Straße 12a 18055 Rostock" in text
