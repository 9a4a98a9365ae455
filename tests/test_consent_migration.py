"""Migration 5c0e7a91d3b2: the client's former consent columns become consent rows, then are dropped.

Runs on its own SQLite file (the suite's database is at head): migrate to the revision before,
write clients with the old columns, migrate to head, and find their consents as rows.
"""
from datetime import date

from sqlalchemy import create_engine, inspect, text

BEFORE = "d9e0f1a2b3c4"


def test_old_consent_columns_become_consent_rows_and_are_dropped(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.scoping import system_scope
    from config import TestConfig

    url = f"sqlite:///{tmp_path}/migration.db"
    application = create_app(TestConfig(url))
    with application.app_context():
        upgrade(revision=BEFORE)
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO country (code, name_de, name_en, is_eu) VALUES ('SY', 'Syrien', 'Syria', 0)"))
            conn.execute(text(
                "INSERT INTO partner (id, code, name, city, state, role, active, created_at, updated_at) "
                "VALUES (1, 'migra', 'migra e.V.', 'Rostock', 'MV', 'coordinator', 1, '2013-01-01', '2013-01-01')"))
            for pk, given, version, withdrawn in [(1, "2013-03-14", "2011-07", None),
                                                  (2, "2012-01-05", None, "2013-02-01"),
                                                  (3, None, None, None)]:
                conn.execute(text(
                    "INSERT INTO client (id, partner_id, client_number, first_name, last_name, birth_date, gender, "
                    "citizenship, counselling_language, consent_given_on, consent_version, consent_withdrawn_on, "
                    "version, created_at, updated_at) VALUES (:pk, 1, :number, 'A', 'B', '1980-01-01', 'female', "
                    "'SY', 'ar', :given, :version, :withdrawn, 1, '2013-01-01', '2013-01-01')"),
                    {"pk": pk, "number": f"MIGR-{pk:07d}", "given": given, "version": version, "withdrawn": withdrawn})
        upgrade()
        columns = {c["name"] for c in inspect(engine).get_columns("client")}
        assert not {"consent_given_on", "consent_version", "consent_withdrawn_on"} & columns
        with engine.connect() as conn:
            found = conn.execute(text(
                "SELECT client_id, partner_id, purpose, given_on, text_version, language, given_how, withdrawn_on "
                "FROM consent ORDER BY client_id")).all()
        assert [tuple(str(v) if v is not None else None for v in row) for row in found] == [
            ("1", "1", "counselling", "2013-03-14", "2011-07", "ar", "not_recorded", None),
            ("2", "1", "counselling", "2012-01-05", "unknown", "ar", "not_recorded", "2013-02-01"),
        ]
        # The migrated consents count as consents: has_consent() sees them.
        from app.clients.consent import has_consent
        from app.clients.models import Client

        with system_scope():
            first = db.session.get(Client, 1)
            assert has_consent(first, "counselling", on=date(2014, 1, 1))
            assert not has_consent(db.session.get(Client, 2), "counselling", on=date(2014, 1, 1))
            db.session.remove()
        # And back: the downgrade restores the columns from the rows.
        downgrade(revision=BEFORE)
        with engine.connect() as conn:
            back = conn.execute(text("SELECT id, consent_given_on, consent_version, consent_withdrawn_on FROM client "
                                     "ORDER BY id")).all()
            assert conn.execute(text("SELECT count(*) FROM consent")).scalar() == 0
        assert [tuple(str(v) if v is not None else None for v in row) for row in back] == [
            ("1", "2013-03-14", "2011-07", None), ("2", "2012-01-05", "unknown", "2013-02-01"), ("3", None, None, None)]
        db.session.remove()
        engine.dispose()
