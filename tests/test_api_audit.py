"""REST API of the audit trail: read-only, rison filters, scope per role and partner."""
import prison
import pytest

from app.security.models import AuditEvent
from tests.api_support import ADMIN, rows

PARTNER_ADMIN = ("t_padmin", "PartnerAdmin", ("migra",))


def _list(client, headers, **filters):
    q = {"filters": [{"col": col, "opr": "eq", "value": value} for col, value in filters.items()],
         "page_size": 100}
    response = client.get(f"/api/v1/audit/?q={prison.dumps(q)}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_admin_reads_old_and_new_values_filtered_by_rison(client, api_token, factories, ctx):
    record = factories.client(first_name="Olena")
    record.first_name = "Olha"
    ctx.commit()
    body = _list(client, api_token(*ADMIN), table_name="client", record_id=str(record.id))
    assert [r["action"] for r in body["result"]] == ["update", "insert"]
    update = body["result"][0]
    assert update["old_values"] == {"first_name": "Olena"} and update["new_values"] == {"first_name": "Olha"}
    assert update["partner_id"] == record.partner_id and body["count"] == 2


def test_partner_admin_sees_only_its_partners_events(client, api_token, factories, ctx):
    own = factories.client(partner="migra", last_name="OwnMarker")
    other = factories.client(partner="genres", last_name="OtherMarker")
    headers = api_token(*PARTNER_ADMIN)
    body = _list(client, headers, table_name="client")
    assert {r["record_id"] for r in body["result"]} == {str(own.id)}
    [foreign] = rows(ctx, AuditEvent, table_name="client", record_id=str(other.id))
    assert client.get(f"/api/v1/audit/{foreign.id}", headers=headers).status_code == 404
    [mine] = rows(ctx, AuditEvent, table_name="client", record_id=str(own.id))
    shown = client.get(f"/api/v1/audit/{mine.id}", headers=headers).get_json()["result"]
    assert shown["new_values"]["last_name"] == "OwnMarker"
    # Network-wide events (no partner) reach Admin only.
    assert all(r["partner_id"] is not None for r in _list(client, headers)["result"])


@pytest.mark.parametrize("user", [("t_staff", "Staff", ("migra",)), ("t_mgmt", "Management", ("migra",))],
                         ids=["staff", "management"])
def test_roles_without_audit_permission_are_refused(user, client, api_token, factories):
    factories.client(partner="migra")
    headers = api_token(*user)
    assert client.get("/api/v1/audit/", headers=headers).status_code == 403


def test_no_token_is_refused(client):
    assert client.get("/api/v1/audit/").status_code == 401


def test_trail_is_read_only(client, api_token, factories, ctx):
    factories.client(partner="migra")
    headers = api_token(*ADMIN)
    [event] = rows(ctx, AuditEvent, table_name="client")
    assert client.post("/api/v1/audit/", json={"action": "x"}, headers=headers).status_code == 405
    assert client.put(f"/api/v1/audit/{event.id}", json={"action": "x"}, headers=headers).status_code == 405
    assert client.delete(f"/api/v1/audit/{event.id}", headers=headers).status_code == 405
    [again] = rows(ctx, AuditEvent, id=event.id)
    assert again.action == "insert"
