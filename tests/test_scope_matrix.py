"""The partner scope over every path: roles × paths × methods.

Partner A is `migra`, partner B is `genres`. For every role and every path the test asserts the
status, that nothing of a partner outside the role's set appears in the body, and that the database
did not change. Roles that may see B's records are the positive control: the same request shows them.
"""
from datetime import date

import pytest
from sqlalchemy import func, select

from app.cases.models import Case, Contact
from app.clients.models import Client
from app.funding.models import Funding
from app.security.models import AuditEvent
from app.trainings.models import Training
from tests.conftest import PASSWORD, csrf_token

ALL_PARTNERS = ("migra", "genres", "vsp", "hs-wismar", "caritas-md", "agsa", "frohe-zukunft", "spi")

# name: (FAB role, partners, sees A, sees B)
ROLES = {
    "staff_a": ("Staff", ("migra",)),
    "staff_b": ("Staff", ("genres",)),
    "mgmt_a": ("Management", ("migra",)),
    "mgmt_all": ("Management", ALL_PARTNERS),
    "padmin_a": ("PartnerAdmin", ("migra",)),
    "admin": ("Admin", ()),
    "anonymous": (None, ()),
}

# Which permission domains each role may read/write (mirrors app/security/roles.py on purpose:
# a change there must be a conscious change here).
READ = {
    "staff_a": {"client", "case", "contact", "training"},
    "staff_b": {"client", "case", "contact", "training"},
    "mgmt_a": {"training", "funding"},
    "mgmt_all": {"training", "funding"},
    "padmin_a": {"client", "case", "contact", "training", "funding", "audit"},
    "admin": {"client", "case", "contact", "training", "funding", "audit"},
    "anonymous": set(),
}
WRITE = {
    "staff_a": {"client", "case", "contact", "training"},
    "staff_b": {"client", "case", "contact", "training"},
    "admin": {"client", "case", "contact", "training", "funding"},
}


def sees(role, partner):
    fab_role, partners = ROLES[role]
    return fab_role == "Admin" or partner in partners


UI = {"client": "clientview", "case": "caseview", "contact": "contactview", "training": "trainingview",
      "funding": "fundingview", "audit": "auditeventview"}
API = {"client": "client", "case": "case", "contact": "contact", "training": "training", "funding": "funding"}
MODELS = {"client": Client, "case": Case, "contact": Contact, "training": Training, "funding": Funding}


@pytest.fixture
def world(factories, ctx):
    """One record of every partner-owned kind for A and for B, each carrying a marker string."""
    records = {}
    for code, tag in (("migra", "AAA"), ("genres", "BBB")):
        client = factories.client(partner=code, last_name=f"Marker{tag}client", first_name=f"Marker{tag}first")
        case = factories.case(client=client, qualification_title=f"Marker{tag}title", notes=f"Marker{tag}notes")
        contact = factories.contact(case)
        training = factories.training(partner=code, title=f"Marker{tag}training")
        funding = factories.funding(partner=code, planned_cases=4242 if tag == "AAA" else 5353)
        records[code] = {"client": client, "case": case, "contact": contact, "training": training,
                         "funding": funding, "marker": f"Marker{tag}", "number": client.client_number,
                         "funding_marker": "4242" if tag == "AAA" else "5353"}
    ids = {code: {kind: obj.id for kind, obj in rec.items() if hasattr(obj, "id")} for code, rec in records.items()}
    for code in records:
        records[code]["ids"] = ids[code]
    return records


def snapshot(ctx):
    """Counts and versions of everything partner-owned: equal before and after means unchanged."""
    ctx.rollback()
    state = {name: ctx.execute(select(func.count()).select_from(model)).scalar() for name, model in MODELS.items()}
    state["versions"] = tuple(ctx.execute(select(Case.id, Case.version, Case.notes).order_by(Case.id)).all())
    state["client_versions"] = tuple(ctx.execute(select(Client.id, Client.version, Client.last_name).order_by(Client.id)).all())
    state["trainings"] = tuple(ctx.execute(select(Training.id, Training.title).order_by(Training.id)).all())
    state["audit"] = ctx.execute(select(func.count()).select_from(AuditEvent)).scalar()
    return state


@pytest.fixture
def as_role(client, make_user):
    """Log in (UI session and JWT) as one of ROLES; returns the API headers."""

    def login(role):
        fab_role, partners = ROLES[role]
        if fab_role is None:
            return {}
        username = f"t_{role}"
        make_user(username, fab_role, partners)
        response = client.post("/login/", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": csrf_token(client, "/login/")})
        assert response.status_code == 302
        token = client.post("/api/v1/security/login",
                            json={"username": username, "password": PASSWORD, "provider": "db"}).get_json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    return login


def check_body(role, body, world, kind):
    marker_a = world["migra"]["funding_marker" if kind == "funding" else "marker"]
    marker_b = world["genres"]["funding_marker" if kind == "funding" else "marker"]
    if not sees(role, "genres"):
        assert marker_b not in body and world["genres"]["number"] not in body
    if not sees(role, "migra"):
        assert marker_a not in body and world["migra"]["number"] not in body


DENIED = (302, 401, 403)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("kind", list(UI))
def test_ui_list_show_edit(role, kind, client, ctx, world, as_role):
    as_role(role)
    before = snapshot(ctx)
    base = UI[kind]
    listing = client.get(f"/{base}/list/")
    body = listing.get_data(as_text=True)
    if kind not in READ[role]:
        assert listing.status_code in DENIED
    else:
        assert listing.status_code == 200
        check_body(role, body, world, kind)
        positive = {"client": "marker", "case": "number", "training": "marker"}.get(kind)
        if positive and sees(role, "genres"):
            assert world["genres"][positive] in body  # positive control

    if kind == "audit":
        return
    b_id = world["genres"]["ids"][kind]
    show = client.get(f"/{base}/show/{b_id}")
    expected = 200 if sees(role, "genres") else 404
    if kind in READ[role]:
        assert show.status_code == expected
    else:
        assert show.status_code in DENIED
    check_body(role, show.get_data(as_text=True), world, kind)

    edit = client.get(f"/{base}/edit/{b_id}")
    if kind in WRITE.get(role, ()):
        assert edit.status_code == expected
    else:
        assert edit.status_code in DENIED
    check_body(role, edit.get_data(as_text=True), world, kind)
    assert snapshot(ctx) == before


@pytest.mark.parametrize("role", [r for r in ROLES if not sees(r, "genres")])
@pytest.mark.parametrize("kind", ["client", "case", "contact", "training", "funding"])
def test_ui_writes_on_another_partners_record_change_nothing(role, kind, client, ctx, world, as_role):
    as_role(role)
    before = snapshot(ctx)
    base, b_id = UI[kind], world["genres"]["ids"][kind]
    # A valid token of the user's own session (any form carries it), so only the scope can refuse.
    token = csrf_token(client, "/resetmypassword/form") or csrf_token(client, "/login/")
    assert token
    edit = client.post(f"/{base}/edit/{b_id}", data={"csrf_token": token, "notes": "hacked", "title": "hacked",
                                                    "last_name": "hacked", "version": "1"})
    delete = client.post(f"/{base}/delete/{b_id}", data={"csrf_token": token})
    action = client.post(f"/{base}/action_post", data={"csrf_token": token, "action": "muldelete", "rowid": [b_id]})
    single = client.post(f"/{base}/action/muldelete/{b_id}", data={"csrf_token": token})
    for response in (edit, delete, action, single):
        assert response.status_code in DENIED + (404,), (response.status_code, response.request.path)
    assert snapshot(ctx) == before


@pytest.mark.parametrize("role", list(ROLES))
def test_ui_filters_search_and_choices(role, client, ctx, world, as_role):
    as_role(role)
    before = snapshot(ctx)
    marker_b, number_b = world["genres"]["marker"], world["genres"]["number"]
    name_b = f"{marker_b}client"
    # (search term sent, something of B's record that must not come back)
    probes = [
        (f"/clientview/list/?_flt_0_last_name={name_b}", number_b),
        (f"/clientview/list/?_flt_0_client_number={number_b}", name_b),
        (f"/caseview/list/?_flt_0_qualification_title={marker_b}title", number_b),
        (f"/caseview/options/client?q={number_b}", number_b),
        (f"/contactview/options/case?q={world['genres']['ids']['case']}", number_b),
        ("/caseview/add", marker_b),
        ("/contactview/add", number_b),
        (f"/partnerview/show/{world['genres']['client'].partner_id}", marker_b),
    ]
    responses = []
    for url, secret in probes:
        response = client.get(url)
        responses.append(response)
        assert response.status_code in (200, 404) + DENIED
        if not sees(role, "genres") and response.status_code != 302:  # a redirect echoes the URL only
            assert secret not in response.get_data(as_text=True), url
    if sees(role, "genres") and "client" in READ[role]:
        assert number_b in responses[0].get_data(as_text=True)  # positive control for the filter
    assert snapshot(ctx) == before


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("kind", list(API))
def test_api_get_list_info(role, kind, client, ctx, world, as_role):
    headers = as_role(role)
    before = snapshot(ctx)
    resource, b_id = API[kind], world["genres"]["ids"][kind]
    listing = client.get(f"/api/v1/{resource}/", headers=headers)
    one = client.get(f"/api/v1/{resource}/{b_id}", headers=headers)
    info = client.get(f"/api/v1/{resource}/_info", headers=headers)
    if kind not in READ[role]:
        for response in (listing, one, info):
            assert response.status_code in (401, 403)
    else:
        assert listing.status_code == 200 and info.status_code == 200
        assert one.status_code == (200 if sees(role, "genres") else 404)
        ids = {row["id"] for row in listing.get_json()["result"]}
        assert (b_id in ids) == sees(role, "genres")
        assert (world["migra"]["ids"][kind] in ids) == sees(role, "migra")
    for response in (listing, one, info):
        check_body(role, response.get_data(as_text=True), world, kind)
    assert snapshot(ctx) == before


@pytest.mark.parametrize("role", [r for r in ROLES if not sees(r, "genres")])
@pytest.mark.parametrize("kind", list(API))
def test_api_writes_on_another_partners_record_change_nothing(role, kind, client, ctx, world, as_role):
    headers = as_role(role)
    before = snapshot(ctx)
    resource, b_id = API[kind], world["genres"]["ids"][kind]
    put = client.put(f"/api/v1/{resource}/{b_id}", json={"notes": "x", "title": "x", "last_name": "x", "version": 1},
                     headers=headers)
    delete = client.delete(f"/api/v1/{resource}/{b_id}", headers=headers)
    for response in (put, delete):
        assert response.status_code in (401, 403, 404), response.get_json()
    assert snapshot(ctx) == before


@pytest.mark.parametrize("role", ["staff_a", "padmin_a", "mgmt_a", "anonymous"])
def test_api_post_cannot_target_another_partner(role, client, ctx, world, as_role):
    headers = as_role(role)
    before = snapshot(ctx)
    genres_id = world["genres"]["client"].partner_id
    responses = [
        client.post("/api/v1/case/", headers=headers, json={"client": world["genres"]["ids"]["client"],
                                                              "opened_on": "2013-05-02"}),
        client.post("/api/v1/client/", headers=headers, json={
            "partner": genres_id, "first_name": "X", "last_name": "Y", "birth_date": "1980-01-01",
            "gender": "male", "citizenship": "PL"}),
        client.post("/api/v1/contact/", headers=headers, json={"case": world["genres"]["ids"]["case"],
                                                                 "date": "2013-05-02", "kind": "follow_up",
                                                                 "channel": "phone"}),
        client.post("/api/v1/training/", headers=headers, json={
            "partner": genres_id, "date": "2013-05-02", "title": "x", "target_institution": "jobcenter"}),
    ]
    # Staff: another partner as owner 404; another partner's client or case as the related record is
    # an unknown id (422, the same answer as for an id that does not exist). No write permission: 403.
    expected = {"staff_a": [422, 404, 422, 404], "padmin_a": [403] * 4, "mgmt_a": [403] * 4,
                "anonymous": [401] * 4}[role]
    assert [response.status_code for response in responses] == expected, [r.get_json() for r in responses]
    for response in responses:
        check_body(role, response.get_data(as_text=True), world, "client")
    assert snapshot(ctx) == before


def test_new_partner_owned_model_is_scoped_without_code(app, ctx, factories, admin_engine):
    """A model that derives from PartnerOwned is restricted by the one scope, with no code of its own."""
    from sqlalchemy import Column, Integer, String

    from app.core.models import PartnerOwned
    from app.security.scoping import partner_scope
    from flask_appbuilder import Model

    class ScratchNote(PartnerOwned, Model):
        __tablename__ = "scratch_note_test"
        id = Column(Integer, primary_key=True)
        text = Column(String(20))

    ScratchNote.__table__.create(admin_engine)
    if admin_engine.dialect.name == "postgresql":
        with admin_engine.begin() as conn:
            conn.exec_driver_sql("GRANT ALL ON scratch_note_test, scratch_note_test_id_seq TO iq_app_test")
    try:
        migra, genres = factories.partner("migra"), factories.partner("genres")
        ctx.add_all([ScratchNote(partner=migra, text="a"), ScratchNote(partner=genres, text="b")])
        ctx.flush()
        with partner_scope([migra.id]):
            assert [n.text for n in ctx.execute(select(ScratchNote)).scalars()] == ["a"]
            assert ctx.execute(select(func.count()).select_from(ScratchNote)).scalar() == 1
        with partner_scope([genres.id]):
            assert [n.text for n in ctx.query(ScratchNote).all()] == ["b"]
    finally:
        ctx.rollback()
        ScratchNote.__table__.drop(admin_engine)
        _unmap(ScratchNote)
    # Nothing of the scratch model outlives the test (tests/test_record_ids.py reads the registry).
    assert ScratchNote not in {m.class_ for m in Model.registry.mappers}
    assert "ScratchNote" not in Model.registry._class_registry
    assert "scratch_note_test" not in Model.metadata.tables


def _unmap(cls):
    """Take one declarative class out of FAB's ``Model`` registry and metadata again.

    SQLAlchemy has no public call to dispose of a single mapper (``registry.dispose()`` drops them
    all); this does per class what ``registry.dispose()`` does per mapper. Private API, checked
    against SQLAlchemy 2.1.9: ``registry._managers``, ``registry._dispose_manager_and_mapper``.
    """
    from flask_appbuilder import Model
    from sqlalchemy.orm import class_mapper

    table, manager = cls.__table__, class_mapper(cls).class_manager
    Model.registry._managers.pop(manager, None)
    Model.registry._dispose_manager_and_mapper(manager)
    Model.metadata.remove(table)


def _pdf_text(response):
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


# role → expected status of (summary for B, confirmation of B's case, export filtered to B)
DOCUMENTS = {
    "staff_a": (403, 404, (200, 404)),
    "staff_b": (403, 200, (200,)),
    "mgmt_a": (404, 403, (200, 404)),
    "mgmt_all": (200, 403, (200,)),
    "padmin_a": (404, 404, (200, 404)),
    "admin": (200, 200, (200,)),
    "anonymous": (302, 302, (302,)),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_documents_exports_and_dashboard(role, client, ctx, world, as_role):
    as_role(role)
    before = snapshot(ctx)
    summary_status, letter_status, export_statuses = DOCUMENTS[role]
    number_b, name_b = world["genres"]["number"], f"{world['genres']['marker']}client"

    summary = client.get("/reports/summary.pdf?partner=genres&period=all&state=all")
    assert summary.status_code == summary_status
    letter = client.get(f"/cases/{world['genres']['ids']['case']}/confirmation.pdf")
    assert letter.status_code == letter_status
    if letter_status == 200:
        assert name_b in _pdf_text(letter)  # positive control: the letter names B's client

    for fmt in ("csv", "xlsx"):
        export = client.get(f"/exports/cases.{fmt}?partner=genres")
        assert export.status_code in export_statuses
        if fmt == "csv" and export.status_code == 200:
            body = export.get_data(as_text=True)
            assert (number_b in body) == sees(role, "genres")
    full_export = client.get("/exports/cases.csv")
    if full_export.status_code == 200:
        body = full_export.get_data(as_text=True)
        assert (number_b in body) == sees(role, "genres")
        assert name_b not in body or (sees(role, "genres") and role != "mgmt_all")

    everything = client.get("/reports/summary.pdf?partner=all&period=all&state=all")
    if everything.status_code == 200:
        text = _pdf_text(everything)
        if not sees(role, "genres"):
            assert "Genres" not in text
        assert name_b not in text and number_b not in text  # never personal data in a summary
    dashboard = client.get("/reports/dashboard?partner=genres")
    assert dashboard.status_code == {"mgmt_all": 200, "admin": 200, "anonymous": 302, "staff_a": 403,
                                     "staff_b": 403}.get(role, 404)
    assert snapshot(ctx) == before


def test_cross_partner_attempts_are_logged_with_user_path_and_id(client, world, as_role, caplog):
    headers = as_role("staff_a")
    b_case = world["genres"]["ids"]["case"]
    with caplog.at_level("WARNING"):
        assert client.get(f"/caseview/show/{b_case}").status_code == 404
        assert client.get(f"/api/v1/case/{b_case}", headers=headers).status_code == 404
    messages = [r.getMessage() for r in caplog.records]
    assert any("t_staff_a" in m and f"/caseview/show/{b_case}" in m for m in messages), messages
    assert any("t_staff_a" in m and f"/api/v1/case/{b_case}" in m and str(b_case) in m for m in messages), messages
