"""Referrals between partners with consent (issue 12): consent, accept, decline, withdrawal, what each
side sees (asserted on response bodies), a third partner, audit on both sides, CSRF, erasure, RLS."""
import json
import secrets
from datetime import date

import pytest
from sqlalchemy import select, text

from app.catalogues.models import ReferenceOccupation
from app.clients.consent import Consent
from app.clients.models import Client
from app.referrals.models import Referral, ReferralIntake, ReferralPayload
from app.security.models import AuditEvent
from tests.api_support import assert_refused, rows
from tests.conftest import csrf_token, logout, post_form


def _person(factories, ctx, referral_consent=True, with_case=True):
    marker = secrets.token_hex(3).upper()
    person = factories.client(partner="migra", first_name=f"Amina{marker}", last_name=f"Haddad{marker}",
                              birth_date=date(1984, 6, 2), gender="female", citizenship="SY", year_of_entry=2012)
    if referral_consent:
        factories.consent(person, purpose="referral", given_on=date(2013, 3, 1))
    case = None
    if with_case:
        occupation = ctx.scalars(select(ReferenceOccupation).order_by(ReferenceOccupation.id)).first()
        case = factories.case(client=person, qualification_title=f"Ingenieurin{marker}",
                              reference_occupation_id=occupation.id)
    ctx.commit()
    return person, case, marker


def _spi(factories):
    return factories.partner("spi").id


def _referral(api_token, client, person, case, factories, who="t_ref_migra"):
    staff = api_token(who, "Staff", ("migra",))
    body = {"client": person.id, "to_partner": _spi(factories), "offer": "adaptation_qualification",
            "reason": "Anpassungsqualifizierung Elektrotechnik"}
    if case is not None:
        body["case"] = case.id
    response = client.post("/api/v1/referral/", json=body, headers=staff)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], staff


def test_without_referral_consent_nothing_is_sent_api_and_ui(client, api_token, login_as, factories, ctx):
    person, case, _ = _person(factories, ctx, referral_consent=False)
    staff = api_token("t_ref_noc", "Staff", ("migra",))
    body = {"client": person.id, "case": case.id, "to_partner": _spi(factories), "offer": "language_course",
            "reason": "Sprachkurs"}
    refused = assert_refused(client.post("/api/v1/referral/", json=body, headers=staff), 422)
    assert refused["field"] == "client" and "not consented to passing data" in refused["message"]
    assert rows(ctx, Referral) == [] and rows(ctx, ReferralPayload) == []

    web = login_as("t_ref_noc_ui", "Staff", ("migra",))
    page = web.get(f"/referrals/new?client={person.id}").get_data(as_text=True)
    assert "not consented to passing data" in page
    assert f"/consentview/add?_flt_0_client={person.id}" in page  # record the consent first
    response = post_form(web, "/referrals/new", {"client": person.id, "to_partner": _spi(factories),
                                                 "offer": "language_course", "reason": "Sprachkurs"},
                         form_url="/referrals/")
    assert response.status_code == 422
    assert "not consented to passing data" in response.get_data(as_text=True)
    assert rows(ctx, Referral) == []


def test_after_withdrawing_the_consent_no_referral_and_no_accept(client, api_token, factories, ctx):
    person, case, _ = _person(factories, ctx)
    referral_id, staff = _referral(api_token, client, person, case, factories)
    consent = rows(ctx, Consent, client_id=person.id, purpose="referral")[0]
    consent.withdrawn_on = date.today()
    ctx.commit()
    # A second referral is refused with the withdrawal's date.
    body = {"client": person.id, "to_partner": factories.partner("vsp").id, "offer": "language_course",
            "reason": "Sprachkurs"}
    refused = assert_refused(client.post("/api/v1/referral/", json=body, headers=staff), 422)
    assert f"withdrew the consent to passing data to another partner on {date.today():%d.%m.%Y}" in refused["message"]
    # The receiver is told in its inbox and refused when accepting.
    receiver = api_token("t_ref_spi", "Staff", ("spi",))
    listed = client.get("/api/v1/referral/", headers=receiver).get_json()["result"]
    assert [(r["id"], r["consent_valid"]) for r in listed] == [(referral_id, False)]
    refused = assert_refused(client.post(f"/api/v1/referral/{referral_id}/accept", json={}, headers=receiver), 422)
    assert "can no longer be accepted" in refused["message"]
    assert rows(ctx, Referral, id=referral_id)[0].status == "open"
    assert rows(ctx, ReferralIntake) == []
    assert rows(ctx, Client, partner_id=_spi(factories)) == []


def test_receiver_sees_only_what_the_referral_carries_and_a_third_partner_nothing(
        client, api_token, login_as, factories, ctx):
    person, case, marker = _person(factories, ctx)
    referral_id, sender = _referral(api_token, client, person, case, factories)
    receiver = api_token("t_ref_spi", "Staff", ("spi",))
    body = client.get("/api/v1/referral/", headers=receiver).get_json()
    [row] = body["result"]
    assert row["direction"] == "received" and row["initials"] == "A. H." and row["age_band"] == "35_44"
    assert row["offer"] == "adaptation_qualification" and row["status"] == "open"
    assert row["reference_occupation"] == case.reference_occupation_id
    assert "client" not in row and "case" not in row
    text_body = json.dumps(body)
    for secret in (f"Amina{marker}", f"Haddad{marker}", "1984-06-02", f"Ingenieurin{marker}",
                   person.client_number):
        assert secret not in text_body
    assert client.get(f"/api/v1/referral/{referral_id}", headers=receiver).status_code == 200
    # The sender sees its own client and case.
    [sent] = client.get("/api/v1/referral/", headers=sender).get_json()["result"]
    assert (sent["direction"], sent["client"], sent["case"]) == ("sent", person.id, case.id)
    # A third partner: nothing, anywhere.
    third = api_token("t_ref_vsp", "Staff", ("vsp",))
    assert client.get("/api/v1/referral/", headers=third).get_json() == {"count": 0, "result": []}
    assert client.get(f"/api/v1/referral/{referral_id}", headers=third).status_code == 404
    for step in ("accept", "decline", "withdraw"):
        assert client.post(f"/api/v1/referral/{referral_id}/{step}", json={"reason": "x"},
                           headers=third).status_code == 404
    assert rows(ctx, Referral, id=referral_id)[0].status == "open"
    # UI: the receiver's inbox holds the carried fields only, with the badge.
    web = login_as("t_ref_spi_ui", "Staff", ("spi",))
    page = web.get("/referrals/").get_data(as_text=True)
    assert "A. H." in page and f"iq-received-{referral_id}" in page
    for secret in (f"Amina{marker}", f"Haddad{marker}", "02.06.1984", f"Ingenieurin{marker}", person.client_number,
                   f"/clientview/show/{person.id}\""):
        assert secret not in page
    assert 'iq-referral-badge' in web.get("/").get_data(as_text=True)
    assert web.get(f"/clientview/show/{person.id}").status_code == 404
    logout(web)
    login_as("t_ref_vsp_ui", "Staff", ("vsp",))
    page = web.get("/referrals/").get_data(as_text=True)
    assert f"iq-received-{referral_id}" not in page and f"iq-sent-{referral_id}" not in page and "A. H." not in page
    assert post_form(web, f"/referrals/{referral_id}/accept", {}, form_url="/referrals/").status_code == 404


def test_accept_without_counselling_consent_copies_only_statistics_and_sender_sees_nothing_after(
        client, api_token, factories, ctx):
    person, case, marker = _person(factories, ctx)
    referral_id, sender = _referral(api_token, client, person, case, factories)
    receiver = api_token("t_ref_spi", "Staff", ("spi",))
    # The sender cannot accept its own referral.
    assert "receiving partner" in assert_refused(
        client.post(f"/api/v1/referral/{referral_id}/accept", json={}, headers=sender), 422)["message"]
    response = client.post(f"/api/v1/referral/{referral_id}/accept", json={"opened_on": "2014-03-03"},
                           headers=receiver)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    new = rows(ctx, Client, id=answer["client"])[0]
    assert new.partner_id == _spi(factories) and new.id != person.id
    assert (new.first_name, new.last_name) == (None, None)  # no counselling consent at SPI: anonymous
    assert (new.birth_date, new.gender, new.citizenship, new.year_of_entry) == (date(1984, 6, 2), "female", "SY", 2012)
    [intake] = rows(ctx, ReferralIntake, referral_id=referral_id)
    assert (intake.client_id, intake.case_id, intake.with_personal_fields) == (new.id, answer["case"], False)
    from app.cases.models import Case
    [new_case] = rows(ctx, Case, client_id=new.id)
    assert (new_case.opened_on, new_case.qualification_title, new_case.reference_occupation_id) == (
        date(2014, 3, 3), None, case.reference_occupation_id)
    assert rows(ctx, Referral, id=referral_id)[0].status == "accepted"
    # The sender: status accepted, nothing of the new client.
    body = client.get("/api/v1/referral/", headers=sender).get_json()
    [sent] = body["result"]
    assert (sent["status"], sent["client"]) == ("accepted", person.id)
    assert new.client_number not in json.dumps(body) and f'"client": {new.id}' not in json.dumps(body)
    # The receiver: its own new client.
    [got] = client.get("/api/v1/referral/", headers=receiver).get_json()["result"]
    assert (got["status"], got["client"], got["case"]) == ("accepted", new.id, new_case.id)
    # Accepting twice is refused.
    assert "no longer open" in assert_refused(
        client.post(f"/api/v1/referral/{referral_id}/accept", json={}, headers=receiver), 422)["message"]


def test_accept_in_the_ui_with_counselling_consent_copies_names(client, api_token, login_as, factories, ctx):
    person, case, marker = _person(factories, ctx)
    referral_id, _sender = _referral(api_token, client, person, case, factories)
    web = login_as("t_ref_spi_ui", "Staff", ("spi",))
    response = post_form(web, f"/referrals/{referral_id}/accept",
                         {"counselling_consent": "1", "given_on": date.today().strftime("%d.%m.%Y"),
                          "given_how": "signed_form", "opened_on": "03.03.2014"}, form_url="/referrals/")
    assert response.status_code == 302
    [intake] = rows(ctx, ReferralIntake, referral_id=referral_id)
    new = rows(ctx, Client, id=intake.client_id)[0]
    assert (new.first_name, new.last_name, new.partner_id) == (f"Amina{marker}", f"Haddad{marker}", _spi(factories))
    [consent] = rows(ctx, Consent, client_id=new.id)
    assert (consent.purpose, consent.given_how, consent.partner_id) == ("counselling", "signed_form", _spi(factories))
    page = web.get("/referrals/").get_data(as_text=True)
    assert f"/clientview/show/{new.id}" in page
    assert web.get(f"/clientview/show/{new.id}").status_code == 200
    # The sender's inbox: accepted, no link to the receiver's client.
    logout(web)
    login_as("t_ref_migra_ui", "Staff", ("migra",))
    page = web.get("/referrals/").get_data(as_text=True)
    assert f"iq-sent-{referral_id}" in page and "accepted" in page
    assert f"/clientview/show/{new.id}\"" not in page and new.client_number not in page
    assert web.get(f"/clientview/show/{new.id}").status_code == 404


def test_decline_needs_a_reason_and_the_sender_sees_it(client, api_token, login_as, factories, ctx):
    person, case, _ = _person(factories, ctx, with_case=False)
    referral_id, sender = _referral(api_token, client, person, None, factories)
    web = login_as("t_ref_spi_ui", "Staff", ("spi",))
    post_form(web, f"/referrals/{referral_id}/decline", {"reason": " "}, form_url="/referrals/")
    assert rows(ctx, Referral, id=referral_id)[0].status == "open"
    assert "Please give a reason." in web.get("/referrals/").get_data(as_text=True)
    receiver = api_token("t_ref_spi", "Staff", ("spi",))
    assert assert_refused(client.post(f"/api/v1/referral/{referral_id}/decline", json={}, headers=receiver),
                          422)["message"] == "Please give a reason."
    response = client.post(f"/api/v1/referral/{referral_id}/decline", json={"reason": "Kein Platz frei"},
                           headers=receiver)
    assert response.status_code == 200
    [sent] = client.get("/api/v1/referral/", headers=sender).get_json()["result"]
    assert (sent["status"], sent["decline_reason"]) == ("declined", "Kein Platz frei")
    assert rows(ctx, Client, partner_id=_spi(factories)) == []


def _events(ctx, referral_id):
    return sorted((e.partner_id, e.action, (e.new_values or {}).get("status")) for e in
                  rows(ctx, AuditEvent, table_name="referral", record_id=str(referral_id)))


def test_every_step_is_audited_on_both_sides_and_readable_by_each_partner_admin(
        client, api_token, factories, ctx):
    person, case, marker = _person(factories, ctx)
    migra, spi = factories.partner("migra").id, _spi(factories)
    referral_id, sender = _referral(api_token, client, person, case, factories)
    receiver = api_token("t_ref_spi", "Staff", ("spi",))
    assert client.post(f"/api/v1/referral/{referral_id}/accept", json={}, headers=receiver).status_code == 200
    assert _events(ctx, referral_id) == sorted([(migra, "insert", "open"), (spi, "insert", "open"),
                                                (migra, "update", "accepted"), (spi, "update", "accepted")])
    second, _ = _referral(api_token, client, person, None, factories, who="t_ref_migra2")
    assert client.post(f"/api/v1/referral/{second}/decline", json={"reason": "voll"}, headers=receiver).status_code == 200
    assert (spi, "update", "declined") in _events(ctx, second) and (migra, "update", "declined") in _events(ctx, second)
    for event in rows(ctx, AuditEvent, table_name="referral"):
        assert "A. H." not in json.dumps([event.old_values, event.new_values])  # initials and reasons redacted
    for event in rows(ctx, AuditEvent, table_name="referral_payload"):
        assert f"Haddad{marker}" not in json.dumps(event.new_values) and event.partner_id == migra
    q = f"(filters:!((col:table_name,opr:eq,value:referral),(col:record_id,opr:eq,value:'{referral_id}')))"
    for who, partner in (("t_ref_pa_migra", "migra"), ("t_ref_pa_spi", "spi")):
        admin = api_token(who, "PartnerAdmin", (partner,))
        body = client.get(f"/api/v1/audit/?q={q}", headers=admin).get_json()
        assert sorted(r["action"] for r in body["result"]) == ["insert", "update"], body
    third = api_token("t_ref_pa_vsp", "PartnerAdmin", ("vsp",))
    assert client.get(f"/api/v1/audit/?q={q}", headers=third).get_json()["count"] == 0


def test_posts_need_the_csrf_token(client, api_token, login_as, factories, ctx):
    person, case, _ = _person(factories, ctx)
    referral_id, _sender = _referral(api_token, client, person, case, factories)
    web = login_as("t_ref_spi_ui", "Staff", ("spi",))
    for url, data in ((f"/referrals/{referral_id}/accept", {}), (f"/referrals/{referral_id}/decline", {"reason": "x"}),
                      (f"/referrals/{referral_id}/withdraw", {}),
                      ("/referrals/new", {"client": person.id, "to_partner": 1, "offer": "other", "reason": "x"})):
        assert web.post(url, data=data).status_code == 400, url
    assert rows(ctx, Referral, id=referral_id)[0].status == "open" and len(rows(ctx, Referral)) == 1
    assert web.get(f"/referrals/{referral_id}/accept").status_code in (404, 405)


def test_ui_referral_from_the_client_page_and_withdraw(login_as, factories, ctx):
    person, case, _ = _person(factories, ctx)
    web = login_as("t_ref_migra_ui", "Staff", ("migra",))
    assert f"/referrals/new?client={person.id}" in web.get(f"/clientview/show/{person.id}").get_data(as_text=True)
    form = web.get(f"/referrals/new?client={person.id}").get_data(as_text=True)
    assert "SPI GmbH" in form and "migra e.V.</option>" not in form
    response = post_form(web, "/referrals/new", {"client": person.id, "case": case.id, "to_partner": _spi(factories),
                                                 "offer": "language_course", "reason": "B2 Beruf"},
                         form_url=f"/referrals/new?client={person.id}")
    assert response.status_code == 302
    [referral] = rows(ctx, Referral)
    assert (referral.from_partner_id, referral.to_partner_id, referral.with_case) == (
        person.partner_id, _spi(factories), True)
    # Not to its own partner, not twice while open.
    for partner, message in ((person.partner_id, "own partner"), (_spi(factories), "still open")):
        response = post_form(web, "/referrals/new", {"client": person.id, "to_partner": partner,
                                                     "offer": "language_course", "reason": "x"},
                             form_url=f"/referrals/new?client={person.id}")
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    post_form(web, f"/referrals/{referral.id}/withdraw", {}, form_url="/referrals/")
    assert rows(ctx, Referral, id=referral.id)[0].status == "withdrawn"


def test_another_partners_client_cannot_be_referred(client, api_token, factories, ctx):
    foreign = factories.client(partner="genres")
    factories.consent(foreign, purpose="referral")
    ctx.commit()
    staff = api_token("t_ref_migra", "Staff", ("migra",))
    response = client.post("/api/v1/referral/", json={"client": foreign.id, "to_partner": _spi(factories),
                                                      "offer": "other", "reason": "x"}, headers=staff)
    assert response.status_code == 404
    assert rows(ctx, Referral) == []


def test_erasure_blanks_the_referrals_personal_values(client, api_token, factories, ctx):
    from app.clients.erasure import erase_client

    person, case, marker = _person(factories, ctx, with_case=False)
    referral_id, _sender = _referral(api_token, client, person, None, factories)
    client_row = rows(ctx, Client, id=person.id)[0]
    erase_client(ctx, client_row)
    ctx.commit()
    [payload] = rows(ctx, ReferralPayload, referral_id=referral_id)
    assert (payload.first_name, payload.last_name, payload.birth_date) == (None, None, None)
    referral = rows(ctx, Referral, id=referral_id)[0]
    assert (referral.initials, referral.reason, referral.status) == (None, None, "withdrawn")
    for table in ("referral", "referral_payload", "audit_event"):
        dump = json.dumps([list(map(str, r)) for r in ctx.execute(text(f"SELECT * FROM {table}")).all()])
        assert f"Haddad{marker}" not in dump and f"Amina{marker}" not in dump, table
    assert sorted(e.partner_id for e in rows(ctx, AuditEvent, table_name="referral", action="erase")) == sorted(
        [person.partner_id, _spi(factories)])


def test_postgresql_rls_hides_the_payload_and_the_function_hands_it_over_only_while_open(
        client, api_token, factories, ctx):
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no row-level security")
    from app.extensions import db
    from app.security.scoping import partner_scope

    person, case, marker = _person(factories, ctx)
    referral_id, _sender = _referral(api_token, client, person, case, factories)
    spi, vsp, migra = _spi(factories), factories.partner("vsp").id, person.partner_id
    handover = "SELECT consent_ok, payload FROM iq_referral_handover(:id)"
    with partner_scope([spi]):
        assert db.session.execute(text("SELECT count(*) FROM referral_payload")).scalar() == 0
        assert db.session.execute(text("SELECT count(*) FROM client WHERE id = :id"), {"id": person.id}).scalar() == 0
        assert db.session.execute(text("SELECT count(*) FROM referral")).scalar() == 1
        ok, payload = db.session.execute(text(handover), {"id": referral_id}).one()
        assert ok and payload["last_name"] == f"Haddad{marker}"
        assert not {"client_id", "case_id", "partner_id", "id"} & payload.keys()  # the sender's ids stay home
        db.session.rollback()
    with partner_scope([vsp]):
        assert db.session.execute(text("SELECT count(*) FROM referral")).scalar() == 0
        assert db.session.execute(text(handover), {"id": referral_id}).all() == []
        assert db.session.execute(text("SELECT * FROM iq_referral_consent_states(ARRAY[:id])"),
                                  {"id": referral_id}).all() == []
        db.session.rollback()
    with partner_scope([migra]):  # the sender itself gets no handover (it is not the receiver)
        assert db.session.execute(text(handover), {"id": referral_id}).all() == []
        db.session.rollback()
    receiver = api_token("t_ref_spi", "Staff", ("spi",))
    assert client.post(f"/api/v1/referral/{referral_id}/decline", json={"reason": "voll"},
                       headers=receiver).status_code == 200
    with partner_scope([spi]):
        assert db.session.execute(text(handover), {"id": referral_id}).all() == []  # no longer open
        db.session.rollback()


def test_demo_has_migra_clients_with_a_referral_consent_and_an_spi_staff_login(app, ctx):
    from app.setup.demo_instance import demo_accounts, referral_example

    result = app.test_cli_runner().invoke(args=["iq", "demo", "--clients", "200", "--cases", "300", "--seed", "1"])
    assert result.exit_code == 0, result.output
    number = referral_example(ctx)
    assert number and number.startswith("MIGR-")
    person = ctx.scalars(select(Client).where(Client.client_number == number)).one()
    from app.clients.consent import has_consent
    assert has_consent(person, "referral") and has_consent(person, "counselling") and person.cases
    assert {("spi-staff", "Staff", "spi"), ("spi-partneradmin", "PartnerAdmin", "spi"),
            ("migra-staff", "Staff", "migra"), ("migra-partneradmin", "PartnerAdmin", "migra")} <= set(demo_accounts())


def test_art15_report_names_the_partner_the_data_was_passed_to(client, api_token, login_as, factories, ctx):
    from pypdf import PdfReader
    import io

    person, case, _ = _person(factories, ctx)
    referral_id, _sender = _referral(api_token, client, person, case, factories)
    web = login_as("t_ref_migra_ui", "Staff", ("migra",))
    report = web.get(f"/clients/{person.id}/art15.json").get_json()
    assert [(r["id"], r["to_partner"], r["status"]) for r in report["referrals"]] == [(referral_id, "SPI GmbH", "open")]
    pdf = web.get(f"/clients/{person.id}/art15.pdf")
    text_pdf = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Weiterleitungen" in text_pdf and "SPI GmbH" in text_pdf


def test_odd_api_input_is_a_clear_refusal(client, api_token, factories, ctx):
    person, case, _ = _person(factories, ctx)
    staff = api_token("t_ref_migra", "Staff", ("migra",))
    base = {"client": person.id, "to_partner": _spi(factories), "offer": "other", "reason": "x"}
    for change, field in (({"offer": ["other"]}, "offer"), ({"reason": {"a": 1}}, "reason"),
                          ({"client": [1]}, "client"), ({"to_partner": "x"}, "to_partner"), ({"case": {}}, "case")):
        body = assert_refused(client.post("/api/v1/referral/", json={**base, **change}, headers=staff), 422)
        assert body["field"] == field, (change, body)
    assert client.post("/api/v1/referral/", data="[1]", content_type="application/json",
                       headers=staff).status_code == 400
    assert rows(ctx, Referral) == []
    referral_id, _ = _referral(api_token, client, person, case, factories, who="t_ref_migra2")
    receiver = api_token("t_ref_spi", "Staff", ("spi",))
    for body, field in (({"opened_on": 20140303}, "opened_on"), ({"opened_on": "31.02.2014"}, "opened_on"),
                        ({"counselling_consent": {"given_how": ["verbal"]}}, "given_how"),
                        ({"counselling_consent": []}, "counselling_consent")):
        refused = assert_refused(client.post(f"/api/v1/referral/{referral_id}/accept", json=body, headers=receiver), 422)
        assert refused["field"] == field, (body, refused)
    assert client.post(f"/api/v1/referral/{referral_id}/decline", json={"reason": ["x"]},
                       headers=receiver).status_code == 422
    assert client.post("/api/v1/referral/99999999999/accept", json={}, headers=receiver).status_code == 404
    assert rows(ctx, Referral, id=referral_id)[0].status == "open" and rows(ctx, ReferralIntake) == []
