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
