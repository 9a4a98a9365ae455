"""REST API of cases and contacts: CRUD, model rules answered as 4xx, locking, partner scope."""
import pytest

from app.cases.models import Case, Contact
from tests.api_support import ADMIN, STAFF, assert_refused, rows


def _case_payload(client_id, **fields):
    payload = {"client": client_id, "opened_on": "2013-03-14", "qualification_title": "Ingenieurin",
               "outcome": "application_help", "enquirer": "self", "notes": "erste Beratung"}
    payload.update(fields)
    return payload


@pytest.mark.parametrize("user", [ADMIN, STAFF], ids=["admin", "staff"])
def test_case_crud(user, client, api_token, factories, ctx):
    headers = api_token(*user)
    person = factories.client()
    migra, period = factories.partner("migra"), factories.period("2013")
    response = client.post("/api/v1/case/", json=_case_payload(person.id), headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    [row] = rows(ctx, Case, id=pk)
    # partner from the user (Staff) or from the client (Admin); period derived from opened_on
    assert (row.partner_id, row.client_id, row.funding_period_id) == (migra.id, person.id, period.id)
    assert row.version == 1 and row.status == "open" and row.counsellor_id is not None

    shown = client.get(f"/api/v1/case/{pk}", headers=headers).get_json()["result"]
    assert {k: shown[k] for k in ("id", "partner", "client", "funding_period", "opened_on", "version")} == {
        "id": pk, "partner": migra.id, "client": person.id, "funding_period": period.id,
        "opened_on": "2013-03-14", "version": 1}
    listed = client.get("/api/v1/case/", headers=headers).get_json()
    assert listed["ids"] == [pk] and listed["result"][0]["client"] == person.id

    response = client.put(f"/api/v1/case/{pk}", json={"closed_on": "2013-05-02", "version": 1},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    [row] = rows(ctx, Case, id=pk)
    assert (str(row.closed_on), row.status, row.version) == ("2013-05-02", "closed", 2)

    response = client.put(f"/api/v1/case/{pk}", json={"notes": "overwrite", "version": 1},
                          headers=headers)
    assert_refused(response, 409)
    assert rows(ctx, Case, id=pk)[0].notes == "erste Beratung"

    # Deleting is for the network Admin only (README "Roles"); Staff gets 403 and the case stays.
    if user == STAFF:
        assert client.delete(f"/api/v1/case/{pk}", headers=headers).status_code == 403
        assert len(rows(ctx, Case, id=pk)) == 1
        return
    assert client.delete(f"/api/v1/case/{pk}", headers=headers).status_code == 200
    assert rows(ctx, Case, id=pk) == []


@pytest.mark.parametrize("fields, fragment", [
    ({"outcome": "teleported"}, "teleported"),
    ({"closed_on": "2013-03-01"}, "closed before"),
    ({"opened_on": "2011-06-30"}, "programme window"),
    ({"opened_on": "2015-01-02"}, "programme window"),
    ({"funding_period": "2012"}, "not in the one given"),
], ids=["unknown-enum", "closed-before-opened", "before-window", "after-window", "wrong-period"])
def test_bad_case_input_writes_nothing(fields, fragment, client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    person = factories.client()
    if fields.get("funding_period"):
        fields = {**fields, "funding_period": factories.period(fields["funding_period"]).id}
    response = client.post("/api/v1/case/", json=_case_payload(person.id, **fields), headers=headers)
    body = assert_refused(response, 400, 422)
    assert fragment in body["message"], body
    assert rows(ctx, Case) == []


def test_bad_update_changes_nothing(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    case = factories.case()
    response = client.put(f"/api/v1/case/{case.id}",
                          json={"closed_on": "2012-01-01", "version": 1}, headers=headers)
    assert_refused(response, 400, 422)
    [row] = rows(ctx, Case, id=case.id)
    assert (row.closed_on, row.version) == (None, 1)


def test_staff_cannot_reach_another_partners_case(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    foreign = factories.case(partner="genres", notes="fremd")
    assert client.get(f"/api/v1/case/{foreign.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/case/", headers=headers).get_json()["count"] == 0
    response = client.put(f"/api/v1/case/{foreign.id}", json={"notes": "x", "version": 1},
                          headers=headers)
    assert response.status_code == 404
    # Staff may delete no case at all: 403 for its own and a foreign one alike, so nothing leaks.
    assert client.delete(f"/api/v1/case/{foreign.id}", headers=headers).status_code == 403
    [row] = rows(ctx, Case, id=foreign.id)
    assert (row.notes, row.version) == ("fremd", 1)


def test_staff_cannot_open_a_case_for_another_partners_client(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    foreign_client = factories.client(partner="genres")
    genres = factories.partner("genres")
    for payload in (_case_payload(foreign_client.id),
                    _case_payload(foreign_client.id, partner=genres.id)):
        response = client.post("/api/v1/case/", json=payload, headers=headers)
        assert response.status_code in (404, 422), response.get_json()
        assert response.get_json()["message"]
    own = factories.case()
    response = client.put(f"/api/v1/case/{own.id}", json={"client": foreign_client.id, "version": 1},
                          headers=headers)
    assert response.status_code in (404, 422), response.get_json()
    assert rows(ctx, Case, client_id=foreign_client.id) == []
    assert rows(ctx, Case, id=own.id)[0].version == 1


@pytest.mark.parametrize("user", [ADMIN, STAFF], ids=["admin", "staff"])
def test_contact_crud(user, client, api_token, factories, ctx):
    headers = api_token(*user)
    case = factories.case()
    payload = {"case": case.id, "date": "2013-03-20", "kind": "follow_up", "channel": "phone",
               "minutes": 20}
    response = client.post("/api/v1/contact/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    [row] = rows(ctx, Contact, id=pk)
    assert (row.partner_id, row.case_id, row.channel) == (case.partner_id, case.id, "phone")
    shown = client.get(f"/api/v1/contact/{pk}", headers=headers).get_json()["result"]
    assert (shown["case"], shown["date"]) == (case.id, "2013-03-20")
    assert pk in client.get("/api/v1/contact/", headers=headers).get_json()["ids"]
    response = client.put(f"/api/v1/contact/{pk}", json={"minutes": 35}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert rows(ctx, Contact, id=pk)[0].minutes == 35
    response = client.put(f"/api/v1/contact/{pk}", json={"channel": "carrier_pigeon"}, headers=headers)
    assert_refused(response, 400, 422)
    assert rows(ctx, Contact, id=pk)[0].channel == "phone"
    if user == STAFF:  # deleting is for the network Admin only
        assert client.delete(f"/api/v1/contact/{pk}", headers=headers).status_code == 403
        assert len(rows(ctx, Contact, id=pk)) == 1
        return
    assert client.delete(f"/api/v1/contact/{pk}", headers=headers).status_code == 200
    assert rows(ctx, Contact, id=pk) == []


def test_contact_before_case_opened_is_refused(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    case = factories.case()
    payload = {"case": case.id, "date": "2013-03-01", "kind": "first_contact", "channel": "email"}
    assert_refused(client.post("/api/v1/contact/", json=payload, headers=headers), 400, 422)
    assert rows(ctx, Contact) == []


def test_staff_cannot_add_a_contact_to_another_partners_case(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    foreign = factories.case(partner="genres")
    payload = {"case": foreign.id, "date": "2013-03-20", "kind": "follow_up", "channel": "phone"}
    response = client.post("/api/v1/contact/", json=payload, headers=headers)
    assert response.status_code in (404, 422), response.get_json()
    assert rows(ctx, Contact) == []


def test_deleting_a_case_deletes_its_contacts(client, api_token, factories, ctx):
    from app.cases.models import Case, Contact

    case = factories.case()
    factories.contact(case)
    factories.contact(case, kind="follow_up", date=case.opened_on)
    pk = case.id
    headers = api_token(*ADMIN)
    assert client.delete(f"/api/v1/case/{pk}", headers=headers).status_code == 200
    assert rows(ctx, Case, id=pk) == []
    assert rows(ctx, Contact, case_id=pk) == []
