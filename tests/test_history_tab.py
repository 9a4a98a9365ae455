"""The "Verlauf" (history) tab of client and case pages and the shared audit formatter:
field labels instead of column names, names instead of ids, local time, the user's language."""
import re
from zoneinfo import ZoneInfo

import pytest


def _history(web, show_path):
    """The history tab of a show page, as the page's script loads it when the tab is opened."""
    page = web.get(show_path)
    assert page.status_code == 200, (show_path, page.status_code)
    match = re.search(r'<div id="iq-history" class="tab-pane" data-src="([^"]+)"', page.get_data(as_text=True))
    assert match, "no history tab"
    fragment = web.get(match.group(1), headers={"X-Requested-With": "fetch"})
    assert fragment.status_code == 200 and fragment.mimetype == "text/html"
    return re.sub(r"\s+", " ", fragment.get_data(as_text=True))


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
    assert "0381999" not in html.split('id="iq-history"')[1].split('id="Home"')[0]  # read only when opened
    tab = _history(web, f"/clientview/show/{records['client']}")
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
    tab = _history(web, f"/caseview/show/{records['case']}")
    assert "<strong>Counsellor</strong>: <span class=\"iq-old\">–</span> → <span class=\"iq-new\">t_counsellor Test (t_counsellor)</span>" in tab
    assert ("<strong>Outcome</strong>: <span class=\"iq-old\">help with the application</span> → "
            "<span class=\"iq-new\">application filed</span>") in tab
    assert re.search(rf"<td>Contact #{records['contact']}\b[^<]* created</td>", tab), tab
    assert "<strong>Minutes</strong>: <span class=\"iq-new\">123</span>" in tab
    assert "0381111" not in tab  # the client's own events belong to the client page
    assert "TitelHist2" not in tab


def test_another_partners_record_has_no_page_and_no_history(records, login_as, ctx):
    from app.security.models import AccessLogEntry
    from tests.api_support import rows

    web = login_as("t_staff_b", "Staff", ("genres",))
    assert web.get(f"/clientview/show/{records['client']}").status_code == 404
    assert web.get(f"/caseview/show/{records['case']}").status_code == 404
    for path in (f"/clients/{records['client']}/history", f"/cases/{records['case']}/history"):
        for headers in ({}, {"X-Requested-With": "fetch"}):
            answer = web.get(path, headers=headers)
            assert answer.status_code == 404 and "0381" not in answer.get_data(as_text=True), path
    assert rows(ctx, AccessLogEntry) == []


def test_the_history_page_works_without_javascript_and_is_logged(records, login_as, ctx):
    """The tab's link opens the history as a page of its own; both log the client's reading."""
    from app.security.models import AccessLogEntry
    from tests.api_support import rows

    web = login_as("t_staff", "Staff", ("migra",))
    show = web.get(f"/clientview/show/{records['client']}").get_data(as_text=True)
    assert f'id="iq-history-link" href="/clients/{records["client"]}/history"' in show
    page = web.get(f"/clients/{records['client']}/history")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in body and "0381999" in body
    assert f'href="/clientview/show/{records["client"]}"' in body  # back to the record
    assert web.get(f"/cases/{records['case']}/history").status_code == 200
    logged = {(r.client_id, r.path) for r in rows(ctx, AccessLogEntry) if r.path.endswith("/history")}
    assert logged == {(records["client"], f"/clients/{records['client']}/history"),
                      (records["client"], f"/cases/{records['case']}/history")}
    assert web.post(f"/clients/{records['client']}/history").status_code == 405  # read-only


def test_management_has_no_client_or_case_page(records, login_as):
    web = login_as("t_mgmt", "Management", ("migra",))
    assert web.get(f"/clientview/show/{records['client']}").status_code == 403
    assert web.get(f"/caseview/show/{records['case']}").status_code == 403
    assert web.get(f"/clients/{records['client']}/history").status_code == 403
    assert web.get(f"/cases/{records['case']}/history").status_code == 403


def test_labels_do_not_depend_on_the_language_of_the_first_page(records, login_as, app):
    """The formatter's label registry is built once: an English page first must not drop the German
    label of a column whose English label equals FAB's generated one ("Outcome")."""
    app.extensions.pop("iq_audit_format", None)
    web = login_as("t_staff", "Staff", ("migra",))
    assert "<strong>Outcome</strong>" in _history(web, f"/caseview/show/{records['case']}")
    web.get("/lang/de")  # FAB's language switch (session)
    tab = _history(web, f"/caseview/show/{records['case']}")
    assert "<th>Wer</th>" in tab
    assert "<strong>Ergebnis der Beratung</strong>" in tab


def test_deleted_records_stay_in_the_history_old_to_new(records, login_as, ctx, factories, german_default):
    """A contact deleted (by Admin) stays in the case's and the client's "Verlauf" with the values it had."""
    from app.cases.models import Contact

    gone = factories.contact(ctx.get(Contact, records["contact"]).case, minutes=417)
    gone_id = gone.id
    ctx.delete(gone)
    ctx.commit()
    web = login_as("t_staff", "Staff", ("migra",))
    for page in (f"/caseview/show/{records['case']}", f"/clientview/show/{records['client']}"):
        tab = _history(web, page)
        assert re.search(rf"<td>Kontakt #{gone_id}\b[^<]* gelöscht</td>", tab), (page, tab)
        assert re.search(rf"<td>Kontakt #{gone_id}\b[^<]* angelegt</td>", tab), page
        assert "<strong>Minuten</strong>: <span class=\"iq-old\">417</span>" in tab, page  # the value it had
    web.get("/lang/en")
    tab = _history(web, f"/caseview/show/{records['case']}")
    assert re.search(rf"<td>Contact #{gone_id}\b[^<]* deleted</td>", tab), tab
    # Another case's deleted contact is not in this case's history.
    other = factories.contact(factories.case(client=factories.client(partner="migra")), minutes=533)
    ctx.delete(other)
    ctx.commit()
    assert "533" not in _history(web, f"/caseview/show/{records['case']}")


def test_a_withdrawal_is_its_own_action_in_history_and_audit_api(login_as, client, factories, ctx, api_token,
                                                                 german_default):
    import prison

    from app.clients.consent import Consent
    from tests.api_support import ADMIN
    from tests.conftest import csrf_token

    record = factories.client(partner="migra", last_name="NachWithdraw")
    [consent] = ctx.query(Consent).filter_by(client_id=record.id).all()
    login_as("t_staff", "Staff", ("migra",))
    show = f"/clientview/show/{record.id}"
    assert client.post(f"/consentview/withdraw/{consent.id}",
                       data={"csrf_token": csrf_token(client, show)}).status_code == 302
    tab = _history(client, show)
    assert re.search(rf"<td>Einwilligung #{consent.id}\b[^<]* Einwilligung widerrufen</td>", tab), tab
    assert "<strong>Widerrufen am</strong>: <span class=\"iq-old\">–</span> → " in tab, tab
    client.get("/lang/en")
    tab = _history(client, show)
    assert re.search(rf"<td>Consent #{consent.id}\b[^<]* consent withdrawn</td>", tab), tab
    headers = api_token(*ADMIN)
    q = {"filters": [{"col": "action", "opr": "eq", "value": "withdraw"}]}
    found = client.get(f"/api/v1/audit/?q={prison.dumps(q)}", headers=headers).get_json()["result"]
    assert [(e["table_name"], e["record_id"]) for e in found] == [("consent", str(consent.id))]
    assert found[0]["old_values"] == {"withdrawn_on": None} and found[0]["new_values"]["withdrawn_on"]
