"""Duplicate hints across partners (issue 12): a new client that another partner possibly counselled
yields "possibly already counselled at partner X — ask for a referral" on every create path (client
form, quick entry, REST API, import page, ``iq import``), after saving and without blocking, and the
answer holds the partner and nothing of the other partner's record (names, birth date, number, id).
A match at the same partner is the duplicate check (refused unless confirmed), not a hint; anonymous
and erased clients have no keys and give no hints; keys follow every change of the names."""
import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import select, text

from app.clients.duplicates import cross_partner_hints, match_keys
from app.clients.models import Client
from tests.conftest import post_form
from tests.transfer_files import csv_bytes, row

BORN = date(1985, 2, 3)
#: The other partner's record (VSP, Schwerin), in Arabic script: none of it may reach the new client's user.
OTHER = {"first_name": "محمد", "last_name": "الحداد", "birth_date": BORN}
#: The new client at Genres, spelled in Latin letters.
NEW = {"first_name": "Mohamed", "last_name": "Haddad"}
HINT_EN = "Possibly already counselled at partner VSP gGmbH — ask for a referral."
HINT_DE = "Möglicherweise schon beim Partner VSP gGmbH beraten – bitte dort eine Überleitung anfragen."
CLIENT_FORM = {**NEW, "birth_date": "03.02.1985", "gender": "male", "citizenship": "SY", "counselling_language": "ar",
               "counselling_consent": "y", "consent_text_version": "2026-1", "consent_given_how": "signed_form"}
ENTRY_FORM = {"opened_on": "14.05.2013", "channel": "phone", "minutes": "45", **NEW, "birth_date": "03.02.1985",
              "gender": "male", "citizenship": "Syrien", "counselling_language": "ar",
              "qualification_title": "Bauingenieur", "qualification_type": "academic", "qualification_country": "SY",
              "reference_occupation": "", "outcome": "application_help", "counselling_consent": "y",
              "consent_text_version": "2026-1", "consent_given_how": "signed_form"}
API_CLIENT = {**NEW, "birth_date": "1985-02-03", "gender": "male", "citizenship": "SY",
              "consents": [{"purpose": "counselling", "given_on": "2013-01-10", "given_how": "signed_form"}]}


@pytest.fixture
def other(factories):
    return factories.client(partner="vsp", **OTHER)


def _secrets(record):
    """What of the other partner's record must never appear in the new client's user's answer."""
    return [record.first_name, record.last_name, record.client_number, "1985-02-03", "03.02.1985", "03.02.85"]


def _alerts(html):
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).replace("&times;", "").replace("×", "").strip()
            for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S)]


def _assert_nothing_of(record, body, hint_texts):
    """The hint is exactly the message; the whole body holds no name or number of the record, and
    the hint texts no birth date or id either (the new client's own page shows its own birth date)."""
    for secret in _secrets(record)[:3]:
        assert secret not in body
    for hint in hint_texts:
        for secret in _secrets(record) + [str(record.id)]:
            assert secret not in hint
    assert not re.search(rf"/(clientview|client)/(show/)?{record.id}\b", body)


def _new_client(ctx, partner="genres"):
    ctx.expire_all()
    from app.partners.models import Partner

    return ctx.execute(select(Client).join(Client.partner).where(Client.first_name == NEW["first_name"],
                                                                 Partner.code == partner)).scalar_one()


# --- the matcher -------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [
    (("Олена", "Коваленко"), ("Olena", "Kovalenko")),             # Cyrillic
    (("Мария", "Иванова"), ("Maria", "Iwanowa")),                  # Cyrillic, German transliteration
    (("محمد", "الحداد"), ("Mohammed", "Al-Haddad")),             # Arabic script, the article
    (("محمد", "حداد"), ("Muhammad", "Haddad")),
    (("محمد", "حداد"), ("Mohamed", "Al Haddad")),
    (("Mohammed", "Haddad"), ("Muhammad", "Haddad")),            # Latin spellings of one Arabic name
    (("أحمد", "حسن"), ("Ahmed", "Hassan")),
    (("عمر", "خالد"), ("Omar", "Khaled")),
    (("يوسف", "إبراهيم"), ("Yusuf", "Ibrahim")),
    (("فاطمة", "قاسم"), ("Fatima", "Kassem")),
    (("وليد", "منصور"), ("Walid", "Mansour")),
    (("Jürgen", "Müller"), ("JUERGEN", "Mueller")),              # umlauts
    (("Ayşe", "Öztürk"), ("Ayse", "Oeztuerk")),
    (("Hassan", "Ahmed"), ("Ahmed", "Hassan")),                  # swapped names
    (("Meier", "Anna"), ("Anna", "Mayer")),
])
def test_spellings_of_one_person_meet(a, b):
    assert match_keys(*a).matches(match_keys(*b)) and match_keys(*b).matches(match_keys(*a))


@pytest.mark.parametrize("a, b", [
    (("Mohammed", "Haddad"), ("Mahmoud", "Haddad")),             # one skeleton, but both in Latin letters
    (("Ali", "Yilmaz"), ("Ayşe", "Demir")),
    (("Olga", "Ivanova"), ("Olga", "Petrova")),
    (("Anna", "Schmidt"), ("Peter", "Schmidt")),
    (("محمد", "حداد"), ("Ahmed", "Haddad")),
])
def test_different_people_do_not_meet(a, b):
    assert not match_keys(*a).matches(match_keys(*b))


def test_anonymous_names_have_no_keys():
    assert match_keys(None, None).key is None and match_keys("", "").skeleton is None


# --- keys stored and kept up to date -------------------------------------------------------------


def test_keys_are_stored_and_follow_every_change_of_the_names(ctx, factories):
    person = factories.client(partner="migra", first_name="Olena", last_name="Kovalenko")
    stored = ctx.execute(text("SELECT name_key, name_skeleton FROM client WHERE id = :id"), {"id": person.id}).one()
    assert tuple(stored) == (match_keys("Olena", "Kovalenko").key, match_keys("Olena", "Kovalenko").skeleton)
    person.last_name = "Шевченко"
    ctx.commit()
    stored = ctx.execute(text("SELECT name_key FROM client WHERE id = :id"), {"id": person.id}).scalar()
    assert stored == match_keys("Olena", "Shevchenko").key
    anonymous = factories.anonymous(partner="migra")
    assert ctx.execute(text("SELECT name_key, name_skeleton FROM client WHERE id = :id"),
                       {"id": anonymous.id}).one() == (None, None)


def test_keys_are_neither_audited_nor_in_the_art15_report(ctx, factories):
    from app.clients.art15 import Art15Report
    from app.security.models import AuditEvent

    person = factories.client(partner="migra", first_name="Olena", last_name="Kovalenko")
    person.first_name = "Olga"
    ctx.commit()
    events = ctx.execute(select(AuditEvent).where(AuditEvent.table_name == "client",
                                                  AuditEvent.record_id == str(person.id))).scalars().all()
    assert len(events) == 2
    for event in events:
        assert "name_key" not in json.dumps([event.old_values, event.new_values])
    report = json.dumps(Art15Report(ctx, person).as_json("t_test"), default=str)
    assert "name_key" not in report and "name_skeleton" not in report and "Olga" in report


def test_erasure_blanks_the_keys_and_the_client_gives_no_hints_any_more(ctx, factories, other):
    from app.clients.erasure import erase_client

    genres = factories.partner("genres").id
    assert [h.partner for h in cross_partner_hints(ctx, genres, BORN, *NEW.values())] == ["vsp"]
    erase_client(ctx, other)
    ctx.commit()
    stored = ctx.execute(text("SELECT name_key, name_skeleton FROM client WHERE id = :id"), {"id": other.id}).one()
    assert tuple(stored) == (None, None)
    assert cross_partner_hints(ctx, genres, BORN, *NEW.values()) == []


def test_anonymous_clients_neither_give_nor_get_hints(ctx, factories, other):
    factories.anonymous(partner="vsp", birth_date=BORN)
    genres = factories.partner("genres").id
    assert cross_partner_hints(ctx, genres, BORN, None, None) == []
    assert [h.partner for h in cross_partner_hints(ctx, genres, BORN, *NEW.values())] == ["vsp"]


def test_no_hint_for_another_birth_date_another_name_or_the_same_partner(ctx, factories, other):
    vsp, genres = factories.partner("vsp").id, factories.partner("genres").id
    assert cross_partner_hints(ctx, genres, date(1985, 2, 4), *NEW.values()) == []
    assert cross_partner_hints(ctx, genres, BORN, "Ahmed", "Haddad") == []
    assert cross_partner_hints(ctx, vsp, BORN, *NEW.values()) == []  # its own client: the duplicate check


# --- every create path ---------------------------------------------------------------------------


def test_client_form_saves_and_shows_the_hint(login_as, client, ctx, other):
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, "/clientview/add", CLIENT_FORM, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _new_client(ctx) is not None  # saved at genres  # saved: the hint does not block
    hints = [alert for alert in _alerts(body) if "VSP" in alert]
    assert hints == [HINT_EN]
    _assert_nothing_of(other, body, hints)


def test_client_form_in_german(login_as, client, ctx, other, german_default):
    login_as("t_staff", "Staff", ("genres",))
    body = post_form(client, "/clientview/add", CLIENT_FORM, follow_redirects=True).get_data(as_text=True)
    assert [alert for alert in _alerts(body) if "VSP" in alert] == [HINT_DE]


def test_same_partner_match_is_the_duplicate_check_not_a_hint(login_as, client, ctx, factories):
    factories.client(partner="genres", **OTHER)
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, "/clientview/add", CLIENT_FORM)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Possible duplicate" in body and "Possibly already" not in body
    response = post_form(client, "/clientview/add", {**CLIENT_FORM, "create_anyway": "y"}, follow_redirects=True)
    assert response.status_code == 200 and "Possibly already" not in response.get_data(as_text=True)
    assert _new_client(ctx) is not None


def test_no_hint_without_a_match(login_as, client, ctx, factories):
    factories.client(partner="vsp", first_name="Ahmed", last_name="Haddad", birth_date=BORN)
    factories.client(partner="vsp", first_name="Mohamed", last_name="Haddad", birth_date=date(1985, 2, 4))
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, "/clientview/add", CLIENT_FORM, follow_redirects=True)
    assert response.status_code == 200 and "Possibly already" not in response.get_data(as_text=True)
    assert _new_client(ctx) is not None


def test_quick_entry_saves_and_shows_the_hint(login_as, client, ctx, other):
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, "/entry/", ENTRY_FORM, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _new_client(ctx) is not None  # saved at genres
    hints = [alert for alert in _alerts(body) if "VSP" in alert]
    assert hints == [HINT_EN]
    _assert_nothing_of(other, body, hints)


def test_api_answers_the_hint_with_partner_and_message_only(client, api_token, ctx, other):
    headers = api_token("t_staff", "Staff", ("genres",))
    response = client.post("/api/v1/client/", json=API_CLIENT, headers=headers)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["hints"] == [{"partner": "vsp", "message": HINT_EN}]
    assert answer["result"]["first_name"] == "Mohamed" and _new_client(ctx) is not None
    _assert_nothing_of(other, response.get_data(as_text=True), [json.dumps(answer["hints"], ensure_ascii=False)])
    # No match (another birth date): the field is there, empty.
    response = client.post("/api/v1/client/", json={**API_CLIENT, "first_name": "Olena", "birth_date": "1985-02-04"},
                           headers=headers)
    assert response.status_code == 201 and response.get_json()["hints"] == []


def test_import_page_reports_the_hint_per_row(login_as, client, ctx, other):
    login_as("t_staff", "Staff", ("genres",))
    data = csv_bytes([row(1, Vorname="Mohamed", Nachname="Haddad", Geburtsdatum="03.02.1985"),
                      row(2, Vorname="Olena", Nachname="Kovalenko", Geburtsdatum="03.02.1985")])
    genres = ctx.execute(text("SELECT id FROM partner WHERE code = 'genres'")).scalar()
    response = post_form(client, "/import/", {"partner": str(genres), "action": "import",
                                              "upload": (io.BytesIO(data), "clients.csv")},
                         content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="import-done"' in body
    table = re.search(r'<table[^>]*id="import-hint-table".*?</table>', body, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", table, re.S)]
    assert cells == ["2", "VSP gGmbH", HINT_EN]  # file row 2 (row 1 is the header)
    _assert_nothing_of(other, body, [table])
    assert _new_client(ctx) is not None  # saved at genres


def test_cli_import_prints_the_hint(app, ctx, other, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_bytes([row(1, Vorname="Mohamed", Nachname="Haddad", Geburtsdatum="03.02.1985")]))
    result = app.test_cli_runner().invoke(args=["iq", "import", str(path), "--partner", "genres"])
    assert result.exit_code == 0, result.output
    assert f"row 2: {HINT_EN}" in result.output
    _assert_nothing_of(other, result.output, [result.output])
    assert _new_client(ctx) is not None  # saved at genres


# --- PostgreSQL: the function under row-level security --------------------------------------------


def _postgres(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_function_under_rls_answers_partner_ids_only_and_needs_the_scope(app, ctx, factories, other, admin_engine):
    """As the application's (non-superuser) role: RLS hides VSP's client from Genres' scope, the
    function still finds the partner; nothing without a scope or for a partner outside it; its owner
    cannot log in, does not bypass RLS, may read only the key columns, and nobody is a member of it."""
    if not _postgres(app):
        pytest.skip("PostgreSQL only")
    from app.extensions import db

    genres, vsp = factories.partner("genres").id, factories.partner("vsp").id
    keys = match_keys(*NEW.values())
    arabic, latin = keys.skeletons_to_find()
    call = text("SELECT * FROM iq_duplicate_partners(:born, :key, :a, :b, :partner)")
    params = {"born": BORN, "key": keys.key, "a": arabic, "b": latin, "partner": genres}
    with app.app_context():
        connection = db.engine.connect()
        try:
            with connection.begin():
                assert connection.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles "
                                               "WHERE rolname = current_user")).one() == (False, False)
                assert connection.execute(call, params).all() == []  # no scope: nothing
            with connection.begin():
                connection.execute(text("SELECT set_config('iq.partner_ids', :ids, true)"), {"ids": str(genres)})
                assert connection.execute(text("SELECT count(*) FROM client WHERE id = :id"),
                                          {"id": other.id}).scalar() == 0  # RLS: VSP's row is invisible
                assert connection.execute(call, params).scalars().all() == [vsp]
                assert connection.execute(call, {**params, "partner": vsp}).all() == []  # not the caller's partner
                assert connection.execute(call, {**params, "born": date(1985, 2, 4)}).all() == []
            app_role = connection.execute(text("SELECT current_user")).scalar()
        finally:
            connection.close()
    with admin_engine.connect() as conn:
        role = conn.execute(text("SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles "
                                 "WHERE rolname = 'iq_match'")).one()
        assert tuple(role) == (False, False, False)
        owner = conn.execute(text("SELECT pg_get_userbyid(proowner), prosecdef FROM pg_proc "
                                  "WHERE proname = 'iq_duplicate_partners'")).one()
        assert tuple(owner) == ("iq_match", True)
        assert conn.execute(text("SELECT pg_has_role(:r, 'iq_match', 'MEMBER')"), {"r": app_role}).scalar() is False
        readable = {c for (c,) in conn.execute(text(
            "SELECT column_name FROM information_schema.column_privileges WHERE grantee = 'iq_match' "
            "AND table_name = 'client' AND privilege_type = 'SELECT'"))}
        assert readable == {"id", "partner_id", "birth_date", "name_key", "name_skeleton"}


def test_lookup_runs_one_statement_of_one_shape_match_or_not(app, ctx, factories, other):
    """No early return: a match, a non-match and an anonymous name run the same single statement."""
    from sqlalchemy import event

    genres = factories.partner("genres").id
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = ctx.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        shapes = []
        for names in (NEW.values(), ("Ahmed", "Haddad"), (None, None)):
            seen.clear()
            cross_partner_hints(ctx, genres, BORN, *names)
            shapes.append([s for s in seen if "partner" in s])
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(shapes[0]) == 1 and shapes[0] == shapes[1] == shapes[2]


# --- the migration's backfill --------------------------------------------------------------------


def test_migration_computes_the_keys_of_existing_clients(tmp_path):
    """Existing named clients get their keys (computed in Python, in batches), anonymous ones none.
    On its own SQLite file: the suite's database is at head."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    application = create_app(TestConfig(f"sqlite:///{tmp_path}/backfill.db"))
    with application.app_context():
        upgrade(revision="a0b1c2d3e4f5")
        names = [("Олена", "Коваленко"), ("محمد", "الحداد"), ("Jürgen", "Müller"), (None, None)]
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO country (code, name_de, name_en, is_eu) VALUES ('SY', 'Syrien', 'Syria', 0)"))
            conn.execute(text("INSERT INTO partner (id, code, name, city, state, role, active, created_at, updated_at) "
                              "VALUES (1, 'migra', 'migra e.V.', 'Rostock', 'MV', 'coordinator', 1, '2013-01-01', "
                              "'2013-01-01')"))
            for n, (first, last) in enumerate(names, start=1):
                conn.execute(text(
                    "INSERT INTO client (id, partner_id, client_number, first_name, last_name, birth_date, gender, "
                    "citizenship, counselling_language, version, created_at, updated_at) VALUES (:id, 1, :number, "
                    ":first, :last, '1980-01-01', 'female', 'SY', 'de', 1, '2013-01-01', '2013-01-01')"),
                    {"id": n, "number": f"MIGR-000000{n}", "first": first, "last": last})
        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT name_key, name_skeleton FROM client ORDER BY id")).all()
            indexes = {row[1] for row in conn.execute(text("PRAGMA index_list('client')"))}
        db.engine.dispose()
    assert [tuple(keys) for keys in stored] == [(match_keys(*n).key, match_keys(*n).skeleton) for n in names]
    assert stored[0][0] == match_keys("Olena", "Kovalenko").key and stored[3] == (None, None)
    assert "ix_client_birth_date_name_key" in indexes
