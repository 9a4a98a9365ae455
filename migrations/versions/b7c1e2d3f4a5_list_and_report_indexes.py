"""Indexes for list filters and the summary at 1,000,000 cases.

* ``pg_trgm`` GIN indexes on the text columns that list pages filter with ``ILIKE '%…%'`` (FAB's
  "contains"/"starts with"): case title, client last/first name and number. Other databases get a
  plain index (the models declare the same, see ``app.core.models.trigram_index``).
* ``ix_case_opened`` (opened_on, id): the case list of a network-wide user, newest first, reads
  25 index entries instead of sorting a million rows.
* ``ix_case_client_opened`` (client_id, opened_on) INCLUDE (partner_id) replaces the index on
  client_id alone: the summary's persons per quarter and its client semi-join read it without
  touching the table.

``CREATE EXTENSION pg_trgm`` needs a superuser (or, from PostgreSQL 13, a database owner for this
trusted extension). If the role that runs migrations in production may not create it, a DBA runs
``CREATE EXTENSION IF NOT EXISTS pg_trgm;`` in the database once before ``flask db upgrade``.

Revision ID: b7c1e2d3f4a5
Revises: a1b2c3d4e5f6
"""
from alembic import op

revision = "b7c1e2d3f4a5"
down_revision = "a1b2c3d4e5f6"
branch_labels = None
depends_on = None

TRIGRAM = (("ix_case_title_trgm", "counselling_case", "qualification_title"),
           ("ix_client_last_name_trgm", "client", "last_name"),
           ("ix_client_first_name_trgm", "client", "first_name"),
           ("ix_client_number_trgm", "client", "client_number"))


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        op.create_index(name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
    with op.batch_alter_table("counselling_case") as batch_op:
        batch_op.create_index("ix_case_client_opened", ["client_id", "opened_on"],
                              postgresql_include=["partner_id"])
        batch_op.drop_index("ix_counselling_case_client_id")
        batch_op.create_index("ix_case_opened", ["opened_on", "id"])


def downgrade():
    with op.batch_alter_table("counselling_case") as batch_op:
        batch_op.drop_index("ix_case_opened")
        batch_op.create_index("ix_counselling_case_client_id", ["client_id"])
        batch_op.drop_index("ix_case_client_opened")
    for name, table, _column in TRIGRAM:
        op.drop_index(name, table_name=table)
