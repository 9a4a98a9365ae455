"""Role × data-protection URL (CONTRACT.md "Data protection", audit and access-log API): the exact
answer for each role, and a refused request leaves the erasure requests, the audit trail and the
access log as they were (issue 11).

Users: Admin (no membership), PartnerAdmin, Staff and Management of migra, Staff of genres; the
client belongs to migra."""
import pytest
from sqlalchemy import func, select

from app.clients.erasure import ErasureRequest
from app.security.models import AccessLogEntry, AuditEvent
from tests.conftest import logout

ROLES = {
    "admin": ("Admin", ()),
    "padmin": ("PartnerAdmin", ("migra",)),
    "staff": ("Staff", ("migra",)),
    "staff_other": ("Staff", ("genres",)),
    "mgmt": ("Management", ("migra",)),
}

# (method, url template, API?) → {role: status}
MATRIX = [
    ("GET", "/clients/{pk}/art15.json", False,
     {"admin": 200, "padmin": 403, "staff": 200, "staff_other": 404, "mgmt": 403}),
    ("GET", "/clients/{pk}/art15.pdf", False,
     {"admin": 200, "padmin": 403, "staff": 200, "staff_other": 404, "mgmt": 403}),
    ("GET", "/api/v1/client/{pk}", True,
     {"admin": 200, "padmin": 200, "staff": 200, "staff_other": 404, "mgmt": 403}),
    ("GET", "/api/v1/access_log/", True,
     {"admin": 200, "padmin": 200, "staff": 403, "mgmt": 403, "staff_other": 403}),
    ("GET", "/api/v1/audit/", True,
     {"admin": 200, "padmin": 200, "staff": 403, "mgmt": 403, "staff_other": 403}),
    ("GET", "/retention/", False,
     {"admin": 200, "padmin": 200, "staff": 403, "staff_other": 403, "mgmt": 403}),
    ("GET", "/clientview/show/{pk}", False,
     {"admin": 200, "padmin": 200, "staff": 200, "staff_other": 404, "mgmt": 403}),
    ("POST", "/api/v1/client/{pk}/erasure", True,
     {"admin": 202, "padmin": 403, "staff": 202, "staff_other": 404, "mgmt": 403}),
]


def _state(ctx):
    ctx.expire_all()
    return (ctx.scalar(select(func.count()).select_from(ErasureRequest)),
            ctx.scalar(select(func.count()).select_from(AuditEvent)))


@pytest.mark.parametrize("who", list(ROLES))
@pytest.mark.parametrize("method,url,api,expected", MATRIX, ids=[f"{m} {u}" for m, u, _a, _e in MATRIX])
def test_role_matrix(who, method, url, api, expected, client, api_token, login_as, factories, ctx):
    record = factories.client(partner="migra")
    factories.case(client=record, closed_on=record.consents[0].given_on.replace(year=2013), status="closed")
    role, partners = ROLES[who]
    username = f"t_m_{who}"
    if api:
        headers = api_token(username, role, partners)
    else:
        headers = {}
        login_as(username, role, partners)
    before = _state(ctx)
    logged_before = ctx.scalar(select(func.count()).select_from(AccessLogEntry))
    response = client.open(url.format(pk=record.id), method=method, headers=headers)
    assert response.status_code == expected[who], response.get_data(as_text=True)[:300]
    after = _state(ctx)
    logged_after = ctx.scalar(select(func.count()).select_from(AccessLogEntry))
    if response.status_code >= 400:
        assert after == before and logged_after == logged_before  # a refusal changes and logs nothing
    elif method == "GET" and "{pk}" in url:
        assert logged_after == logged_before + 1  # the display of the client's data is logged
    if method == "POST" and response.status_code == 202:
        assert after[0] == before[0] + 1
    logout(client)
