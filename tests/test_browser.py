"""Playwright in Debian's Chromium: quick entry by keyboard, duplicates, import all-or-nothing, export."""
import csv
import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from app.cases.models import Case, Contact
from app.clients.models import Client
from tests.browser_support import browser, live_server, log_in, needs_chromium, page, shot  # noqa: F401
from tests.conftest import PASSWORD
from tests.transfer_files import csv_bytes, row

pytestmark = needs_chromium


def _cases(ctx):
    ctx.rollback()
    return ctx.execute(select(Case).order_by(Case.id)).unique().scalars().all()


def _type_new_client(page, first, last, born, citizenship):
    """From the client search field: Tab to the new client's fields and type them; names need the
    counselling consent (issue 11), ticked by keyboard with the current text version preset."""
    for text in (first, last, born):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Tab")          # gender: a native select
    page.keyboard.press("ArrowDown")    # the first gender after "—"
    page.keyboard.press("Tab")
    page.keyboard.type(citizenship)
    for _field in ("country of birth", "counselling language", "counselling consent"):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "counselling_consent"
    page.keyboard.press("Space")


def test_keyboard_only_entry_of_two_cases(page, live_server, make_user, ctx):
    make_user("t_browser", "Staff", ("genres",))
    log_in(page, live_server, "t_browser", PASSWORD)
    page.goto(f"{live_server}/entry/")
    assert page.evaluate("document.activeElement.id") == "opened_on"  # the first field of the paper form
    page.keyboard.type("14.05.2013")
    page.keyboard.press("Tab")          # channel
    page.keyboard.press("ArrowDown")    # phone
    page.keyboard.press("Tab")
    page.keyboard.type("45")            # minutes
    page.keyboard.press("Tab")          # client search: a new client instead
    _type_new_client(page, "Olena", "Kovalenko", "02.03.1986", "Ukraine")
    assert "2013" in page.inner_text("#iq-period")  # derived live from the typed date
    shot(page, "01-quick-entry-first-case")
    page.keyboard.press("Control+Enter")  # save and next
    page.wait_for_selector(".alert-success")
    assert page.input_value("#opened_on") == "14.05.2013" and page.input_value("#first_name") == ""
    assert page.input_value("#channel") == "phone"
    shot(page, "02-quick-entry-saved-and-next")
    assert page.evaluate("document.activeElement.id") == "opened_on"
    for _field in ("channel", "minutes", "client search"):  # the kept date and channel stay as they are
        page.keyboard.press("Tab")
    _type_new_client(page, "Jakub", "Wałęsa", "11.11.1979", "Polen")
    page.keyboard.press("Enter")        # save
    page.wait_for_url("**/caseview/show/*")
    shot(page, "03-quick-entry-second-case")
    cases = _cases(ctx)
    assert [(c.client.last_name, c.opened_on, c.partner.code) for c in cases] == [
        ("Kovalenko", date(2013, 5, 14), "genres"), ("Wałęsa", date(2013, 5, 14), "genres")]
    assert [c.channel for c in ctx.execute(select(Contact)).scalars()] == ["phone", "phone"]
    assert cases[1].client.citizenship == "PL" and cases[0].client.citizenship == "UA"
    from app.clients.consent import has_consent

    assert all(has_consent(case.client, "counselling", on=date(2013, 5, 14)) for case in cases)
    page.goto(f"{live_server}/caseview/list/")
    for case in cases:
        assert page.locator(f"text={case.client.client_number}").count() >= 1
    shot(page, "04-case-list-with-both")


def test_duplicate_warning_and_use_existing(page, live_server, make_user, ctx, factories):
    existing = factories.client(partner="genres", first_name="Ayşe", last_name="Öztürk", birth_date=date(1984, 3, 9))
    make_user("t_browser", "Staff", ("genres",))
    log_in(page, live_server, "t_browser", PASSWORD)
    page.goto(f"{live_server}/entry/")
    page.fill("#opened_on", "03.06.2014")
    page.fill("#first_name", "Ayse")
    page.fill("#last_name", "Oeztuerk")
    page.fill("#birth_date", "09.03.1984")
    page.select_option("#gender", "female")
    page.fill("#citizenship", "TR")
    page.keyboard.press("Enter")
    page.wait_for_selector("#iq-duplicates")
    assert existing.client_number in page.inner_text("#iq-duplicates")
    assert ctx.execute(select(Case)).first() is None
    shot(page, "05-duplicate-warning")
    page.click(".iq-use-client")
    page.wait_for_url("**/caseview/show/*")
    shot(page, "06-duplicate-used-existing")
    ctx.rollback()
    assert ctx.execute(select(Client)).scalars().all() == [existing]
    assert [case.client_id for case in _cases(ctx)] == [existing.id]


def _upload(page, base, rows, name, tmp_path):
    target = tmp_path / name
    target.write_bytes(csv_bytes(rows))
    page.goto(f"{base}/import/")
    page.set_input_files("input[name=upload]", str(target))
    page.click("button[value=import]")


def test_import_refused_whole_then_accepted(page, live_server, make_user, ctx, tmp_path):
    make_user("t_browser", "Staff", ("genres",))
    log_in(page, live_server, "t_browser", PASSWORD)
    rows = [row(n) for n in range(1, 6)]
    rows[3]["Geburtsdatum"] = "31.02.1980"
    _upload(page, live_server, rows, "faulty.csv", tmp_path)
    page.wait_for_selector("#import-errors")
    assert "5" in page.inner_text("#import-error-table tbody tr:first-child td:first-child")
    shot(page, "07-import-refused")
    assert _cases(ctx) == []
    rows[3]["Geburtsdatum"] = "28.02.1980"
    _upload(page, live_server, rows, "fixed.csv", tmp_path)
    page.wait_for_selector("#import-done")
    shot(page, "08-import-accepted")
    assert len(_cases(ctx)) == 5


def test_export_buttons_download_files_that_open(page, live_server, make_user, factories):
    for day in (date(2013, 1, 10), date(2014, 2, 11)):
        factories.case(partner="genres", opened_on=day)
    make_user("t_browser", "Staff", ("genres",))
    log_in(page, live_server, "t_browser", PASSWORD)
    page.goto(f"{live_server}/caseview/list/")
    shot(page, "09-case-list-export-buttons")
    with page.expect_download() as download:
        page.click(".iq-export-buttons a:has-text('CSV')")
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text), delimiter=";"))) == 3  # header and two cases
    with page.expect_download() as download:
        page.click(".iq-export-buttons a:has-text('Excel')")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 3


def test_reference_occupation_prefills_regulated_and_competent_body(page, live_server, make_user, ctx):
    from app.catalogues.models import ReferenceOccupation

    occupation = ctx.execute(select(ReferenceOccupation).where(
        ReferenceOccupation.regulated.is_(True), ReferenceOccupation.competent_body_st_id.is_not(None),
    ).order_by(ReferenceOccupation.id)).scalars().first()
    make_user("t_browser", "Staff", ("agsa",))  # a partner in Sachsen-Anhalt
    log_in(page, live_server, "t_browser", PASSWORD)
    page.goto(f"{live_server}/entry/")
    page.focus("#reference_occupation")
    page.keyboard.type(occupation.name_de)
    assert page.input_value("#regulated") == "yes"
    assert page.input_value("#competent_body") == str(occupation.competent_body_st_id)
    shot(page, "10-reference-occupation-prefilled")


def test_existing_client_chosen_by_keyboard_with_german_select2(page, live_server, make_user, factories):
    """select2 focuses its search box on open (select2 4.0 + jQuery 3.6 do not) and speaks German."""
    existing = factories.client(partner="genres", first_name="Mirela", last_name="Dragomir",
                                birth_date=date(1979, 11, 2))
    make_user("t_browser", "Staff", ("genres",))
    log_in(page, live_server, "t_browser", PASSWORD)
    page.goto(f"{live_server}/lang/de")
    page.goto(f"{live_server}/entry/")
    page.focus("#client + .select2 .select2-selection")
    page.keyboard.press("Enter")
    page.wait_for_selector(".select2-container--open .select2-search__field")
    assert page.evaluate("document.activeElement.classList.contains('select2-search__field')")
    assert page.inner_text(".select2-results") == "Bitte mindestens ein Zeichen eingeben."
    shot(page, "07-select2-german-focused")
    page.keyboard.type("Dragom")
    page.wait_for_selector(f".select2-results__option:has-text('{existing.client_number}')")
    page.keyboard.press("Enter")
    assert page.input_value("#client") == str(existing.id)
