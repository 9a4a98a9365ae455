"""Playwright in Debian's Chromium: required fields marked, every missing field reported at once with its label."""
from app.clients.models import Client
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = needs_chromium


def test_client_form_marks_required_fields_and_reports_all_at_once(page, live_server, make_user, ctx):
    make_user("t_browser", "Staff", ("migra",))
    log_in(page, live_server, "t_browser", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    page.goto(f"{live_server}/clientview/add")
    for field in ("birth_date", "citizenship"):
        assert page.locator(f"label[for={field}] strong").inner_text() == "*", field
    # Names are optional: without a counselling consent the client is counselled anonymously.
    assert page.locator("label[for=first_name] strong").count() == 0
    assert page.get_attribute("#birth_date", "aria-required") == "true"
    assert page.get_attribute("#birth_date", "required") is None  # no browser bubble, the server answers
    assert page.get_attribute("#citizenship + .select2 .select2-selection", "aria-required") == "true"
    assert page.locator("label[for=second_citizenship] strong").count() == 0
    # A required select starts empty (no first choice shown as if chosen: "Afghanistan") unless its column
    # has a default, which is preselected ("keine Angabe", not the first choice "weiblich").
    assert page.input_value("#citizenship") == ""
    assert page.locator("#citizenship + .select2 .select2-selection__placeholder").count() == 1
    assert page.input_value("#gender") == "not_stated"
    assert page.inner_text("#gender + .select2 .select2-selection__rendered").strip("×\n ") == "keine Angabe"
    shot(page, "30-client-form-required-marked")
    page.fill("#last_name", "Haddad")
    page.click("form#model_form button[type=submit]")
    page.wait_for_selector(".alert-danger")
    flashed = page.inner_text("body")
    for label in ("Geburtsdatum", "Staatsangehörigkeit"):
        assert flashed.count(f"Das Feld „{label}“ ist erforderlich.") == 2, label  # on top and at the field
    assert "Das Feld birth_date" not in flashed and "Dieses Feld wird benötigt" not in flashed
    assert page.input_value("#last_name") == "Haddad"
    shot(page, "31-client-form-all-errors-at-once")
    ctx.expire_all()
    assert ctx.query(Client).count() == 0


def test_required_selects_in_english(page, live_server, make_user, ctx):
    make_user("t_browser_en", "Staff", ("migra",))
    log_in(page, live_server, "t_browser_en", PASSWORD)
    page.goto(f"{live_server}/lang/en")
    page.goto(f"{live_server}/clientview/add")
    page.fill("#birth_date", "14.03.1985")
    page.click("form#model_form button[type=submit]")
    page.wait_for_selector(".alert-danger")
    body = page.inner_text("body")
    assert body.count("Citizenship is required.") == 2
    assert page.input_value("#birth_date") == "14.03.1985"
    shot(page, "32-client-form-required-selects-en")
    ctx.expire_all()
    assert ctx.query(Client).count() == 0
