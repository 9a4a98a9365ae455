"""Anonymous counselling: personal fields need an unwithdrawn counselling consent, on every path.

One parametrised test drives the same three inputs through the client form (UI), "Neue Beratung"
(quick entry), the REST API and the import, and expects the same outcome everywhere:
personal fields without consent are refused with the translated message and nothing is written;
anonymous counselling (statistical fields only, no consent) is accepted; with the consent recorded in
the same step the names are accepted and the consent row exists.
"""
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.clients.consent import Consent
from app.clients.models import Client
from app.partners.models import Partner
from tests.api_support import rows
from tests.conftest import post_form
from tests.transfer_files import csv_bytes

REFUSED = "Without a counselling consent the client is counselled anonymously"
REFUSED_DE = "Ohne Einwilligung in die Beratung wird anonym beraten"
PERSON = {"first_name": "Zainab", "last_name": "Quraishi-Unique"}
STATISTICAL = {"birth_date": date(1984, 6, 1), "gender": "female", "citizenship": "AF"}


def _counts(ctx):
    ctx.rollback()
    return tuple(ctx.scalar(select(func.count()).select_from(m)) for m in (Client, Consent))


def _ui(client, ctx, person, consent):
    data = {"birth_date": "1984-06-01", "gender": "female", "citizenship": "AF", "counselling_language": "de",
            **person}
    if consent:
        data.update(counselling_consent="y", consent_text_version="2026-1", consent_given_how="verbal")
    response = post_form(client, "/clientview/add", data)
    return response.status_code == 302, response.get_data(as_text=True)


def _entry(client, ctx, person, consent):
    data = {"opened_on": "03.02.2014", "channel": "phone", "birth_date": "01.06.1984", "gender": "female",
            "citizenship": "AF", "counselling_language": "de", "qualification_title": "Lehrerin",
            "qualification_type": "academic", "outcome": "application_help", **person}
    if consent:
        data.update(counselling_consent="y", consent_text_version="2026-1", consent_given_how="verbal")
    response = post_form(client, "/entry/", data)
    return response.status_code == 302, response.get_data(as_text=True)


def _api(client, ctx, person, consent, headers):
    payload = {"birth_date": "1984-06-01", "gender": "female", "citizenship": "AF", **person}
    if consent:
        payload["consents"] = [{"purpose": "counselling", "given_on": "2014-02-03", "given_how": "verbal"}]
    response = client.post("/api/v1/client/", json=payload, headers=headers)
    return response.status_code == 201, str(response.get_json())


def _import(client, ctx, person, consent):
    values = {"Vorname": person.get("first_name", ""), "Nachname": person.get("last_name", ""),
              "Geburtsdatum": "01.06.1984", "Geschlecht": "female", "Staatsangehörigkeit": "AF",
              "Telefon": person.get("phone", ""), "Beratungsbeginn": "03.02.2014", "Ergebnis": "application_help",
              "Einwilligung Beratung": "03.02.2014" if consent else "",
              "Einwilligung Art": "verbal" if consent else ""}
    migra = ctx.scalar(select(Partner.id).where(Partner.code == "migra"))
    response = post_form(client, "/import/", {"partner": str(migra), "action": "import",
                                              "upload": (io.BytesIO(csv_bytes([values])), "cases.csv")},
                         content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    return 'id="import-done"' in page, page


PATHS = ["ui", "entry", "api", "import"]


@pytest.fixture
def submit(login_as, api_token, client, ctx):
    def run(path, person, consent):
        if path == "api":
            headers = api_token("t_api", "Staff", ("migra",))
            return _api(client, ctx, person, consent, headers)
        login_as("t_staff", "Staff", ("migra",))
        return {"ui": _ui, "entry": _entry, "import": _import}[path](client, ctx, person, consent)

    return run


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("person", [PERSON, {"phone": "+49 381 1234567"}], ids=["names", "phone"])
def test_personal_fields_without_consent_are_refused_on_every_path(path, person, submit, ctx):
    if path == "entry" and "phone" in person:
        person = {"notes": "Schwester in Rostock"}  # the quick entry has no contact fields; notes instead
    ok, answer = submit(path, person, consent=False)
    assert not ok
    assert REFUSED in answer
    assert _counts(ctx) == (0, 0)


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_counselling_is_accepted_on_every_path(path, submit, ctx):
    ok, answer = submit(path, {}, consent=False)
    assert ok, answer[-2000:]
    [saved] = rows(ctx, Client)
    assert (saved.first_name, saved.last_name, saved.phone, saved.anonymous) == (None, None, None, True)
    assert (saved.birth_date, saved.gender, saved.citizenship) == (date(1984, 6, 1), "female", "AF")
    assert saved.consents == []


@pytest.mark.parametrize("path", PATHS)
def test_names_with_the_consent_given_in_the_same_step_are_accepted(path, submit, ctx):
    ok, answer = submit(path, PERSON, consent=True)
    assert ok, answer[-2000:]
    [saved] = rows(ctx, Client)
    assert saved.last_name == "Quraishi-Unique"
    [consent] = saved.consents
    assert (consent.purpose, consent.text_version, consent.language) == ("counselling", "2026-1", "de")
    assert consent.given_how in ("verbal",) and consent.partner_id == saved.partner_id


def test_the_refusal_is_translated(login_as, client, ctx, german_default):
    login_as("t_staff", "Staff", ("migra",))
    client.get("/lang/de")
    ok, page = _ui(client, ctx, PERSON, consent=False)
    assert not ok and REFUSED_DE in page
    assert _counts(ctx) == (0, 0)


def test_notes_of_an_anonymous_clients_case_are_refused(factories, api_token, client, ctx):
    headers = api_token("t_api", "Staff", ("migra",))
    anonymous = factories.anonymous()
    payload = {"client": anonymous.id, "opened_on": "2013-03-14", "notes": "lebt bei ihrer Schwester"}
    response = client.post("/api/v1/case/", json=payload, headers=headers)
    assert response.status_code == 422 and "Notes" in response.get_json()["message"]
    payload.pop("notes")
    assert client.post("/api/v1/case/", json=payload, headers=headers).status_code == 201
    assert [c.notes for c in rows(ctx, Case)] == [None]


def test_cli_import_obeys_the_rule(app, ctx, tmp_path):
    values = {"Vorname": "Anon", "Nachname": "Ymous", "Geburtsdatum": "01.06.1984", "Staatsangehörigkeit": "AF",
              "Beratungsbeginn": "03.02.2014", "Einwilligung Beratung": "", "Einwilligung Art": ""}
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes([values]))
    result = app.test_cli_runner().invoke(args=["iq", "import", str(path), "--partner", "migra"])
    assert result.exit_code != 0 and REFUSED in result.output
    assert _counts(ctx) == (0, 0)
    values.update({"Vorname": "", "Nachname": ""})
    path.write_bytes(csv_bytes([values]))
    result = app.test_cli_runner().invoke(args=["iq", "import", str(path), "--partner", "migra"])
    assert result.exit_code == 0, result.output
    assert _counts(ctx) == (1, 0)
