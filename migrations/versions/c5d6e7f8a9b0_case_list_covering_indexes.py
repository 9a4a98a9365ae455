"""Case lists at 1,000,000 cases under row-level security, read from indexes alone.

* ``ix_case_opened_partner`` (opened_on, id) INCLUDE (partner_id) replaces ``ix_case_opened``: the
  policy tests partner_id on every row the list passes, which ``ix_case_opened`` lacks, so page 2000
  of a network-wide user (OFFSET 49,975) read 45,000 table pages (90 ms); from this index 207 index
  pages (12 ms), an index-only scan.
* ``ix_case_partner_status_opened`` (partner_id, status, opened_on, id): the list filtered by partner
  and status (its page and its count up to 10,001) without a scan of the table or of a wider index
  (15 → 3 ms).

Index-only scans skip the table only for pages the visibility map marks all-visible, and an
update clears a page's mark until VACUUM: after 20,000 scattered updates (2 %) page 2000 made 40,770
heap fetches (110 ms) until VACUUM. Autovacuum's default waits for 20 % of the rows (200,000
cases), so the case table is vacuumed after 2 % of its rows changed or were inserted (PostgreSQL;
a vacuum only visits the pages changed since the last one).

Revision ID: c5d6e7f8a9b0
Revises: b1c2d3e4f5a6
"""
from alembic import op

revision = "c5d6e7f8a9b0"
down_revision = "b1c2d3e4f5a6"
branch_labels = None
depends_on = None


AUTOVACUUM = ("autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor")


def upgrade():
    op.create_index("ix_case_opened_partner", "counselling_case", ["opened_on", "id"],
                    postgresql_include=["partner_id"])
    op.drop_index("ix_case_opened", table_name="counselling_case")
    op.create_index("ix_case_partner_status_opened", "counselling_case", ["partner_id", "status", "opened_on", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE counselling_case SET (" + ", ".join(f"{name} = 0.02" for name in AUTOVACUUM) + ")")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE counselling_case RESET (" + ", ".join(AUTOVACUUM) + ")")
    op.drop_index("ix_case_partner_status_opened", table_name="counselling_case")
    op.create_index("ix_case_opened", "counselling_case", ["opened_on", "id"])
    op.drop_index("ix_case_opened_partner", table_name="counselling_case")
