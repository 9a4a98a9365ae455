"""Issue 8.9: deleting clients, cases and contacts is for the network Admin only (README "Roles").

Staff creates, reads and updates them; PartnerAdmin reads them. Neither may delete in the UI (the
delete route, the single and the bulk action) or in the API, and neither sees a delete button.
Personal data leaves through the erasure of the data-protection issue, which keeps the statistics.
"""
import pytest
from sqlalchemy import func, select

from app.cases.models import Case, Contact
from app.clients.models import Client
from tests.conftest import csrf_token, logout

ROLES = [("Staff", ("migra",)), ("PartnerAdmin", ("migra",))]


def _counts(ctx):
    ctx.rollback()
    return tuple(ctx.execute(select(func.count()).select_from(m)).scalar() for m in (Client, Case, Contact))


@pytest.fixture
def records(factories):
    case = factories.case(partner="migra")
    contact = factories.contact(case)
    return {"clientview": case.client_id, "caseview": case.id, "contactview": contact.id}


@pytest.mark.parametrize("role,partners", ROLES, ids=[r for r, _ in ROLES])
def test_ui_deletes_are_refused_and_change_nothing(login_as, client, ctx, records, role, partners):
    login_as(f"t_del{role.lower()}", role, partners)
    before = _counts(ctx)
    token = csrf_token(client, "/clientview/list/")
    assert token
    for view, pk in records.items():
        responses = [
            client.post(f"/{view}/delete/{pk}", data={"csrf_token": token}),
            client.post(f"/{view}/action/muldelete/{pk}", data={"csrf_token": token}),
            client.post(f"/{view}/action_post", data={"csrf_token": token, "action": "muldelete", "rowid": [pk]}),
        ]
        for response in responses:
            assert response.status_code in (302, 403, 404), (view, response.status_code)
            assert "deleted" not in response.get_data(as_text=True)
        assert _counts(ctx) == before, view


@pytest.mark.parametrize("role,partners", ROLES, ids=[r for r, _ in ROLES])
def test_api_deletes_are_forbidden_and_change_nothing(client, api_token, ctx, records, role, partners):
    headers = api_token(f"t_delapi{role.lower()}", role, partners)
    before = _counts(ctx)
    for resource, view in (("client", "clientview"), ("case", "caseview"), ("contact", "contactview")):
        response = client.delete(f"/api/v1/{resource}/{records[view]}", headers=headers)
        assert response.status_code == 403, (resource, response.get_json())
    assert _counts(ctx) == before


def test_staff_sees_no_delete_button_admin_does(login_as, client, records):
    login_as("t_delbtnstaff", "Staff", ("migra",))
    for view, pk in records.items():
        page = client.get(f"/{view}/list/").get_data(as_text=True)
        assert f"/{view}/show/{pk}" in page  # the record is listed ...
        assert f"/{view}/delete/{pk}" not in page  # ... without a delete button
    logout(client)
    login_as("t_delbtnadmin", "Admin", ())
    page = client.get("/clientview/list/").get_data(as_text=True)
    assert f"/clientview/delete/{records['clientview']}" in page


def test_admin_deletes_a_contact_in_the_ui(login_as, client, ctx, records):
    login_as("t_deladmin", "Admin", ())
    token = csrf_token(client, "/contactview/list/")
    response = client.post(f"/contactview/delete/{records['contactview']}", data={"csrf_token": token})
    assert response.status_code == 302
    ctx.rollback()
    assert ctx.get(Contact, records["contactview"]) is None
