"""Issue 8.6/8.7: page sizes are capped and odd list/id input answers 400/404, never 5xx."""
import pytest


@pytest.fixture
def staff(login_as):
    return login_as("t_boundsstaff", "Staff", ("migra",))


@pytest.mark.parametrize("query", ["psize_CaseView=100000000", "psize_CaseView=101", "psize_CaseView=abc",
                                   "psize_CaseView=-5", "page_CaseView=99999999999999999999",
                                   "page_CaseView=abc", "page_CaseView=-1"])
def test_list_arguments_out_of_bounds_are_refused(staff, query):
    response = staff.get(f"/caseview/list/?{query}")
    assert response.status_code == 400
    import re
    alerts = re.findall(r"alert-danger[^>]*>([^<]*)<", response.get_data(as_text=True))
    assert any("at most 100 rows per page" in a for a in alerts), alerts


def test_page_size_within_bounds_is_served(staff, factories):
    factories.case()
    assert staff.get("/caseview/list/?psize_CaseView=100").status_code == 200


@pytest.mark.parametrize("path", ["/caseview/show/999999999999999999999999",
                                  "/clientview/edit/18446744073709551616",
                                  "/caseview/show/-99999999999999999999"])
def test_huge_ids_in_ui_are_not_found(staff, path):
    assert staff.get(path).status_code == 404


def test_huge_ids_in_api_are_not_found(client, api_token):
    headers = api_token("t_boundsapi", "Staff", ("migra",))
    response = client.get("/api/v1/case/166673854649848385503232", headers=headers)
    assert response.status_code == 404


# --- issue 8.7: odd input answers 400/404/422 with a translated message, never 5xx ---------------

import json as _json  # noqa: E402


def _message(response):
    return response.get_json()["message"]


@pytest.mark.parametrize("query", ["((((", "(a:(", "(a:", "!(1", "'x"])
def test_api_q_that_is_no_rison_is_a_translated_400(client, api_token, query):
    headers = api_token("t_boundsq", "Staff", ("migra",))
    for path in ("/api/v1/case/", "/api/v1/client/_info", "/api/v1/case/1"):
        response = client.get(path, query_string={"q": query}, headers=headers)
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        assert _message(response) == "The query argument q is not valid rison."


def test_api_q_in_german(client, api_token, german_default):
    headers = dict(api_token("t_boundsqde", "Staff", ("migra",)), **{"Accept-Language": "de"})
    response = client.get("/api/v1/case/", query_string={"q": "(((("}, headers=headers)
    assert response.status_code == 400
    assert _message(response) == "Das Abfrageargument q ist kein gültiges Rison."


@pytest.mark.parametrize("query", ["1", "!(1)", "'text'", "[1]", "\"text\""])
def test_api_q_that_is_no_object_is_a_400(client, api_token, query):
    headers = api_token("t_boundsqo", "Staff", ("migra",))
    response = client.get("/api/v1/case/", query_string={"q": query}, headers=headers)
    assert response.status_code == 400
    assert _message(response).startswith("The query argument q must be a rison object")


def test_api_json_q_still_works(client, api_token, factories):
    """FAB's JSON fallback for q stays (integrations may send it)."""
    factories.case()
    headers = api_token("t_boundsqj", "Staff", ("migra",))
    response = client.get("/api/v1/case/", query_string={"q": _json.dumps({"page_size": 5})}, headers=headers)
    assert response.status_code == 200 and response.get_json()["count"] == 1


@pytest.mark.parametrize("query,message", [
    ("(page_size:101)", "page_size must be a whole number from 1 to 100."),
    ("(page_size:500)", "page_size must be a whole number from 1 to 100."),
    ("(page_size:0)", "page_size must be a whole number from 1 to 100."),
    ("(page_size:'10')", "page_size must be a whole number from 1 to 100."),
    ("(page:-1)", "page must be a whole number from 0 to 1000000."),
    ("(page:99999999999999999999)", "page must be a whole number from 0 to 1000000."),
])
def test_api_page_size_is_capped_at_100_with_a_400(client, api_token, query, message):
    headers = api_token("t_boundsps", "Staff", ("migra",))
    response = client.get("/api/v1/case/", query_string={"q": query}, headers=headers)
    assert response.status_code == 400
    assert _message(response) == message


def test_api_page_size_100_is_served(client, api_token, factories):
    for _ in range(3):
        factories.case()
    headers = api_token("t_bounds100", "Staff", ("migra",))
    body = client.get("/api/v1/case/?q=(page_size:100)", headers=headers).get_json()
    assert body["count"] == 3 and len(body["ids"]) == 3


def test_unknown_order_column_or_direction_in_ui_is_a_translated_400(german_default, staff, factories):
    case = factories.case()
    for query, message in (("_oc_CaseView=notacolumn", "kann nicht nach notacolumn sortiert werden"),
                           ("_oc_CaseView=opened_on&_od_CaseView=sideways", "Sortierrichtung")):
        response = staff.get(f"/caseview/list/?{query}")
        assert response.status_code == 400, query
        assert message in response.get_data(as_text=True), query
    # The list's own sorts still work.
    response = staff.get("/caseview/list/?_oc_CaseView=opened_on&_od_CaseView=desc")
    assert response.status_code == 200 and f"/caseview/show/{case.id}" in response.get_data(as_text=True)


def test_unknown_order_column_in_api_is_a_400(client, api_token):
    headers = api_token("t_boundsoc", "Staff", ("migra",))
    response = client.get("/api/v1/case/?q=(order_column:notacolumn)", headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/caseview/download/x.txt", "/clientview/download/..%2F..%2Fetc%2Fpasswd",
                                  "/users/download/x.txt"])
def test_file_download_routes_answer_404(login_as, path):
    admin = login_as("t_boundsdl", "Admin", ())
    assert admin.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/caseview/show/2147483648", "/clientview/edit/9223372036854775807"])
def test_ids_beyond_the_databases_integer_are_not_found_in_the_ui(staff, path):
    assert staff.get(path).status_code == 404


def test_ids_beyond_the_databases_integer_are_not_found_in_the_api(client, api_token, factories, ctx):
    from app.clients.models import Client

    client_row = factories.client()
    headers = api_token("t_boundsid", "Staff", ("migra",))
    for method in ("get", "put", "delete"):
        response = getattr(client, method)("/api/v1/client/4294967296", headers=headers,
                                           **({"json": {"version": 1}} if method == "put" else {}))
        assert response.status_code == 404, method
    payload = {"client": 2**40, "opened_on": "2013-03-01", "qualification_title": "x"}
    response = client.post("/api/v1/case/", json=payload, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["message"]["client"] == ["There is no record with this id."]
    ctx.rollback()
    assert ctx.query(Client).count() == 1 and ctx.get(Client, client_row.id) is not None


def test_related_filter_beyond_the_databases_integer_is_no_server_error(client, api_token, factories, ctx):
    factories.case()
    headers = api_token("t_boundsfl", "Staff", ("migra",))
    query = "(filters:!((col:client,opr:rel_o_m,value:1099511627776)))"
    response = client.get("/api/v1/case/", query_string={"q": query}, headers=headers)
    if ctx.get_bind().dialect.name == "postgresql":  # integer out of range in the driver
        assert response.status_code == 400
        assert _message(response) == "A value is out of range or has an invalid format."
    else:  # SQLite's integers are 64 bits: simply no such client
        assert response.status_code == 200 and response.get_json()["count"] == 0


@pytest.mark.parametrize("body", [{"partner": [1, 2]}, {"partner": {"id": 1}}])
def test_lists_or_objects_where_an_id_is_expected_are_a_422(client, api_token, ctx, body):
    from app.clients.models import Client

    headers = api_token("t_boundsrel", "Staff", ("migra",))
    payload = {"first_name": "A", "last_name": "B", "birth_date": "1980-01-01", "citizenship": "SY", **body}
    response = client.post("/api/v1/client/", json=payload, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["message"]["partner"] == ["Give the id (a whole number) of an existing record."]
    ctx.rollback()
    assert ctx.query(Client).count() == 0


def test_nul_characters_are_a_400_and_nothing_is_written(client, api_token, login_as, ctx):
    from app.clients.models import Client

    headers = api_token("t_boundsnul", "Staff", ("migra",))
    payload = {"first_name": "A\x00", "last_name": "B", "birth_date": "1980-01-01", "citizenship": "SY"}
    response = client.post("/api/v1/client/", json=payload, headers=headers)
    assert response.status_code == 400
    assert _message(response) == "The input contains a NUL character, which cannot be stored."
    assert client.get("/api/v1/client/", query_string={"q": "(filters:!((col:last_name,opr:ct,value:'\x00')))"},
                      headers=headers).status_code == 400
    ctx.rollback()
    assert ctx.query(Client).count() == 0


def test_nul_characters_in_a_ui_form_are_a_400(login_as, ctx):
    from app.clients.models import Client
    from tests.conftest import post_form

    staff = login_as("t_boundsnului", "Staff", ("migra",))
    response = post_form(staff, "/clientview/add", {"first_name": "A\x00", "last_name": "B"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    ctx.rollback()
    assert ctx.query(Client).count() == 0


def test_login_without_provider_is_a_400(client, make_user):
    make_user("t_boundslogin", "Staff", ("migra",))
    response = client.post("/api/v1/security/login", json={"username": "t_boundslogin", "password": "x"})
    assert response.status_code == 400
    assert _message(response) == 'The login needs "username", "password" and "provider": "db".'
