"""The API case list's count (over the primary key) equals a direct count, whatever the filters;
its query arguments are validated as before (FAB's rison schema, with a compiled validator)."""
import prison
import pytest
from sqlalchemy import func, select

from app.catalogues.models import ReferenceOccupation
from app.cases.models import Case
from app.security.scoping import system_scope
from tests.api_support import ADMIN, STAFF


def _direct_count(ctx, *criteria):
    from app.extensions import db

    with system_scope():
        return db.session.execute(select(func.count(Case.id)).where(*criteria)).scalar()


@pytest.mark.parametrize("user", [ADMIN, STAFF], ids=["admin", "staff"])
def test_count_equals_a_direct_count(user, client, api_token, factories, ctx):
    from app.extensions import db

    headers = api_token(*user)
    occupation = db.session.execute(select(ReferenceOccupation).limit(1)).scalar()
    for index in range(4):  # with and without the joined reference occupation
        factories.case(reference_occupation=occupation if index % 2 else None,
                       outcome="application_help" if index < 3 else "on_hold")
    factories.case(partner="genres")  # outside Staff's partner
    migra = factories.partner("migra")
    listed = client.get("/api/v1/case/?q=(page_size:2)", headers=headers).get_json()
    expected = _direct_count(ctx) if user == ADMIN else _direct_count(ctx, Case.partner_id == migra.id)
    assert listed["count"] == expected and len(listed["ids"]) == 2

    q = prison.dumps({"filters": [{"col": "outcome", "opr": "eq", "value": "application_help"}], "page_size": 1})
    filtered = client.get(f"/api/v1/case/?q={q}", headers=headers).get_json()
    criteria = [Case.outcome == "application_help"] + ([] if user == ADMIN else [Case.partner_id == migra.id])
    assert filtered["count"] == _direct_count(ctx, *criteria) == (4 if user == ADMIN else 3)

    q = prison.dumps({"filters": [{"col": "reference_occupation", "opr": "rel_o_m", "value": occupation.id}]})
    related = client.get(f"/api/v1/case/?q={q}", headers=headers).get_json()
    assert related["count"] == 2 and len(related["result"]) == 2


def test_query_arguments_still_validated(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    factories.case()
    assert client.get("/api/v1/case/?q=(page:0,page_size:5)", headers=headers).status_code == 200
    for bad in ("(filters:!((col:outcome)))", "(order_direction:up)", "(keys:!(nothing))"):
        response = client.get(f"/api/v1/case/?q={bad}", headers=headers)
        assert response.status_code == 400, bad
        assert "Not a valid rison schema" in response.get_json()["message"], bad


def test_cached_validator_reports_like_jsonschema():
    import jsonschema
    from flask_appbuilder.api.schemas import get_list_schema

    from app.core.api import _CachedJsonSchema

    cached = _CachedJsonSchema()
    for instance in ({"page": "x"}, {"filters": [{"col": 1}]}, {"order_direction": "up"}):
        with pytest.raises(jsonschema.ValidationError) as stock:
            jsonschema.validate(instance=instance, schema=get_list_schema)
        with pytest.raises(cached.ValidationError) as ours:
            cached.validate(instance=instance, schema=get_list_schema)
        assert str(ours.value).split("\n", 1)[0] == str(stock.value).split("\n", 1)[0]
    cached.validate(instance={"page": 0, "page_size": 10}, schema=get_list_schema)
    import flask_appbuilder.api as fab_api

    assert isinstance(fab_api.jsonschema, _CachedJsonSchema)  # installed when app.core.api is imported
