"""Issue 8.8/8.9: security headers on every answer, no-store on everything with personal data."""
import pytest


@pytest.fixture
def staff(login_as):
    return login_as("t_hdrstaff", "Staff", ("migra",))


@pytest.mark.parametrize("path", ["/clientview/list/", "/caseview/list/", "/exports/cases.csv",
                                  "/api/v1/case/", "/login/", "/health"])
def test_headers_on_pages_exports_and_api(staff, factories, path):
    factories.case()
    response = staff.get(path)
    assert response.status_code in (200, 302, 401)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_client_page_with_personal_data_is_not_cached(staff, factories):
    client = factories.client(last_name="Geheimname")
    response = staff.get(f"/clientview/show/{client.id}")
    assert "Geheimname" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("sent, kept", [
    ("abc123def456", True), ("req-2026.12.01_x", True),
    ("bad id with spaces", False), ("x" * 65, False), ("<script>", False), ("'; DROP", False), ("a", False),
])
def test_request_id_only_in_a_safe_format(client, sent, kept):
    response = client.get("/health", headers={"X-Request-ID": sent})
    echoed = response.headers["X-Request-ID"]
    assert (echoed == sent) is kept
    assert echoed.replace("-", "").replace(".", "").replace("_", "").isalnum()
