"""REST API of clients: CRUD as Admin and Staff, optimistic locking, partner scope."""
import pytest

from app.clients.models import Client
from tests.api_support import ADMIN, STAFF, assert_refused, rows

NEW_CLIENT = {"first_name": "Amina", "last_name": "Haddad", "birth_date": "1985-02-11",
              "gender": "female", "citizenship": "SY",
              "consents": [{"purpose": "counselling", "given_on": "2013-01-10", "given_how": "signed_form"}]}


@pytest.mark.parametrize("user", [ADMIN, STAFF], ids=["admin", "staff"])
def test_client_crud(user, client, api_token, factories, ctx):
    headers = api_token(*user)
    migra = factories.partner("migra")
    payload = dict(NEW_CLIENT)
    if user is ADMIN:
        payload["partner"] = migra.id  # Admin belongs to no partner: names it
    response = client.post("/api/v1/client/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    [row] = rows(ctx, Client, id=pk)
    assert (row.partner_id, row.last_name, row.version) == (migra.id, "Haddad", 1)
    assert row.client_number.startswith("MIGR-")

    shown = client.get(f"/api/v1/client/{pk}", headers=headers).get_json()["result"]
    assert shown["id"] == pk and shown["partner"] == migra.id and shown["birth_date"] == "1985-02-11"
    assert shown["citizenship"] == "SY" and shown["version"] == 1
    listed = client.get("/api/v1/client/", headers=headers).get_json()
    assert pk in listed["ids"] and listed["result"][0]["partner"] == migra.id

    response = client.put(f"/api/v1/client/{pk}", json={"last_name": "Haddad-Ali", "version": 1},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["version"] == 2
    [row] = rows(ctx, Client, id=pk)
    assert (row.last_name, row.version) == ("Haddad-Ali", 2)

    response = client.put(f"/api/v1/client/{pk}", json={"last_name": "Old", "version": 1},
                          headers=headers)
    assert_refused(response, 409)
    [row] = rows(ctx, Client, id=pk)
    assert (row.last_name, row.version) == ("Haddad-Ali", 2)

    # Deleting is for the network Admin only (README "Roles"); Staff gets 403 and the client stays.
    if user == STAFF:
        assert client.delete(f"/api/v1/client/{pk}", headers=headers).status_code == 403
        assert len(rows(ctx, Client, id=pk)) == 1
        return
    assert client.delete(f"/api/v1/client/{pk}", headers=headers).status_code == 200
    assert rows(ctx, Client, id=pk) == []


def test_put_without_version_is_refused(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    record = factories.client(last_name="Before")
    response = client.put(f"/api/v1/client/{record.id}", json={"last_name": "After"}, headers=headers)
    body = assert_refused(response, 400, 422)
    assert "version" in str(body["message"])
    assert rows(ctx, Client, id=record.id)[0].last_name == "Before"


@pytest.mark.parametrize("field, value, fragment", [
    ("gender", "robot", "robot"),
    ("citizenship", "XX", "XX"),
    ("birth_date", "2030-01-01", "past"),
], ids=["unknown-enum", "unknown-country", "future-birth-date"])
def test_bad_client_input_writes_nothing(field, value, fragment, client, api_token, ctx):
    headers = api_token(*STAFF)
    response = client.post("/api/v1/client/", json={**NEW_CLIENT, field: value}, headers=headers)
    body = assert_refused(response, 400, 422)
    assert fragment in body["message"]
    assert rows(ctx, Client) == []


def test_staff_cannot_touch_another_partners_client(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    foreign = factories.client(partner="genres", last_name="Fremd")
    assert client.get(f"/api/v1/client/{foreign.id}", headers=headers).status_code == 404
    assert foreign.id not in client.get("/api/v1/client/", headers=headers).get_json()["ids"]
    response = client.put(f"/api/v1/client/{foreign.id}",
                          json={"last_name": "Changed", "version": 1}, headers=headers)
    assert response.status_code == 404
    # Staff may delete no client at all: 403 for its own and a foreign one alike, so nothing leaks.
    assert client.delete(f"/api/v1/client/{foreign.id}", headers=headers).status_code == 403
    [row] = rows(ctx, Client, id=foreign.id)
    assert (row.last_name, row.version) == ("Fremd", 1)


def test_staff_cannot_create_or_move_a_client_to_another_partner(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    genres = factories.partner("genres")
    response = client.post("/api/v1/client/", json={**NEW_CLIENT, "partner": genres.id},
                           headers=headers)
    assert response.status_code == 404
    assert rows(ctx, Client) == []
    own = factories.client()
    response = client.put(f"/api/v1/client/{own.id}", json={"partner": genres.id, "version": 1},
                          headers=headers)
    assert response.status_code == 404
    assert rows(ctx, Client, id=own.id)[0].partner.code == "migra"


def test_admin_must_name_the_partner(client, api_token, ctx):
    headers = api_token(*ADMIN)
    body = assert_refused(client.post("/api/v1/client/", json=NEW_CLIENT, headers=headers), 400, 422)
    assert body["field"] == "partner"
    assert rows(ctx, Client) == []


def test_deleting_a_client_with_cases_is_a_clean_conflict(client, api_token, factories, ctx):
    headers = api_token(*ADMIN)
    case = factories.case()
    response = client.delete(f"/api/v1/client/{case.client_id}", headers=headers)
    assert_refused(response, 409, 422)
    assert len(rows(ctx, Client, id=case.client_id)) == 1
