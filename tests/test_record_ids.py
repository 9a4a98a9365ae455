"""Issue 8.9: a deleted record's id is never handed to a new one, so the audit never mixes two records.

SQLite reuses the highest deleted rowid unless the table is ``AUTOINCREMENT``; the models declare
``sqlite_autoincrement=True`` and migration 5c0e7a91d3b2 rebuilds existing SQLite tables. Alembic's
autogenerate does not compare this option, so the agreement of models and migrated schema is
checked here.
"""
import importlib.util
from pathlib import Path

import pytest
from flask_appbuilder import Model
from sqlalchemy import text

from app.clients.models import Client
from app.core.models import PartnerOwned
from app.security.models import AuditEvent

MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "d9e0f1a2b3c4_sqlite_autoincrement.py"


#: Tables created with AUTOINCREMENT by migrations after d9e0f1a2b3c4 (which rebuilt the older ones).
CREATED_LATER = {"referral", "referral_payload", "referral_intake"}  # f1e2d3c4b5a6 (issue 12)


def _migration():
    spec = importlib.util.spec_from_file_location("autoincrement_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _autoincrement_tables():
    return {t.name for t in Model.metadata.tables.values() if t.dialect_options["sqlite"]["autoincrement"]}


def test_every_partner_owned_model_and_the_migration_agree(app):
    owned = {m.__table__.name for m in Model.registry._class_registry.values()
             if isinstance(m, type) and issubclass(m, PartnerOwned) and hasattr(m, "__table__")}
    assert owned <= _autoincrement_tables()
    assert set(_migration().TABLES) | CREATED_LATER == _autoincrement_tables()


def test_the_migrated_sqlite_schema_has_autoincrement_where_the_models_say(app, ctx):
    if ctx.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL sequences never reuse a value")
    created = dict(ctx.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    with_autoincrement = {name for name, sql in created.items() if "AUTOINCREMENT" in (sql or "")}
    assert with_autoincrement == _autoincrement_tables()


def test_a_deleted_clients_id_is_not_reused_and_the_audit_keeps_them_apart(app, ctx, factories):
    first = factories.client(last_name="Erste")
    first_id = first.id
    ctx.delete(first)
    ctx.commit()
    second = factories.client(last_name="Zweite")
    assert second.id > first_id
    events = ctx.query(AuditEvent).filter_by(table_name="client", record_id=str(first_id)).all()
    assert {e.action for e in events} == {"insert", "delete"}, [(e.action, e.new_values) for e in events]
    assert ctx.query(Client).filter_by(id=first_id).count() == 0
