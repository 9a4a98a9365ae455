"""Art. 15 report (/clients/<pk>/art15.json|pdf): every record of the client, nothing of any other
client (checked by unique markers), for each role that may and may not produce it; audited; logged."""
import io
import json
import re
from datetime import date

import pytest
from pypdf import PdfReader

from app.security.models import AccessLogEntry, AuditEvent
from tests.api_support import rows
from tests.conftest import logout

ROLES = {
    "staff_a": ("Staff", ("migra",), 200),
    "admin": ("Admin", (), 200),
    "staff_b": ("Staff", ("genres",), 404),  # another partner's client: not found
    "mgmt_a": ("Management", ("migra",), 403),  # no personal data at all
    "padmin_a": ("PartnerAdmin", ("migra",), 403),  # sees the client, is no Staff member of its partner
}


def _squash(text):
    return re.sub(r"\s+", "", text)


def _pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def people(factories, ctx, login_as, client):
    """Client A (migra) with a record of every kind, each carrying a marker; B (migra) and C (genres)
    with their own markers. A's history: an edit by Staff, a letter, a page view, a deleted contact."""
    def person(partner, tag):
        record = factories.client(partner=partner, first_name=f"Vor{tag}", last_name=f"Nach{tag}",
                                  phone=f"0381{tag[-3:]}", district=f"Bezirk{tag}")
        factories.consent(record, text_version=f"V{tag[-3:]}")
        case = factories.case(client=record, qualification_title=f"Titel{tag}", notes=f"Notiz{tag}")
        factories.contact(case, minutes=int(tag[-3:]) % 600)
        gone = factories.contact(case, minutes=(int(tag[-3:]) + 1) % 600)
        return {"client": record, "case": case, "gone": gone, "tag": tag}

    a, b, c = person("migra", "Qa417"), person("migra", "Qb523"), person("genres", "Qc631")
    ids = {key: {"client": p["client"].id, "case": p["case"].id, "gone": p["gone"].id,
                 "number": p["client"].client_number, "tag": p["tag"]} for key, p in (("a", a), ("b", b), ("c", c))}
    web = login_as("t_editor", "Staff", ("migra",))
    assert web.get(f"/clientview/edit/{ids['a']['client']}").status_code == 200  # logged
    from app.clients.models import Client

    ctx.get(Client, ids["a"]["client"]).phone = "0381NEU417"  # audited: old → new
    ctx.commit()
    assert web.get(f"/cases/{ids['a']['case']}/confirmation.pdf").status_code == 200
    assert web.get(f"/cases/{ids['b']['case']}/confirmation.pdf").status_code == 200
    from app.cases.models import Contact

    for key in ("a", "b", "c"):
        ctx.delete(ctx.get(Contact, ids[key]["gone"]))
    ctx.commit()
    logout(client)
    return ids


def _markers(person):
    tag = person["tag"]
    return [f"Vor{tag}", f"Nach{tag}", f"Bezirk{tag}", f"Titel{tag}", f"Notiz{tag}", f"V{tag[-3:]}",
            person["number"]]


def _assert_only(text, people, own="a"):
    flat = _squash(text)
    for marker in _markers(people[own]):
        assert marker in flat, marker
    for other in set(people) - {own}:
        for marker in _markers(people[other]):
            assert marker not in flat, (other, marker)


@pytest.mark.parametrize("role", list(ROLES))
def test_json_report_by_role(role, people, login_as, ctx):
    fab_role, partners, status = ROLES[role]
    web = login_as(f"t_{role}", fab_role, partners)
    before = len(rows(ctx, AuditEvent, action="art15"))
    response = web.get(f"/clients/{people['a']['client']}/art15.json")
    assert response.status_code == status
    if status != 200:
        assert "VorQa417" not in response.get_data(as_text=True)
        assert len(rows(ctx, AuditEvent, action="art15")) == before
        return
    body = response.get_json()
    text = json.dumps(body, ensure_ascii=False)
    _assert_only(text, people)
    assert body["client"]["phone"] == "0381NEU417"
    assert [c["case_id"] for c in body["letters"]] == [people["a"]["case"]]
    [change] = [e for e in body["audit_events"] if e["table"] == "client" and e["action"] == "update"
                and "phone" in (e["new_values"] or {})]
    assert change["old_values"]["phone"] == "0381417" and change["new_values"]["phone"] == "0381NEU417"
    # the deleted contact's events are still in the report (insert and delete)
    deleted = [e["action"] for e in body["audit_events"] if e["table"] == "contact" and e["record_id"] == str(people["a"]["gone"])]
    assert deleted == ["insert", "delete"]
    paths = {r["path"] for r in body["access_log"]}
    assert f"/clientview/edit/{people['a']['client']}" in paths
    assert f"/cases/{people['a']['case']}/confirmation.pdf" in paths
    [event] = [e for e in rows(ctx, AuditEvent, action="art15")]
    assert event.record_id == str(people["a"]["client"]) and event.new_values == {"format": "json"}
    assert event.actor == f"t_{role}"
    logged = [r for r in rows(ctx, AccessLogEntry) if r.path.endswith("art15.json")]
    assert [(r.client_id, r.actor) for r in logged] == [(people["a"]["client"], f"t_{role}")]


@pytest.mark.parametrize("role", list(ROLES))
def test_pdf_report_by_role(role, people, login_as, ctx):
    fab_role, partners, status = ROLES[role]
    web = login_as(f"t_{role}", fab_role, partners)
    response = web.get(f"/clients/{people['a']['client']}/art15.pdf")
    assert response.status_code == status
    if status != 200:
        assert not response.data.startswith(b"%PDF")
        return
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    _assert_only(text, people)
    flat = _squash(text)
    assert _squash("Auskunft nach Art. 15 DSGVO") in flat  # German
    assert _squash("0381417 → 0381NEU417") in flat  # old → new
    assert _squash("Telefon") in flat  # the field's label, not the column name
    assert "phone" not in flat and "counselling_case" not in flat
    assert _squash("Migra e.V.".lower()) in flat.lower()  # partner id shown as its name
    assert [e.new_values["format"] for e in rows(ctx, AuditEvent, action="art15")] == ["pdf"]


def test_pdf_has_a_cover_letter_in_the_clients_language(people, login_as, ctx, factories):
    from app.clients.models import Client

    record = ctx.get(Client, people["a"]["client"])
    record.counselling_language = "ru"
    ctx.commit()
    web = login_as("t_staff", "Staff", ("migra",))
    text = _pdf_text(web.get(f"/clients/{people['a']['client']}/art15.pdf").data)
    assert "Информация согласно ст. 15 GDPR" in text
    assert "Auskunft nach Art. 15 DSGVO" in text  # the binding German text follows
    english = _pdf_text(web.get(f"/clients/{people['a']['client']}/art15.pdf?lang=en").data)
    assert _squash("Information under Art. 15 GDPR") in _squash(english)


def test_anonymous_is_sent_to_login(people, client):
    for fmt in ("json", "pdf"):
        assert client.get(f"/clients/{people['a']['client']}/art15.{fmt}").status_code == 302


def test_unknown_client_is_404(login_as):
    web = login_as("t_staff", "Staff", ("migra",))
    assert web.get("/clients/999999/art15.json").status_code == 404


def test_staff_at_one_partner_and_management_at_another(people, make_user, client, ctx):
    """Rights come from the membership at the client's partner: Management there is no Staff there."""
    from app.partners.models import Partner
    from app.security.models import Membership
    from tests.conftest import PASSWORD, csrf_token

    user_id = make_user("t_mixed", "Staff", ("genres",))
    ctx.add(Membership(user_id=user_id, partner_id=ctx.query(Partner).filter_by(code="migra").one().id,
                       role="Management"))
    ctx.commit()
    client.post("/login/", data={"username": "t_mixed", "password": PASSWORD, "csrf_token": csrf_token(client, "/login/")})
    # Management at migra opens no personal data there: migra's client is out of scope (404).
    assert client.get(f"/clients/{people['a']['client']}/art15.json").status_code == 404
    assert client.get(f"/clients/{people['c']['client']}/art15.json").status_code == 200


def test_client_page_has_the_report_buttons(people, login_as):
    web = login_as("t_staff", "Staff", ("migra",))
    html = web.get(f"/clientview/show/{people['a']['client']}").get_data(as_text=True)
    assert f"/clients/{people['a']['client']}/art15.pdf" in html
    assert f"/clients/{people['a']['client']}/art15.json" in html
