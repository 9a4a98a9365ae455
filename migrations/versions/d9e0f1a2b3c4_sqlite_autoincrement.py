"""SQLite: ids of partner-owned records are never reused (``AUTOINCREMENT``); PostgreSQL: nothing.

Without ``AUTOINCREMENT`` SQLite hands the id of the highest deleted row to the next insert, so the
audit trail (``audit_event.table_name`` + ``record_id``) would mix two different records. The
models declare ``sqlite_autoincrement=True``; here existing SQLite tables are rebuilt the way
SQLite documents for schema changes (https://www.sqlite.org/lang_altertable.html, "other kinds of
table schema changes"): with foreign keys off (see ``_rebuild_all``), a new table from the old one's own CREATE statement
with the id column made ``PRIMARY KEY AUTOINCREMENT``, the rows copied with their ids (which sets
``sqlite_sequence``), the old table dropped, the new one renamed, its indexes and triggers created
again from their stored statements, and ``PRAGMA foreign_key_check`` must find nothing.
PostgreSQL sequences never hand out an id twice: no change there.

Revision ID: d9e0f1a2b3c4
Revises: c8d9e0f1a2b3
"""
import re

from alembic import op

revision = "d9e0f1a2b3c4"
down_revision = "c8d9e0f1a2b3"
branch_labels = None
depends_on = None

TABLES = ("client", "counselling_case", "contact", "consent", "erasure_request", "training", "funding",
          "membership", "audit_event")

_ID_COLUMN = re.compile(r"\n\s*id INTEGER NOT NULL,")
_PRIMARY_KEY = re.compile(r",\s*\n\s*PRIMARY KEY \(id\)")


def _rebuild(connection, table, to_autoincrement):
    create = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if create is None:
        return
    if to_autoincrement == ("AUTOINCREMENT" in create):
        return  # already as wanted (e.g. a database created from the models)
    others = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        (table,)).scalars().all()
    temporary = f"_iq_rebuild_{table}"
    if to_autoincrement:
        body, found = _ID_COLUMN.subn("\n\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,", create, count=1)
        body, found_pk = _PRIMARY_KEY.subn("", body, count=1)
    else:
        body, found = re.subn(r"id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,", "id INTEGER NOT NULL,",
                              create, count=1)
        body, found_pk = re.subn(r"\n\)\s*$", ", \n\tPRIMARY KEY (id)\n)", body, count=1)
    if not (found and found_pk):
        raise RuntimeError(f"unexpected CREATE statement of {table}: {create}")
    body = re.sub(r"^CREATE TABLE \"?%s\"?" % re.escape(table), f'CREATE TABLE "{temporary}"', body, count=1)
    connection.exec_driver_sql(body)
    connection.exec_driver_sql(f'INSERT INTO "{temporary}" SELECT * FROM "{table}"')
    connection.exec_driver_sql(f'DROP TABLE "{table}"')
    connection.exec_driver_sql(f'ALTER TABLE "{temporary}" RENAME TO "{table}"')
    for statement in others:
        connection.exec_driver_sql(statement)


def _rebuild_all(to_autoincrement):
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    # SQLite ignores PRAGMA foreign_keys inside a transaction, and with foreign keys on, DROP TABLE
    # deletes the rows first (and fails on the children). An open transaction (earlier steps of
    # this upgrade) is committed first; SQLite's DDL is not transactional for Alembic anyway, and
    # the steps before stamp their revision in that transaction. The rebuild is committed before
    # foreign keys go back on; run again, a table already rebuilt is skipped.
    driver = connection.connection.driver_connection
    if driver.in_transaction:
        driver.commit()
    connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    try:
        for table in TABLES:
            _rebuild(connection, table, to_autoincrement)
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        driver.commit()
    finally:
        if driver.in_transaction:
            driver.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")


def upgrade():
    _rebuild_all(True)


def downgrade():
    _rebuild_all(False)
