"""Erasure keeping the statistics (GDPR Art. 17): two persons, one transaction, nothing personal left."""
import secrets
from datetime import date

import pytest
from sqlalchemy import String, Text, inspect as sa_inspect, select, text
from sqlalchemy.exc import OperationalError

from app.cases.models import Case, Contact
from app.clients.erasure import (CASE_TEXT_FIELDS, CONTACT_TEXT_FIELDS, MATCH_KEY_FIELDS, ErasureRequest,
                                 client_fields)
from app.clients.models import Client
from app.reports import queries
from app.reports.scope import resolve_scope
from app.security.models import AccessLogEntry, AuditEvent
from tests.conftest import PASSWORD, logout, post_form


def _login(client, make_user, username, role="Staff", partners=("migra",), create=True):
    if create:
        make_user(username, role, partners)
    logout(client)
    response = post_form(client, "/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


FORM = "/resetmypassword/form"  # a page with a CSRF token for every role


def _post(client, url, show_url):
    return post_form(client, url, {}, form_url=show_url)


def _person(factories, ctx, marker, partner="migra", closed=True, born=date(1971, 8, 23)):
    """A client whose every personal and free-text value carries ``marker``; edited once, so the
    audit trail holds the marker in old and new values; one closed case with two contacts."""
    client = factories.client(partner=partner, first_name=f"Zeph{marker}", last_name=f"Old{marker}",
                              birth_date=born, phone="+49 381 4711", district=f"Bezirk {marker}",
                              email=f"mail.{marker.lower()}@example.org")
    client.last_name = f"Quax{marker}"
    ctx.commit()
    case = factories.case(client=client, opened_on=date(2013, 4, 2), notes=f"Notiz über Quax{marker}",
                          qualification_title=f"Diplom {marker}",
                          closed_on=date(2013, 9, 1) if closed else None)
    factories.contact(case)
    factories.contact(case, kind="follow_up", date=date(2013, 5, 6))
    case.notes = f"Neue Notiz zu Quax{marker}"
    ctx.commit()
    return client, case


def _text_columns(admin_engine):
    inspector = sa_inspect(admin_engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            kind = str(column["type"]).upper()
            if any(word in kind for word in ("CHAR", "TEXT", "JSON", "CLOB", "STRING")):
                yield table, column["name"]


def find_everywhere(admin_engine, needle):
    """Every (table, column) of the whole database whose text contains ``needle`` (owner connection,
    so PostgreSQL's row-level security hides nothing)."""
    found = []
    with admin_engine.connect() as conn:
        for table, column in _text_columns(admin_engine):
            hits = conn.execute(text(f'SELECT count(*) FROM "{table}" WHERE lower(CAST("{column}" AS TEXT)) '
                                     "LIKE :needle"), {"needle": f"%{needle.lower()}%"}).scalar()
            if hits:
                found.append((table, column))
    return found


def whole_dump(admin_engine):
    """The whole database as text: SQLite's ``iterdump`` (every table, every row, as SQL); on
    PostgreSQL None (``find_everywhere`` reads every text column of every table instead)."""
    if admin_engine.dialect.name != "sqlite":
        return None
    raw = admin_engine.raw_connection()
    try:
        return "\n".join(raw.driver_connection.iterdump())
    finally:
        raw.close()


def _figures(ctx):
    figures = {}
    for period in ("all", "2013"):
        scope = resolve_scope(ctx, period=period)
        figures[period] = queries.fetch_distributions(ctx, scope)
        figures[period]["trainings"] = queries.training_figures(ctx, scope)
    return figures


@pytest.fixture(params=["in_request", "batched"])
def log_writes(request, app):
    """Both ways of writing the read-access log; batched with the writer thread held off, so that the
    export's row is still queued when the erasure runs (the erasure must write it and blank it)."""
    from app.extensions import db
    from app.security import access_log

    app.config["ACCESS_LOG_WRITES"] = request.param
    writer = None
    if request.param == "batched":
        with app.app_context():
            writer = access_log._writer_for(app, db.engine)
        writer.interval = 3600
        access_log.flush()
        writer._start()
        writer.wake.set()  # the thread's next wait is the long one
    yield request.param
    app.config["ACCESS_LOG_WRITES"] = "in_request"
    if writer is not None:
        writer.interval = float(app.config["ACCESS_LOG_FLUSH_SECONDS"])
        access_log.flush()
        writer.wake.set()


def test_erasure_removes_every_personal_value_and_keeps_the_statistics(log_writes, app, client, make_user,
                                                                     factories, ctx, admin_engine):
    marker = secrets.token_hex(5).upper()
    person, case = _person(factories, ctx, marker)
    other, _other_case = _person(factories, ctx, "KEEP" + marker, born=date(1972, 1, 5))
    old_number = person.client_number
    for n in range(4):  # more persons, so that the figures are not trivially small
        factories.case(client=factories.client(birth_date=date(1960 + 7 * n, 1, 1)), opened_on=date(2013, 2, 1),
                       closed_on=date(2013, 3, 1))
    before = _figures(ctx)
    assert find_everywhere(admin_engine, f"Quax{marker}")  # the marker is there to begin with
    show = f"/clientview/show/{person.id}"

    web = _login(client, make_user, "t_first")
    # An export whose query string names the person (the list's search is carried along): the
    # read-access log keeps the query string, and so the name.
    assert web.get(f"/exports/cases.csv?period=all&search=Quax{marker}").status_code == 200
    written = ("access_log", "detail") in find_everywhere(admin_engine, f"Quax{marker}")
    assert written == (log_writes == "in_request")  # batched: still queued in this process
    assert 'id="iq-erasure-request"' in web.get(show).get_data(as_text=True)
    assert _post(web, f"/clients/{person.id}/erasure", show).status_code == 302
    page = web.get(show).get_data(as_text=True)
    assert 'id="iq-erasure-requested"' in page and 'id="iq-erasure-confirm"' in page
    _post(web, f"/clients/{person.id}/erasure/confirm", show)  # the requester cannot confirm
    ctx.expire_all()
    assert ctx.get(Client, person.id).erased_at is None
    assert "second person" in web.get(show).get_data(as_text=True)

    web = _login(client, make_user, "t_second")
    assert _post(web, f"/clients/{person.id}/erasure/confirm", show).status_code == 302
    assert 'id="iq-erased"' in web.get(show).get_data(as_text=True)

    ctx.expire_all()
    erased = ctx.get(Client, person.id)
    assert erased.erased_at is not None and erased.client_number != old_number
    assert all(getattr(erased, name) is None for name in client_fields())
    assert {"first_name", "last_name", "birth_date", "phone", "email", "district"} <= set(client_fields())
    kept = ctx.get(Case, case.id)
    assert kept.notes is None and kept.qualification_title is None and kept.age_band == "35_44"
    assert (kept.outcome, kept.qualification_country, erased.citizenship, erased.gender) == (
        "application_help", "SY", "SY", "female")
    for needle in (f"Quax{marker}", f"Old{marker}", f"Zeph{marker}", f"Diplom {marker}", f"mail.{marker.lower()}@",
                   "1971-08-23", old_number):
        assert find_everywhere(admin_engine, needle) == [], needle
    dump = whole_dump(admin_engine)
    if dump is not None:
        assert f"QuaxKEEP{marker}".lower() in dump.lower()  # the dump does show names
        for needle in (f"Quax{marker}", f"Old{marker}", f"Zeph{marker}", f"Diplom {marker}",
                       f"mail.{marker.lower()}@", "1971-08-23", old_number):
            assert needle.lower() not in dump.lower(), needle
    assert find_everywhere(admin_engine, f"QuaxKEEP{marker}")  # the other client is untouched
    logged = ctx.scalars(select(AccessLogEntry).where(AccessLogEntry.path == "/exports/cases.csv")).one()
    assert logged.detail == "/exports/cases.csv?period=all&search=[erased]"
    assert _figures(ctx) == before

    [done] = ctx.scalars(select(ErasureRequest).where(ErasureRequest.client_id == person.id)).all()
    assert done.requested_by.username == "t_first" and done.confirmed_by.username == "t_second"
    erase_events = ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).all()
    assert {(e.table_name, e.record_id, e.actor) for e in erase_events} == {
        ("client", str(person.id), "t_second"), ("counselling_case", str(case.id), "t_second")}
    assert ctx.get(Client, other.id).last_name == f"QuaxKEEP{marker}"


def test_a_second_erasure_says_already_erased(client, make_user, factories, ctx):
    person, _case = _person(factories, ctx, secrets.token_hex(4))
    show = f"/clientview/show/{person.id}"
    web = _login(client, make_user, "t_first")
    _post(web, f"/clients/{person.id}/erasure", show)
    web = _login(client, make_user, "t_second")
    _post(web, f"/clients/{person.id}/erasure/confirm", show)
    _post(web, f"/clients/{person.id}/erasure", show)
    assert "already been erased" in web.get(show).get_data(as_text=True)
    assert len(ctx.scalars(select(ErasureRequest)).all()) == 1


def test_a_client_with_open_cases_is_refused_with_the_reason(client, make_user, factories, ctx, german_default):
    person, case = _person(factories, ctx, secrets.token_hex(4), closed=False)
    show = f"/clientview/show/{person.id}"
    web = _login(client, make_user, "t_first")
    _post(web, f"/clients/{person.id}/erasure", show)
    page = web.get(show).get_data(as_text=True)
    assert f"#{case.id}" in page and "offene" in page  # German: "… noch offene Fälle …"
    assert ctx.scalars(select(ErasureRequest)).all() == []


def test_a_failure_midway_leaves_the_client_intact(client, make_user, factories, ctx, monkeypatch):
    """The client row is already anonymised when the audit trail is scrubbed; that step fails, and
    the one transaction leaves everything as it was."""
    from app.security import audit

    marker = secrets.token_hex(4)
    person, case = _person(factories, ctx, marker)
    show = f"/clientview/show/{person.id}"
    web = _login(client, make_user, "t_first")
    _post(web, f"/clients/{person.id}/erasure", show)
    web = _login(client, make_user, "t_second")
    calls = []

    def broken(session, table_name, *args, **kwargs):
        row = session.connection().execute(text("SELECT last_name FROM client WHERE id = :id"), {"id": person.id})
        calls.append(row.scalar())
        raise OperationalError("UPDATE audit_event", {}, Exception("connection lost"))

    monkeypatch.setattr(audit, "scrub_values", broken)
    _post(web, f"/clients/{person.id}/erasure/confirm", show)
    assert calls == [None]  # the client was already blanked inside the transaction
    assert "A database error occurred and nothing was changed." in web.get(show).get_data(as_text=True)
    ctx.expire_all()
    intact = ctx.get(Client, person.id)
    assert (intact.last_name, intact.erased_at, intact.birth_date) == (f"Quax{marker}", None, date(1971, 8, 23))
    assert ctx.get(Case, case.id).notes == f"Neue Notiz zu Quax{marker}"
    assert ctx.scalars(select(ErasureRequest)).one().confirmed_at is None
    assert ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).all() == []


def test_another_partners_staff_gets_404_and_nothing_changes(client, make_user, factories, ctx, api_token):
    person, _case = _person(factories, ctx, secrets.token_hex(4))
    web = _login(client, make_user, "t_genres", partners=("genres",))
    for url in (f"/clients/{person.id}/erasure", f"/clients/{person.id}/erasure/confirm"):
        assert post_form(web, url, {}, form_url=FORM).status_code == 404
    headers = api_token("t_genres_api", "Staff", ("genres",))
    assert client.post(f"/api/v1/client/{person.id}/erasure", headers=headers).status_code == 404
    ctx.expire_all()
    assert ctx.get(Client, person.id).erased_at is None
    assert ctx.scalars(select(ErasureRequest)).all() == []


@pytest.mark.parametrize("role", ["PartnerAdmin", "Management"])
def test_roles_without_write_access_cannot_request(role, client, make_user, factories, ctx):
    person, _case = _person(factories, ctx, secrets.token_hex(4))
    web = _login(client, make_user, "t_other", role=role)
    response = post_form(web, f"/clients/{person.id}/erasure", {}, form_url=FORM)
    assert response.status_code == 403
    assert ctx.scalars(select(ErasureRequest)).all() == []


def test_management_membership_at_the_partner_may_not_erase(client, make_user, factories, ctx, app):
    """Staff elsewhere but Management at the client's partner: no personal-data rights there."""
    from app.extensions import db
    from app.partners.models import Partner
    from app.security.models import Membership
    from app.security.scoping import system_scope

    person, _case = _person(factories, ctx, secrets.token_hex(4))
    user_id = make_user("t_mixed", "Staff", ("genres",))
    with app.app_context(), system_scope():
        migra = db.session.scalars(select(Partner).where(Partner.code == "migra")).one()
        db.session.add(Membership(user_id=user_id, partner_id=migra.id, role="Management"))
        db.session.commit()
    web = _login(client, make_user, "t_mixed", create=False)
    post_form(web, f"/clients/{person.id}/erasure", {}, form_url=FORM)
    assert ctx.scalars(select(ErasureRequest)).all() == []


def test_admin_may_confirm_a_staff_request(client, make_user, factories, ctx):
    person, _case = _person(factories, ctx, secrets.token_hex(4))
    show = f"/clientview/show/{person.id}"
    _post(_login(client, make_user, "t_first"), f"/clients/{person.id}/erasure", show)
    _post(_login(client, make_user, "t_admin", role="Admin", partners=()), f"/clients/{person.id}/erasure/confirm",
          show)
    ctx.expire_all()
    assert ctx.get(Client, person.id).erased_at is not None


def test_api_requests_then_a_second_person_confirms(client, api_token, factories, ctx):
    person, _case = _person(factories, ctx, secrets.token_hex(4))
    first, second = api_token("t_api1"), api_token("t_api2")
    url = f"/api/v1/client/{person.id}/erasure"
    answer = client.post(url, headers=first)
    assert answer.status_code == 202 and answer.get_json()["status"] == "requested"
    again = client.post(url, headers=first)
    assert again.status_code == 422 and "second person" in again.get_json()["message"]
    done = client.post(url, headers=second)
    assert done.status_code == 200 and done.get_json()["status"] == "erased"
    assert client.post(url, headers=second).get_json()["message"] == "This client has already been erased."
    shown = client.get(f"/api/v1/client/{person.id}", headers=second).get_json()["result"]
    assert shown["first_name"] is None and shown["last_name"] is None and shown["birth_date"] is None


def test_the_api_answers_refused_erasures_like_every_refused_write(client, api_token, factories, ctx,
                                                                   monkeypatch):
    """Status, field and message come from app.core.refusals: a rule 422, a database failure 500
    with the generic message (never the driver's text), nothing changed."""
    from app.security import audit

    person, _case = _person(factories, ctx, secrets.token_hex(4))
    first, second = api_token("t_api1"), api_token("t_api2")
    url = f"/api/v1/client/{person.id}/erasure"
    assert client.post(url, headers=first).status_code == 202

    def broken(*args, **kwargs):
        raise OperationalError("UPDATE audit_event", {}, Exception("connection lost"))

    monkeypatch.setattr(audit, "scrub_values", broken)
    failed = client.post(url, headers=second)
    assert failed.status_code == 500
    assert failed.get_json() == {"message": "A database error occurred and nothing was changed. It has been logged."}
    ctx.expire_all()
    assert ctx.get(Client, person.id).erased_at is None


def test_an_erased_client_is_read_only_and_gets_no_new_case(client, api_token, factories, ctx):
    from app.clients.erasure import erase_client
    from app.core.errors import DomainError

    person, _case = _person(factories, ctx, secrets.token_hex(4))
    erase_client(ctx, person)
    ctx.commit()
    person = ctx.get(Client, person.id)
    person.district = "Rostock"
    with pytest.raises(DomainError):
        ctx.flush()
    ctx.rollback()
    with pytest.raises(DomainError):
        factories.case(client=ctx.get(Client, person.id), opened_on=date(2014, 1, 6))
    ctx.rollback()
    headers = api_token("t_api")
    answer = client.post("/api/v1/case/", headers=headers, json={"client": person.id, "opened_on": "2014-01-06"})
    assert answer.status_code == 422


def test_every_text_column_of_clients_cases_and_contacts_is_erased_or_statistical():
    """A new text column must be classified here: personal/free text (erased) or a statistical key."""
    statistical = {
        Client: {"client_number", "gender", "citizenship", "second_citizenship", "country_of_birth",
                 "residence_state", "residence_status", "german_level", "employment_status",
                 "counselling_language", "consent_version"},
        Case: {"status", "enquirer", "referral_source", "qualification_type", "qualification_country",
               "legal_basis", "outcome", "notice_result", "age_band"},
        Contact: {"kind", "channel"},
    }
    erased = {Client: set(client_fields()) | set(MATCH_KEY_FIELDS), Case: set(CASE_TEXT_FIELDS), Contact: set(CONTACT_TEXT_FIELDS)}
    for model, keys in statistical.items():
        texts = {c.key for c in model.__table__.c if isinstance(c.type, (String, Text))}
        assert texts - keys - erased[model] == set(), model.__name__


def test_cases_and_contacts_of_an_erased_client_are_frozen(ctx, factories):
    from app.clients.erasure import erase_client
    from app.core.errors import DomainError

    person, case = _person(factories, ctx, secrets.token_hex(4))
    erase_client(ctx, person)
    ctx.commit()
    frozen = ctx.get(Case, case.id)
    frozen.notes = "Neu: Name der Person"
    with pytest.raises(DomainError):
        ctx.flush()
    ctx.rollback()
    with pytest.raises(DomainError):
        factories.contact(ctx.get(Case, case.id), kind="follow_up", date=date(2013, 9, 1))
    ctx.rollback()
    frozen = ctx.get(Case, case.id)
    frozen.closed_on = None  # reopening would make it a person on record again
    with pytest.raises(DomainError):
        ctx.flush()
    ctx.rollback()


def test_no_letter_for_an_erased_client(login_as, factories, ctx):
    from app.clients.erasure import erase_client

    person, case = _person(factories, ctx, secrets.token_hex(4))
    erase_client(ctx, person)
    ctx.commit()
    web = login_as("t_staff")
    answer = web.get(f"/cases/{case.id}/confirmation.pdf")
    assert answer.status_code == 422 and "erased" in answer.get_data(as_text=True)


def test_the_history_shows_which_fields_were_erased_never_their_values(app, ctx, factories):
    from app.clients.erasure import erase_client
    from app.security.audit_format import changes

    person, _case = _person(factories, ctx, secrets.token_hex(4))
    erase_client(ctx, person)
    ctx.commit()
    event = ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erase",
                                                 AuditEvent.table_name == "client")).one()
    with app.test_request_context():
        rows = changes(event)
    assert {row.field for row in rows} == set(client_fields())
    assert {(row.old, row.new) for row in rows} == {("", "erased")}
    assert "Last name" in {row.label for row in rows}
