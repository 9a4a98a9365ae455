"""Writing consents: client page (add, withdraw by CSRF POST), API, consent texts (Admin) and PDFs.

Withdrawal is audited and blocks its purpose from then on; another partner's consents are 404.
"""
import io
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from app.clients.consent import Consent, ConsentText, current_text_version
from app.clients.models import Client
from app.security.models import AuditEvent
from tests.api_support import STAFF, assert_refused, rows
from tests.conftest import csrf_token, post_form


def _pdf_text(data):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _consent_of(ctx, record, purpose="counselling"):
    ctx.rollback()
    return ctx.scalars(select(Consent).where(Consent.client_id == record.id, Consent.purpose == purpose)
                       .order_by(Consent.id)).all()


# --- client page -------------------------------------------------------------------------------

def test_client_page_lists_consents_and_adds_one(login_as, client, factories, ctx):
    record = factories.anonymous()
    login_as("t_staff", "Staff", ("migra",))
    page = client.get(f"/clientview/show/{record.id}").get_data(as_text=True)
    assert "/consentview/add" in page  # the related "Consents" list offers "add"
    url = f"/consentview/add?_flt_0_client={record.id}"
    response = post_form(client, url, {"purpose": "email", "given_on": "2014-03-01", "text_version": "2026-1",
                                       "language": "en", "given_how": "email"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    [consent] = _consent_of(ctx, record, "email")
    assert (consent.given_on, consent.language, consent.given_how, consent.partner_id) == (
        date(2014, 3, 1), "en", "email", record.partner_id)
    page = client.get(f"/clientview/show/{record.id}").get_data(as_text=True)
    assert f"/consentview/withdraw/{consent.id}" in page and f"/consents/{consent.id}.pdf" in page


def test_withdrawal_is_a_csrf_post_sets_the_date_is_audited_and_blocks_personal_fields(login_as, client,
                                                                                       factories, ctx):
    record = factories.client(last_name="Before")
    [consent] = _consent_of(ctx, record)
    login_as("t_staff", "Staff", ("migra",))
    url = f"/consentview/withdraw/{consent.id}"
    assert client.post(url, data={}).status_code == 400  # no CSRF token: refused
    assert client.get(url).status_code == 405  # never by GET
    assert _consent_of(ctx, record)[0].withdrawn_on is None
    token = csrf_token(client, f"/clientview/show/{record.id}")
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/clientview/show/{record.id}")
    assert _consent_of(ctx, record)[0].withdrawn_on == date.today()
    [event] = rows(ctx, AuditEvent, table_name="consent", record_id=str(consent.id), action="withdraw")
    assert event.new_values == {"withdrawn_on": date.today().isoformat()} and event.actor == "t_staff"
    # From now on the names can no longer be changed; a statistical field can.
    stored = rows(ctx, Client, id=record.id)[0]
    form = {"first_name": stored.first_name, "last_name": "After", "birth_date": "1980-05-17", "gender": "female",
            "citizenship": "SY", "counselling_language": "de", "version": str(stored.version)}
    response = post_form(client, f"/clientview/edit/{record.id}", form)
    assert response.status_code == 200 and "was withdrawn on" in response.get_data(as_text=True)
    assert rows(ctx, Client, id=record.id)[0].last_name == "Before"
    form.update(last_name="Before", gender="diverse")
    assert post_form(client, f"/clientview/edit/{record.id}", form).status_code == 302
    assert rows(ctx, Client, id=record.id)[0].gender == "diverse"
    # Withdrawing again, or editing the withdrawn consent, is refused; a new consent follows it.
    client.post(url, data={"csrf_token": token})
    assert _consent_of(ctx, record)[0].withdrawn_on == date.today()
    response = post_form(client, f"/consentview/edit/{consent.id}", {"given_on": "2012-01-01", "text_version": "2026-1",
                                                                     "language": "de", "given_how": "verbal"})
    assert "withdrawn consent cannot be changed" in response.get_data(as_text=True)
    assert _consent_of(ctx, record)[0].given_on == date(2011, 7, 1)
    response = post_form(client, f"/consentview/add?_flt_0_client={record.id}",
                         {"purpose": "counselling", "given_on": date.today().isoformat(), "text_version": "2026-1",
                          "language": "de", "given_how": "signed_form"})
    assert response.status_code == 302
    assert len(_consent_of(ctx, record)) == 2


def test_withdrawn_email_consent_blocks_email_contacts(api_token, client, factories, ctx):
    headers = api_token(*STAFF)
    record = factories.client()
    factories.consent(record, purpose="email", given_on=date(2013, 1, 1), withdrawn_on=date(2013, 6, 1),
                      given_how="email")
    case = factories.case(client=record, opened_on=date(2013, 3, 1))
    before = {"case": case.id, "date": "2013-05-31", "kind": "follow_up", "channel": "email"}
    assert client.post("/api/v1/contact/", json=before, headers=headers).status_code == 201
    after = dict(before, date="2013-06-01")
    body = assert_refused(client.post("/api/v1/contact/", json=after, headers=headers), 422)
    assert "withdrew the consent to contact by e-mail on 01.06.2013" in body["message"]
    assert client.post("/api/v1/contact/", json=dict(after, channel="phone"), headers=headers).status_code == 201


# --- API -----------------------------------------------------------------------------------------

def test_api_writes_and_withdraws_consents_as_the_contract_lists_them(api_token, client, factories, ctx):
    headers = api_token(*STAFF)
    payload = {"first_name": "Api", "last_name": "Person", "birth_date": "1980-01-01", "citizenship": "SY",
               "counselling_language": "ru",
               "consents": [{"purpose": "counselling", "given_on": "2013-02-01", "given_how": "signed_form"}]}
    response = client.post("/api/v1/client/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    assert response.get_json()["result"]["consents"] == [
        {"purpose": "counselling", "given_on": "2013-02-01", "text_version": "2026-1", "withdrawn_on": None}]
    [stored] = rows(ctx, Consent, client_id=pk)
    assert stored.language == "ru"  # the client's language where a text exists in it
    # Echoing the list changes nothing; adding withdrawn_on withdraws; a new entry adds a consent.
    shown = client.get(f"/api/v1/client/{pk}", headers=headers).get_json()["result"]
    listed = shown["consents"]
    assert client.put(f"/api/v1/client/{pk}", json={"version": 1, "consents": listed},
                      headers=headers).status_code == 200
    withdrawn = [dict(listed[0], withdrawn_on="2014-01-31"),
                 {"purpose": "email", "given_on": "2014-02-01", "given_how": "email", "language": "de"}]
    response = client.put(f"/api/v1/client/{pk}", json={"version": 1, "consents": withdrawn}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert [c["withdrawn_on"] for c in response.get_json()["result"]["consents"]] == ["2014-01-31", None]
    assert rows(ctx, AuditEvent, table_name="consent", record_id=str(stored.id), action="withdraw")  # its own audit action
    version = rows(ctx, Client, id=pk)[0].version
    # After the withdrawal the names cannot change, and a withdrawn consent cannot be edited.
    body = assert_refused(client.put(f"/api/v1/client/{pk}", json={"version": version, "last_name": "Other"},
                                     headers=headers), 422)
    assert "withdrawn on 31.01.2014" in body["message"]
    changed = [dict(listed[0], withdrawn_on="2014-01-15")]
    body = assert_refused(client.put(f"/api/v1/client/{pk}", json={"version": version, "consents": changed},
                                     headers=headers), 422)
    assert "withdrawn consent cannot be changed" in body["message"]
    assert [c.withdrawn_on for c in rows(ctx, Consent, client_id=pk, purpose="counselling")] == [date(2014, 1, 31)]
    assert rows(ctx, Client, id=pk)[0].last_name == "Person"


def test_api_refuses_bad_consents_and_writes_nothing(api_token, client, ctx):
    headers = api_token(*STAFF)
    base = {"first_name": "Api", "last_name": "Person", "birth_date": "1980-01-01", "citizenship": "SY"}
    for consents, fragment in [
        ([{"purpose": "counselling", "given_on": "2013-02-01"}], "given_how"),
        ([{"purpose": "counselling", "given_on": "01.02.2013", "given_how": "verbal"}], "not a date"),
        ([{"purpose": "marketing", "given_on": "2013-02-01", "given_how": "verbal"}], "marketing"),
        ([{"purpose": "counselling", "given_on": "2013-02-01", "given_how": "verbal", "text_version": "1999"}],
         "no consent text"),
        ([{"purpose": "counselling", "given_on": "2013-02-01", "given_how": "not_recorded"}], "how the consent"),
        ("yes", "must be a list"),
    ]:
        body = assert_refused(client.post("/api/v1/client/", json={**base, "consents": consents}, headers=headers),
                              422)
        assert fragment in str(body["message"]), (consents, body)
    assert rows(ctx, Client) == [] and rows(ctx, Consent) == []


# --- another partner ----------------------------------------------------------------------------

def test_staff_of_another_partner_cannot_read_or_write_consents(login_as, api_token, client, factories, ctx):
    record = factories.client(partner="migra")
    [consent] = _consent_of(ctx, record)
    headers = api_token("t_other_api", "Staff", ("genres",))
    assert client.get(f"/api/v1/client/{record.id}", headers=headers).status_code == 404
    put = {"version": 1, "consents": [{"purpose": "counselling", "given_on": "2011-07-01", "text_version": "2026-1",
                                       "withdrawn_on": "2014-01-01"}]}
    assert client.put(f"/api/v1/client/{record.id}", json=put, headers=headers).status_code == 404
    login_as("t_other", "Staff", ("genres",))
    assert client.get(f"/consentview/show/{consent.id}").status_code == 404
    assert client.get(f"/consents/{consent.id}.pdf").status_code == 404
    token = csrf_token(client, "/entry/")
    assert token
    assert client.post(f"/consentview/withdraw/{consent.id}", data={"csrf_token": token}).status_code == 404
    response = post_form(client, f"/consentview/add?_flt_0_client={record.id}",
                         {"client": str(record.id), "purpose": "email", "given_on": "2014-03-01",
                          "text_version": "2026-1", "language": "de", "given_how": "email"},
                         form_url="/consentview/add")
    assert response.status_code in (200, 404)
    listed = client.get("/consentview/list/").get_data(as_text=True)
    assert f"/consentview/withdraw/{consent.id}" not in listed
    assert [(c.withdrawn_on, c.purpose) for c in rows(ctx, Consent)] == [(None, "counselling")]


# --- consent texts and PDFs -------------------------------------------------------------------

def test_admin_publishes_a_new_version_old_consents_keep_theirs_and_a_used_version_is_final(login_as, client,
                                                                                           factories, ctx):
    record = factories.client()  # agreed to counselling 2026-1 (de)
    login_as("t_admin", "Admin", ())
    response = post_form(client, "/consenttextview/add", {"purpose": "counselling", "version": "2027-1",
                                                         "language": "de", "text": "Neue Fassung 2027."})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert current_text_version(ctx, "counselling", "de") == "2027-1"
    assert [c.text_version for c in _consent_of(ctx, record)] == ["2026-1"]
    used = ctx.scalar(select(ConsentText).where(ConsentText.purpose == "counselling", ConsentText.version == "2026-1",
                                                ConsentText.language == "de"))
    original = used.text
    response = post_form(client, f"/consenttextview/edit/{used.id}", {"purpose": "counselling", "version": "2026-1",
                                                                     "language": "de", "text": "geändert"})
    assert "cannot be changed or deleted" in response.get_data(as_text=True)
    ctx.expire_all()
    assert ctx.get(ConsentText, used.id).text == original
    token = csrf_token(client, "/consenttextview/list/")
    client.post(f"/consenttextview/delete/{used.id}", data={"csrf_token": token})
    ctx.expire_all()
    assert ctx.get(ConsentText, used.id) is not None
    # A version nobody agreed to may still be corrected.
    new = ctx.scalar(select(ConsentText).where(ConsentText.version == "2027-1"))
    response = post_form(client, f"/consenttextview/edit/{new.id}", {"purpose": "counselling", "version": "2027-1",
                                                                    "language": "de", "text": "Korrigierte Fassung."})
    assert response.status_code == 302
    ctx.expire_all()
    assert ctx.get(ConsentText, new.id).text == "Korrigierte Fassung."
    ctx.delete(ctx.get(ConsentText, new.id))
    ctx.commit()


def test_staff_reads_texts_but_cannot_publish(login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    assert client.get("/consenttextview/list/").status_code == 200
    response = post_form(client, "/consenttextview/add", {"purpose": "counselling", "version": "2099-1",
                                                         "language": "de", "text": "x"}, form_url="/consenttextview/list/")
    assert response.status_code in (302, 403)
    assert ctx.scalar(select(ConsentText).where(ConsentText.version == "2099-1")) is None


def test_texts_and_a_clients_consent_as_pdf(login_as, client, factories, ctx):
    record = factories.client(counselling_language="ru")
    consent = factories.consent(record, given_on=date(2013, 5, 6), language="ru", given_how="verbal")
    text = ctx.scalar(select(ConsentText).where(ConsentText.purpose == "counselling", ConsentText.language == "de",
                                                ConsentText.version == "2026-1"))
    login_as("t_staff", "Staff", ("migra",))
    response = client.get(f"/consenttexts/{text.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content = _pdf_text(response.data)
    assert "Ich willige ein" in content and "2026-1" in content
    response = client.get(f"/consents/{consent.id}.pdf")
    assert response.status_code == 200
    content = _pdf_text(response.data)
    assert record.client_number in content and "06.05.2013" in content and "IQ" in content
    assert "Я согласен" in content or "IQ" in content
    assert client.get("/consents/999999.pdf").status_code == 404


def test_management_gets_no_consent_pdf(login_as, client, factories, ctx):
    record = factories.client()
    [consent] = _consent_of(ctx, record)
    login_as("t_mgmt", "Management", ("migra",))
    assert client.get(f"/consents/{consent.id}.pdf").status_code in (302, 403, 404)
    assert client.get(f"/consentview/show/{consent.id}").status_code in (302, 403, 404)


def test_future_withdrawal_is_refused(factories, ctx):
    import pytest

    from app.core.errors import DomainError

    record = factories.client()
    [consent] = _consent_of(ctx, record)
    consent.withdrawn_on = date.today() + timedelta(days=3)
    with pytest.raises(DomainError, match="future"):
        ctx.flush()
    ctx.rollback()
