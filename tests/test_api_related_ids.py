"""Related fields of the writable APIs take ids only (CONTRACT.md): anything else is a 422, no writes."""
import pytest

from app.cases.models import Case, Contact
from app.catalogues.models import CompetentBody, ReferenceOccupation
from app.clients.models import Client
from app.funding.models import Funding, FundingPeriod
from app.partners.models import Partner
from app.trainings.models import Training
from tests.api_support import ADMIN, STAFF, assert_refused, rows

TABLES = (Partner, FundingPeriod, CompetentBody, ReferenceOccupation, Client, Case, Contact,
          Training, Funding)

EVIL_BODY = {"id": 900, "key": "evil-body", "name": "Evil Body", "kind": "hwk", "state": "MV"}
EVIL_OCCUPATION = {"id": 900, "key": "evil-occupation", "name_de": "Böse", "name_en": "Evil",
                   "regulated": False, "legal_basis": "none", "authority_kind": "hwk"}


def _counts(ctx):
    ctx.rollback()
    return {model.__name__: ctx.query(model).count() for model in TABLES}


def _payloads(factories):
    """(resource, user, valid payload, existing record) for every writable API."""
    migra, period = factories.partner("migra"), factories.period("2013")
    person = factories.client()
    case = factories.case(client=person)
    return {
        "client": (STAFF, {"first_name": "Amina", "last_name": "Haddad", "birth_date": "1985-02-11",
                           "gender": "female", "citizenship": "SY", "partner": migra.id}, person),
        "case": (STAFF, {"client": person.id, "opened_on": "2013-03-14", "outcome": "application_help",
                         "enquirer": "self", "partner": migra.id, "funding_period": period.id,
                         "qualification_title": "Ingenieurin"}, case),
        "contact": (STAFF, {"case": case.id, "date": "2013-03-20", "kind": "follow_up",
                            "channel": "phone", "partner": migra.id}, factories.contact(case)),
        "training": (STAFF, {"date": "2012-09-12", "title": "Öffnung", "target_institution": "chamber",
                             "hours": "4.5", "partner": migra.id,
                             "funding_period": factories.period("2012").id},
                     factories.training()),
        "funding": (ADMIN, {"partner": migra.id, "funding_period": factories.period("2014").id,
                            "funder": "BMBF", "planned_amount": "1000", "spent_amount": "0",
                            "planned_cases": 5}, factories.funding()),
    }


RELATED = [("client", "partner"), ("case", "partner"), ("case", "client"),
           ("case", "funding_period"), ("case", "reference_occupation"), ("case", "competent_body"),
           ("contact", "partner"), ("contact", "case"), ("training", "partner"),
           ("training", "funding_period"), ("funding", "partner"), ("funding", "funding_period")]
NOT_IDS = {"nested": lambda good: {"id": good, "name": "Evil", "key": "evil"},
           "list": lambda good: [good, good], "text": lambda good: str(good),
           "boolean": lambda good: True, "unknown-id": lambda good: 987654}


def _good_id(ctx, resource, field, payload):
    if field in payload:
        return payload[field]
    model = {"reference_occupation": ReferenceOccupation, "competent_body": CompetentBody}[field]
    return ctx.query(model).order_by(model.id).first().id


@pytest.mark.parametrize("resource, field", RELATED, ids=[f"{r}.{f}" for r, f in RELATED])
@pytest.mark.parametrize("kind", list(NOT_IDS))
def test_related_field_takes_an_id_only(resource, field, kind, client, api_token, factories, ctx):
    user, payload, existing = _payloads(factories)[resource]
    headers = api_token(*user)
    bad = NOT_IDS[kind](_good_id(ctx, resource, field, payload))
    before = _counts(ctx)
    response = client.post(f"/api/v1/{resource}/", json={**payload, field: bad}, headers=headers)
    if kind == "unknown-id" and field == "partner":
        assert_refused(response, 404, 422)  # an unknown partner is outside the user's scope
    else:
        body = assert_refused(response, 422)
        assert field in str(body["message"]), body
    assert _counts(ctx) == before

    version = getattr(existing, "version", None)
    update = {field: bad, **({"version": version} if version is not None else {})}
    response = client.put(f"/api/v1/{resource}/{existing.id}", json=update, headers=headers)
    assert_refused(response, 404, 422) if field == "partner" else assert_refused(response, 422)
    assert _counts(ctx) == before
    [row] = rows(ctx, type(existing), id=existing.id)
    assert getattr(row, f"{field}_id") == getattr(existing, f"{field}_id")


@pytest.mark.parametrize("field, evil, model", [
    ("competent_body", EVIL_BODY, CompetentBody),
    ("reference_occupation", EVIL_OCCUPATION, ReferenceOccupation),
], ids=["competent_body", "reference_occupation"])
def test_staff_cannot_create_reference_data_through_a_case(field, evil, model, client, api_token,
                                                            factories, ctx):
    """The issue's reproduction: a complete nested object used to answer 201 and insert it."""
    headers = api_token(*STAFF)
    person = factories.client()
    payload = {"client": person.id, "opened_on": "2013-03-14", "outcome": "application_help",
               "enquirer": "self", field: evil}
    body = assert_refused(client.post("/api/v1/case/", json=payload, headers=headers), 422)
    assert field in body["message"], body
    assert rows(ctx, model, key=evil["key"]) == []
    assert rows(ctx, Case) == []


def test_related_ids_still_work(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    person = factories.client()
    body_id = ctx.query(CompetentBody.id).order_by(CompetentBody.id).first()[0]
    payload = {"client": person.id, "opened_on": "2013-03-14", "outcome": "application_help",
               "enquirer": "self", "competent_body": body_id}
    response = client.post("/api/v1/case/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert rows(ctx, Case, id=response.get_json()["id"])[0].competent_body_id == body_id
