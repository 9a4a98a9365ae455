"""Postal address of a client (street, postcode, city): validation, consent rule, forms, API, import,
export, erasure (also inside the audit trail), Art. 15 report, Management, and the letter's window."""
import io
import json
import secrets
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.clients.models import Client
from app.core.errors import DomainError
from app.security.models import AuditEvent
from app.transfer.importer import import_file
from app.partners.models import Partner
from tests.api_support import STAFF
from tests.conftest import logout, post_form
from tests.transfer_files import csv_bytes, row

ADDRESS = {"street": "Lange Straße 12a", "postcode": "18055", "city": "Rostock"}


def _pdf_text(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# --- model rules ------------------------------------------------------------------------------
@pytest.mark.parametrize("postcode, state", [("18055", "MV"), ("06108", "ST"), ("1010", "abroad"),
                                             ("SW1A 1AA", "abroad"), ("00-950", None)])
def test_postcodes_accepted(factories, ctx, postcode, state):
    person = factories.client(postcode=postcode, residence_state=state, city="X")
    ctx.expire_all()
    assert ctx.get(Client, person.id).postcode == postcode


@pytest.mark.parametrize("postcode, state, words", [
    ("1805", "MV", "five digits"), ("18055x", "ST", "five digits"), ("123456789012", "abroad", "10"),
    ("18055;DROP", "abroad", "not a postcode"), ("<b>", None, "not a postcode")])
def test_postcodes_refused_with_a_clear_message(factories, ctx, postcode, state, words):
    with pytest.raises(DomainError) as refused:
        factories.client(postcode=postcode, residence_state=state, commit=False)
        ctx.flush()
    ctx.rollback()
    assert words in str(refused.value) and refused.value.field == "postcode"


def test_postcode_message_is_translated(app, factories, ctx):
    from flask_babel import force_locale

    with pytest.raises(DomainError) as refused:
        factories.client(postcode="180", residence_state="MV", commit=False)
        ctx.flush()
    ctx.rollback()
    with force_locale("de"):
        assert str(refused.value) == "Eine deutsche Postleitzahl hat fünf Ziffern."
    with pytest.raises(DomainError) as refused:
        Client(postcode="18055/7")
    with force_locale("de"):
        assert "ist keine Postleitzahl" in str(refused.value)


def test_address_lines_of_the_window(factories):
    person = factories.client(first_name="Amina", last_name="Haddad", district="Rostock-Nord", **ADDRESS)
    assert person.address_lines == ["Amina Haddad", "Lange Straße 12a", "18055 Rostock"]
    person.street = person.postcode = person.city = None
    assert person.address_lines == ["Amina Haddad", "Rostock-Nord"]


# --- consent rule (anonymous clients hold no address) ----------------------------------------------
@pytest.mark.parametrize("field", list(ADDRESS))
def test_anonymous_client_cannot_hold_an_address(factories, ctx, field):
    with pytest.raises(DomainError) as refused:
        factories.anonymous(commit=False, **{field: ADDRESS[field]})
        ctx.flush()
    ctx.rollback()
    assert "consent" in str(refused.value)


def test_api_refuses_an_address_without_consent_and_takes_it_with(client, api_token, ctx):
    headers = api_token(*STAFF)
    anonymous = {"birth_date": "1985-02-11", "gender": "female", "citizenship": "SY", **ADDRESS}
    response = client.post("/api/v1/client/", json=anonymous, headers=headers)
    assert response.status_code == 422 and "consent" in json.dumps(response.get_json())
    assert ctx.scalars(select(Client)).all() == []
    payload = dict(anonymous, first_name="Amina", last_name="Haddad",
                   consents=[{"purpose": "counselling", "given_on": "2013-01-10", "given_how": "signed_form"}])
    response = client.post("/api/v1/client/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    shown = client.get(f"/api/v1/client/{pk}", headers=headers).get_json()["result"]
    assert {name: shown[name] for name in ADDRESS} == ADDRESS
    response = client.put(f"/api/v1/client/{pk}", json={"postcode": "1805", "residence_state": "MV",
                                                          "version": shown["version"]}, headers=headers)
    assert response.status_code == 422 and "postcode" in json.dumps(response.get_json())


# --- forms ----------------------------------------------------------------------------------------
def test_client_forms_have_the_address(login_as, factories, ctx):
    person = factories.client(**ADDRESS)
    web = login_as("t_staff", "Staff", ("migra",))
    web.get("/lang/de")
    for url in ("/clientview/add", f"/clientview/edit/{person.id}"):
        page = web.get(url).get_data(as_text=True)
        for name, label in (("street", "Straße"), ("postcode", "Postleitzahl"), ("city", "Ort")):
            assert f'name="{name}"' in page and label in page, (url, name)
    page = web.get(f"/clientview/show/{person.id}").get_data(as_text=True)
    assert "Lange Straße 12a" in page and "18055" in page
    response = post_form(web, f"/clientview/edit/{person.id}",
                         {"street": "Am Strande 3", "postcode": "18055", "city": "Rostock",
                          "first_name": person.first_name, "last_name": person.last_name,
                          "birth_date": "17.05.1980", "gender": "female", "citizenship": "SY",
                          "counselling_language": "de", "version": str(person.version)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    ctx.expire_all()
    assert ctx.get(Client, person.id).street == "Am Strande 3"


# --- import and export ---------------------------------------------------------------------------
def test_import_takes_the_address_columns(ctx):
    migra = ctx.scalar(select(Partner.id).where(Partner.code == "migra"))
    data = csv_bytes([row(1, **{"Straße": "Lange Straße 12a", "PLZ": "18055", "Ort": "Rostock"})])
    result = import_file(ctx, "cases.csv", data, migra)
    assert result.ok, [str(e) for e in result.errors]
    person = ctx.scalars(select(Client)).one()
    assert (person.street, person.postcode, person.city) == ("Lange Straße 12a", "18055", "Rostock")


def test_import_refuses_an_address_of_an_anonymous_row(ctx):
    migra = ctx.scalar(select(Partner.id).where(Partner.code == "migra"))
    data = csv_bytes([row(1, Vorname="", Nachname="", **{"Einwilligung Beratung": "", "Einwilligung Art": "",
                                                         "Straße": "Lange Straße 12a"})])
    result = import_file(ctx, "cases.csv", data, migra)
    assert not result.ok and "consent" in " ".join(str(e) for e in result.errors)
    assert ctx.scalars(select(Client)).all() == []


def test_export_with_names_has_the_address_and_the_pseudonymous_one_not(login_as, factories):
    factories.case(client=factories.client(**ADDRESS))
    staff = login_as("t_staff", "Staff", ("migra",))
    text = staff.get("/exports/cases.csv?period=all").get_data(as_text=True)
    header = text.splitlines()[0].lstrip("\ufeff").split(";")
    assert {"Straße", "PLZ", "Ort"} <= set(header) and "Lange Straße 12a" in text
    logout(staff)
    management = login_as("t_mgmt", "Management", ("migra",))
    text = management.get("/exports/cases.csv?period=all").get_data(as_text=True)
    assert "Lange Straße" not in text and "Straße" not in text.splitlines()[0] and "18055" not in text


def test_management_never_sees_the_address(login_as, api_token, client, factories):
    person = factories.client(**ADDRESS)
    case = factories.case(client=person)
    web = login_as("t_mgmt", "Management", ("migra",))
    for url in (f"/clientview/show/{person.id}", f"/caseview/show/{case.id}", "/reports/dashboard"):
        response = web.get(url)
        assert "Lange Straße" not in response.get_data(as_text=True), url
    assert "Lange Straße" not in _pdf_text(web.get("/reports/cases.pdf?period=all"))
    headers = api_token("t_mgmt_api", "Management", ("migra",))
    response = client.get(f"/api/v1/client/{person.id}", headers=headers)
    assert response.status_code in (403, 404) and "Lange" not in response.get_data(as_text=True)


# --- erasure and Art. 15 ---------------------------------------------------------------------------
def test_erasure_blanks_the_address_also_in_the_audit_trail(factories, ctx):
    from app.clients.erasure import erase_client

    marker = secrets.token_hex(4).upper()
    person = factories.client(street=f"Gasse {marker} 1", postcode="18055", city=f"Ort{marker}")
    person.street = f"Weg {marker} 2"
    ctx.commit()
    events = ctx.scalars(select(AuditEvent).where(AuditEvent.table_name == "client",
                                                  AuditEvent.record_id == str(person.id))).all()
    assert marker in json.dumps([(e.old_values, e.new_values) for e in events], ensure_ascii=False)
    erase_client(ctx, person)
    ctx.commit()
    ctx.expire_all()
    erased = ctx.get(Client, person.id)
    assert (erased.street, erased.postcode, erased.city) == (None, None, None)
    events = ctx.scalars(select(AuditEvent).where(AuditEvent.table_name == "client",
                                                  AuditEvent.record_id == str(person.id))).all()
    dumped = json.dumps([(e.old_values, e.new_values) for e in events], ensure_ascii=False)
    assert marker not in dumped and "18055" not in dumped


def test_art15_report_has_the_address(login_as, factories):
    person = factories.client(**ADDRESS)
    web = login_as("t_staff", "Staff", ("migra",))
    body = web.get(f"/clients/{person.id}/art15.json").get_json()
    assert {name: body["client"][name] for name in ADDRESS} == ADDRESS
    text = _pdf_text(web.get(f"/clients/{person.id}/art15.pdf"))
    assert "Lange Straße 12a" in text and "18055" in text and "Postleitzahl" in text


# --- the letter's window -------------------------------------------------------------------------
def test_letter_window_shows_the_postal_address(login_as, factories):
    person = factories.client(first_name="Amina", last_name="Haddad", **ADDRESS)
    case = factories.case(client=person, opened_on=date(2013, 3, 14))
    factories.contact(case)
    web = login_as("t_staff", "Staff", ("migra",))
    text = _pdf_text(web.get(f"/cases/{case.id}/confirmation.pdf"))
    assert "Amina Haddad Lange Straße 12a 18055 Rostock" in text


@pytest.mark.parametrize("role, partners", [("Staff", ("genres",)), ("Management", ("migra",)),
                                            ("PartnerAdmin", ("genres",))])
def test_letter_of_another_partner_or_for_management_is_refused(login_as, factories, role, partners):
    case = factories.case(client=factories.client(**ADDRESS))
    web = login_as(f"t_{role.lower()}", role, partners)
    response = web.get(f"/cases/{case.id}/confirmation.pdf")
    assert response.status_code in (403, 404) and b"Lange" not in response.data
