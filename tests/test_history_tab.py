"""The "Verlauf" (history) tab of client and case pages and the shared audit formatter:
field labels instead of column names, names instead of ids, local time, the user's language."""
import re
from zoneinfo import ZoneInfo

import pytest


def _history(html):
    match = re.search(r'<div id="iq-history" class="tab-pane">(.*?)<div id="Home"', html, re.S)
    assert match, "no history tab"
    return re.sub(r"\s+", " ", match.group(1))


@pytest.fixture
def records(factories, ctx, make_user):
    counsellor_id = make_user("t_counsellor", "Staff", ("migra",))
    mine = factories.client(partner="migra", first_name="VorHist1", last_name="NachHist1", phone="0381111")
    case = factories.case(client=mine, qualification_title="TitelHist1")
    contact = factories.contact(case, minutes=123)
    other = factories.client(partner="migra", first_name="VorHist2", last_name="NachHist2", phone="0381222")
    other_case = factories.case(client=other, qualification_title="TitelHist2")
    mine.phone = "0381999"
    case.counsellor_id = counsellor_id
    case.outcome = "application_filed"
    ctx.commit()
    return {"client": mine.id, "case": case.id, "contact": contact.id, "other": other.id,
            "other_case": other_case.id}


def test_client_history_in_german(records, login_as, german_default, ctx):
    web = login_as("t_staff", "Staff", ("migra",))
    html = web.get(f"/clientview/show/{records['client']}").get_data(as_text=True)
    assert ">Verlauf<" in html
    tab = _history(html)
    assert "<strong>Telefon</strong>: <span class=\"iq-old\">0381111</span> → <span class=\"iq-new\">0381999</span>" in tab
    assert "phone" not in tab and "partner_id" not in tab and "counsellor_id" not in tab
    assert "migra e.V." in tab  # the partner id as its name
    assert "t_counsellor Test (t_counsellor)" in tab  # the counsellor id of the client's case as the user's name
    assert "TitelHist1" in tab and "Kontakt #" in tab and "Beratungsfall #" in tab
    assert "Unterstützung bei der Antragstellung" in tab  # enumeration key shown as its label
    assert "14.03.2013" in tab  # dates formatted
    assert "Europe/Berlin" in tab
    from datetime import timezone

    from app.security.models import AuditEvent
    from tests.api_support import rows

    [change] = [e for e in rows(ctx, AuditEvent, table_name="client", action="update")
                if "phone" in (e.new_values or {})]
    local = change.at.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Berlin"))
    assert local.strftime("%d.%m.%Y, %H:%M:%S") in tab  # stored in UTC, shown in local time
    for foreign in ("VorHist2", "0381222", "TitelHist2"):
        assert foreign not in tab


def test_case_history_in_english(records, login_as):
    web = login_as("t_staff", "Staff", ("migra",))
    tab = _history(web.get(f"/caseview/show/{records['case']}").get_data(as_text=True))
    assert "<strong>Counsellor</strong>: <span class=\"iq-old\">–</span> → <span class=\"iq-new\">t_counsellor Test (t_counsellor)</span>" in tab
    assert ("<strong>Outcome</strong>: <span class=\"iq-old\">help with the application</span> → "
            "<span class=\"iq-new\">application filed</span>") in tab
    assert re.search(rf"<td>Contact #{records['contact']}\b[^<]* created</td>", tab), tab
    assert "<strong>Minutes</strong>: <span class=\"iq-new\">123</span>" in tab
    assert "0381111" not in tab  # the client's own events belong to the client page
    assert "TitelHist2" not in tab


def test_another_partners_record_has_no_page_and_no_history(records, login_as):
    web = login_as("t_staff_b", "Staff", ("genres",))
    assert web.get(f"/clientview/show/{records['client']}").status_code == 404
    assert web.get(f"/caseview/show/{records['case']}").status_code == 404


def test_management_has_no_client_or_case_page(records, login_as):
    web = login_as("t_mgmt", "Management", ("migra",))
    assert web.get(f"/clientview/show/{records['client']}").status_code == 403
    assert web.get(f"/caseview/show/{records['case']}").status_code == 403


def test_labels_do_not_depend_on_the_language_of_the_first_page(records, login_as, app):
    """The formatter's label registry is built once: an English page first must not drop the German
    label of a column whose English label equals FAB's generated one ("Outcome")."""
    app.extensions.pop("iq_audit_format", None)
    web = login_as("t_staff", "Staff", ("migra",))
    assert "<strong>Outcome</strong>" in _history(web.get(f"/caseview/show/{records['case']}").get_data(as_text=True))
    web.get("/lang/de")  # FAB's language switch (session)
    tab = _history(web.get(f"/caseview/show/{records['case']}").get_data(as_text=True))
    assert "<th>Wer</th>" in tab
    assert "<strong>Ergebnis der Beratung</strong>" in tab
