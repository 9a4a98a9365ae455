"""Every URL and command of CONTRACT.md's "Data protection" section (issue 11) answers as described,
and another partner's client answers 404 on each client URL."""
import prison
from datetime import date

from app.clients.models import Client
from tests.conftest import logout
from tests.test_erasure import _login, _person, _post


def test_art15_pdf_and_json(client, make_user, factories, ctx):
    mine, other = factories.client(partner="migra"), factories.client(partner="genres")
    web = _login(client, make_user, "t_staff")
    pdf = web.get(f"/clients/{mine.id}/art15.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    body = web.get(f"/clients/{mine.id}/art15.json")
    assert body.status_code == 200 and body.get_json()["client"]["id"] == mine.id
    for fmt in ("pdf", "json"):
        assert web.get(f"/clients/{other.id}/art15.{fmt}").status_code == 404
    web = _login(client, make_user, "t_admin", role="Admin", partners=())
    assert web.get(f"/clients/{other.id}/art15.json").status_code == 200


def test_erasure_request_and_confirmation_ui_and_api(client, make_user, api_token, factories, ctx):
    person, _ = _person(factories, ctx, "Contract1")
    second, _ = _person(factories, ctx, "Contract2")
    foreign, _ = _person(factories, ctx, "Contract3", partner="genres")
    show = f"/clientview/show/{person.id}"
    web = _login(client, make_user, "t_first")
    assert _post(web, f"/clients/{foreign.id}/erasure", show).status_code == 404
    assert _post(web, f"/clients/{person.id}/erasure", show).status_code == 302
    web = _login(client, make_user, "t_second")
    assert _post(web, f"/clients/{person.id}/erasure/confirm", show).status_code == 302
    logout(client)
    url = f"/api/v1/client/{second.id}/erasure"
    first_token, second_token = api_token("t_api1"), api_token("t_api2")
    assert client.post(url, headers=first_token).status_code == 202
    assert client.post(url, headers=second_token).status_code == 200
    assert client.post(f"/api/v1/client/{foreign.id}/erasure", headers=first_token).status_code == 404
    ctx.expire_all()
    assert ctx.get(Client, person.id).erased_at is not None and ctx.get(Client, second.id).erased_at is not None
    assert ctx.get(Client, foreign.id).erased_at is None


def test_retention_command_and_dry_run(app, factories, ctx):
    for args in (["iq", "retention", "--dry-run"], ["iq", "retention"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output


def test_client_api_fields(client, api_token, factories, ctx):
    record = factories.client(partner="migra")
    shown = client.get(f"/api/v1/client/{record.id}", headers=api_token("t_staff")).get_json()["result"]
    assert {"consents", "delete_after"} <= set(shown)
    [consent] = shown["consents"]
    assert {"purpose", "given_on", "text_version", "withdrawn_on"} <= set(consent)
    assert consent["purpose"] in ("counselling", "referral", "email")
    date.fromisoformat(shown["delete_after"])
    # street, postcode, city: the postal address columns (added with the letters' address work).
    address = {"street", "postcode", "city"} & set(Client.__table__.c.keys())
    assert address <= set(shown)


def test_access_log_and_audit_api(client, api_token, login_as, factories, ctx):
    record = factories.client(partner="migra")
    web = login_as("t_reader", "Staff", ("migra",))
    assert web.get(f"/clientview/show/{record.id}").status_code == 200
    logout(client)
    q = prison.dumps({"filters": [{"col": "client_id", "opr": "eq", "value": record.id}]})
    for role, partners in (("Admin", ()), ("PartnerAdmin", ("migra",))):
        headers = api_token(f"t_{role.lower()}", role, partners)
        logged = client.get(f"/api/v1/access_log/?q={q}", headers=headers)
        assert logged.status_code == 200 and logged.get_json()["count"] == 1, logged.get_json()
        audit_q = prison.dumps({"filters": [{"col": "table_name", "opr": "eq", "value": "client"}]})
        trail = client.get(f"/api/v1/audit/?q={audit_q}", headers=headers)
        assert trail.status_code == 200 and trail.get_json()["count"] >= 1
    headers = api_token("t_padmin_b", "PartnerAdmin", ("genres",))
    assert client.get(f"/api/v1/access_log/?q={q}", headers=headers).get_json()["count"] == 0
