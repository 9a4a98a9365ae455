"""Upgrading a database that holds records: SQLite's batch migrations copy tables (client, consent, …)
and drop the old ones; with foreign keys on, that refused ("FOREIGN KEY constraint failed") or would
cascade into the referencing rows. migrations/env.py turns them off while migrating and checks every
reference before the commit. Runs on its own SQLite file (the suite's database is at head)."""
from sqlalchemy import text

BEFORE = "b8c9d0e1f2a3"  # before the erasure, AUTOINCREMENT and consent-row migrations


def test_upgrade_keeps_every_record_and_reference(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    application = create_app(TestConfig(f"sqlite:///{tmp_path}/upgrade.db"))
    with application.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            for sql in (
                "INSERT INTO country (code, name_de, name_en, is_eu) VALUES ('SY', 'Syrien', 'Syria', 0)",
                "INSERT INTO partner (id, code, name, city, state, role, active, created_at, updated_at) "
                "VALUES (1, 'migra', 'migra e.V.', 'Rostock', 'MV', 'coordinator', 1, '2013-01-01', '2013-01-01')",
                "INSERT INTO funding_period (id, code, name, start, \"end\", closed, created_at, updated_at) "
                "VALUES (1, '2013', '2013', '2013-01-01', '2013-12-31', 0, '2013-01-01', '2013-01-01')",
                "INSERT INTO client (id, partner_id, client_number, first_name, last_name, birth_date, gender, "
                "citizenship, counselling_language, consent_given_on, consent_version, version, created_at, "
                "updated_at) VALUES (1, 1, 'MIGR-0000001', 'Olena', 'Kovalenko', '1980-01-01', 'female', 'SY', "
                "'de', '2013-03-01', '2011-07', 1, '2013-01-01', '2013-01-01')",
                "INSERT INTO counselling_case (id, client_id, partner_id, funding_period_id, opened_on, status, "
                "version, created_at, updated_at) VALUES (1, 1, 1, 1, '2013-03-01', 'closed', 1, '2013-01-01', "
                "'2013-01-01')",
                "INSERT INTO contact (id, case_id, partner_id, date, kind, channel, created_at, updated_at) "
                "VALUES (1, 1, 1, '2013-03-01', 'first_contact', 'phone', '2013-01-01', '2013-01-01')",
                "INSERT INTO consent (id, client_id, partner_id, purpose, given_on, text_version, language, "
                "given_how, created_at, updated_at) VALUES (1, 1, 1, 'email', '2013-03-01', '2026-1', 'de', "
                "'verbal', '2013-01-01', '2013-01-01')",
            ):
                conn.execute(text(sql))
        upgrade()
        with db.engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                      for table in ("client", "counselling_case", "contact")}
            consents = conn.execute(text("SELECT purpose, given_how FROM consent ORDER BY id")).all()
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # on again for the app
            client = conn.execute(text("SELECT last_name, client_number FROM client")).one()
        from alembic.script import ScriptDirectory
        from flask_migrate import Migrate  # noqa: F401 - the app's Migrate holds the script location

        config = application.extensions["migrate"].migrate.get_config()
        assert head == ScriptDirectory.from_config(config).get_current_head()
        assert counts == {"client": 1, "counselling_case": 1, "contact": 1}
        assert [tuple(row) for row in consents] == [("email", "verbal"), ("counselling", "not_recorded")]
        assert tuple(client) == ("Kovalenko", "MIGR-0000001")
