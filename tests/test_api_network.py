"""REST API of partners, funding periods, funding, trainings and catalogues; the OpenAPI document."""
from decimal import Decimal

import pytest

from app.funding.models import Funding, FundingPeriod
from app.partners.models import Partner
from app.trainings.models import Training
from tests.api_support import ADMIN, STAFF, assert_refused, rows

NEW_PARTNER = {"code": "iq-test", "name": "IQ Testpartner e.V.", "city": "Stendal", "state": "ST"}


def test_partner_crud_as_admin(client, api_token, ctx):
    headers = api_token(*ADMIN)
    response = client.post("/api/v1/partner/", json=NEW_PARTNER, headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    [row] = rows(ctx, Partner, id=pk)
    assert (row.code, row.city, row.state, row.role) == ("iq-test", "Stendal", "ST", "partner")
    shown = client.get(f"/api/v1/partner/{pk}", headers=headers).get_json()["result"]
    assert {k: shown[k] for k in ("id", "code", "name", "city", "state")} == {"id": pk, **NEW_PARTNER}
    listed = client.get("/api/v1/partner/?q=(page_size:100)", headers=headers).get_json()
    assert listed["count"] == 9 and pk in listed["ids"]
    response = client.put(f"/api/v1/partner/{pk}", json={"city": "Halle (Saale)"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert rows(ctx, Partner, id=pk)[0].city == "Halle (Saale)"
    assert client.delete(f"/api/v1/partner/{pk}", headers=headers).status_code == 200
    assert rows(ctx, Partner, id=pk) == []


def test_duplicate_partner_code_is_a_clean_conflict(client, api_token, ctx):
    headers = api_token(*ADMIN)
    response = client.post("/api/v1/partner/", json={**NEW_PARTNER, "code": "migra"}, headers=headers)
    assert_refused(response, 409, 422)
    assert len(rows(ctx, Partner, code="migra")) == 1
    assert rows(ctx, Partner, name=NEW_PARTNER["name"]) == []


def test_unknown_partner_state_is_refused(client, api_token, ctx):
    headers = api_token(*ADMIN)
    body = assert_refused(client.post("/api/v1/partner/", json={**NEW_PARTNER, "state": "BY"},
                                      headers=headers), 400, 422)
    assert "BY" in body["message"]
    assert rows(ctx, Partner, code="iq-test") == []


def test_staff_reads_but_does_not_write_the_network(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    migra = factories.partner("migra")
    listed = client.get("/api/v1/partner/?q=(page_size:100)", headers=headers).get_json()
    assert listed["count"] == 8
    assert client.get(f"/api/v1/partner/{migra.id}", headers=headers).get_json()["result"]["code"] == "migra"
    assert client.post("/api/v1/partner/", json=NEW_PARTNER, headers=headers).status_code == 403
    assert client.put(f"/api/v1/partner/{migra.id}", json={"city": "X"}, headers=headers).status_code == 403
    assert client.delete(f"/api/v1/partner/{migra.id}", headers=headers).status_code == 403
    assert client.get("/api/v1/funding/", headers=headers).status_code == 403
    assert rows(ctx, Partner, id=migra.id)[0].city == "Rostock"
    assert rows(ctx, Partner, code="iq-test") == []


def test_funding_period_crud_as_admin(client, api_token, ctx):
    headers = api_token(*ADMIN)
    periods = client.get("/api/v1/funding_period/", headers=headers).get_json()["result"]
    assert {p["code"] for p in periods} == {"2011", "2012", "2013", "2014"}
    p2014 = next(p for p in periods if p["code"] == "2014")
    assert (p2014["start"], p2014["end"], p2014["closed"]) == ("2014-01-01", "2014-12-31", False)

    response = client.put(f"/api/v1/funding_period/{p2014['id']}", json={"closed": True}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert rows(ctx, FundingPeriod, code="2014")[0].closed is True
    # A new period must not overlap: make room by shortening 2014 first.
    response = client.put(f"/api/v1/funding_period/{p2014['id']}", json={"end": "2014-06-30"},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    new = {"code": "2014b", "name": "Förderperiode 2014/2", "start": "2014-07-01", "end": "2014-12-31"}
    response = client.post("/api/v1/funding_period/", json=new, headers=headers)
    try:
        assert response.status_code == 201, response.get_json()
        pk = response.get_json()["id"]
        assert client.get(f"/api/v1/funding_period/{pk}", headers=headers).get_json()["result"]["code"] == "2014b"
        assert client.delete(f"/api/v1/funding_period/{pk}", headers=headers).status_code == 200
        assert rows(ctx, FundingPeriod, code="2014b") == []
    finally:
        client.put(f"/api/v1/funding_period/{p2014['id']}",
                   json={"end": "2014-12-31", "closed": False}, headers=headers)
    assert str(rows(ctx, FundingPeriod, code="2014")[0].end) == "2014-12-31"


@pytest.mark.parametrize("period, fragment", [
    ({"start": "2011-01-01", "end": "2011-06-30"}, "programme window"),
    ({"start": "2013-06-01", "end": "2013-08-31"}, "overlaps"),
    ({"start": "2013-06-01", "end": "2013-05-31"}, "after its start"),
], ids=["outside-window", "overlap", "end-before-start"])
def test_bad_funding_period_is_refused(period, fragment, client, api_token, ctx):
    headers = api_token(*ADMIN)
    response = client.post("/api/v1/funding_period/", json={"code": "bad", "name": "bad", **period},
                           headers=headers)
    assert fragment in assert_refused(response, 400, 422)["message"]
    assert rows(ctx, FundingPeriod, code="bad") == []


def test_funding_crud_as_admin(client, api_token, factories, ctx):
    headers = api_token(*ADMIN)
    vsp, period = factories.partner("vsp"), factories.period("2012")
    payload = {"partner": vsp.id, "funding_period": period.id, "funder": "BMBF",
               "planned_amount": "120000.50", "spent_amount": "0", "planned_cases": 250}
    response = client.post("/api/v1/funding/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    [row] = rows(ctx, Funding, id=pk)
    assert (row.partner_id, row.funder, row.planned_amount) == (vsp.id, "BMBF", Decimal("120000.50"))
    shown = client.get(f"/api/v1/funding/{pk}", headers=headers).get_json()["result"]
    assert (shown["partner"], shown["funding_period"], Decimal(str(shown["planned_amount"]))) == (
        vsp.id, period.id, Decimal("120000.50"))
    assert pk in client.get("/api/v1/funding/", headers=headers).get_json()["ids"]
    response = client.put(f"/api/v1/funding/{pk}", json={"spent_amount": "5000.25"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert rows(ctx, Funding, id=pk)[0].spent_amount == Decimal("5000.25")
    # the same partner, period and funder twice: a conflict, not a database error
    assert_refused(client.post("/api/v1/funding/", json=payload, headers=headers), 409, 422)
    assert_refused(client.post("/api/v1/funding/", json={**payload, "funder": "EU"}, headers=headers),
                   400, 422)
    assert len(rows(ctx, Funding)) == 1
    assert client.delete(f"/api/v1/funding/{pk}", headers=headers).status_code == 200
    assert rows(ctx, Funding) == []


@pytest.mark.parametrize("user", [ADMIN, STAFF], ids=["admin", "staff"])
def test_training_crud(user, client, api_token, factories, ctx):
    headers = api_token(*user)
    migra = factories.partner("migra")
    payload = {"date": "2012-09-12", "title": "Interkulturelle Öffnung", "target_institution": "chamber",
               "hours": "4.5", "participants_female": 7, "participants_male": 3}
    if user is ADMIN:
        payload["partner"] = migra.id
    response = client.post("/api/v1/training/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    [row] = rows(ctx, Training, id=pk)
    assert (row.partner_id, row.funding_period.code, row.participants) == (migra.id, "2012", 10)
    assert client.get(f"/api/v1/training/{pk}", headers=headers).get_json()["result"]["title"] == payload["title"]
    assert pk in client.get("/api/v1/training/", headers=headers).get_json()["ids"]
    response = client.put(f"/api/v1/training/{pk}", json={"participants_diverse": 1}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert rows(ctx, Training, id=pk)[0].participants == 11
    response = client.put(f"/api/v1/training/{pk}", json={"target_institution": "circus"}, headers=headers)
    assert_refused(response, 400, 422)
    assert rows(ctx, Training, id=pk)[0].target_institution == "chamber"
    assert client.delete(f"/api/v1/training/{pk}", headers=headers).status_code == 200
    assert rows(ctx, Training, id=pk) == []


def test_staff_cannot_reach_another_partners_training(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    foreign = factories.training(partner="genres", title="Fremd")
    assert client.get(f"/api/v1/training/{foreign.id}", headers=headers).status_code == 404
    assert client.put(f"/api/v1/training/{foreign.id}", json={"title": "X"}, headers=headers).status_code == 404
    assert client.delete(f"/api/v1/training/{foreign.id}", headers=headers).status_code == 404
    assert rows(ctx, Training, id=foreign.id)[0].title == "Fremd"


@pytest.mark.parametrize("user", [ADMIN, STAFF], ids=["admin", "staff"])
def test_catalogues_are_read_only(user, client, api_token):
    headers = api_token(*user)
    occupations = client.get("/api/v1/reference_occupation/?q=(page_size:100)", headers=headers).get_json()
    assert occupations["count"] >= 60
    first = occupations["result"][0]
    assert {"id", "name_de", "name_en", "regulated"} <= set(first)
    assert client.get(f"/api/v1/reference_occupation/{first['id']}", headers=headers).status_code == 200
    bodies = client.get("/api/v1/competent_body/", headers=headers).get_json()
    assert bodies["count"] > 0 and {"id", "name", "kind", "state"} <= set(bodies["result"][0])
    germany = client.get("/api/v1/country/de", headers=headers).get_json()["result"]
    assert (germany["code"], germany["name_de"], germany["is_eu"]) == ("DE", "Deutschland", True)
    assert client.get("/api/v1/country/?q=(page_size:100)", headers=headers).get_json()["count"] > 200
    assert client.post("/api/v1/country/", json={"code": "ZZ"}, headers=headers).status_code in (404, 405)
    assert client.delete(f"/api/v1/competent_body/{bodies['ids'][0]}", headers=headers).status_code in (404, 405)


def test_openapi_lists_the_resources(client, api_token):
    headers = api_token(*ADMIN)
    response = client.get("/api/v1/_openapi", headers=headers)
    assert response.status_code == 200
    document = response.get_json()
    paths = document["paths"]
    for resource in ("client", "case", "partner", "funding_period", "contact", "training", "funding",
                     "reference_occupation", "competent_body", "country"):
        assert f"/api/v1/{resource}/" in paths
    assert {"get", "post"} <= set(paths["/api/v1/case/"])
    assert {"get", "put", "delete"} <= set(paths["/api/v1/case/{pk}"])
    assert "post" not in paths["/api/v1/country/"]
    schemas = document["components"]["schemas"]
    case_post = schemas["CaseApi.post"]
    assert {"client", "opened_on", "partner", "funding_period"} <= set(case_post["properties"])
    assert "partner" not in case_post.get("required", [])
    assert "version" in schemas["CaseApi.put"].get("required", [])


def test_api_requires_a_token(client):
    assert client.get("/api/v1/client/").status_code == 401
