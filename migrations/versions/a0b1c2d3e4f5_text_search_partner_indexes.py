"""Text search under row-level security, part 2: trigram indexes that lead with ``partner_id``.

``iq_text_search`` (migration c4d5e6f7a8b9) restricts a Staff user's search with
``partner_id = ANY (iq_partner_ids()) AND col ILIKE pattern``. With a trigram index on the column
alone PostgreSQL reads every network-wide match (23,700 for "electri" at 1M cases) and then drops
the other partners' rows at the heap; with a GIN index over ``(partner_id, col gin_trgm_ops)``
(``btree_gin`` provides the GIN operator class for the integer) the partner rule is applied inside
the index scan and only the partner's matches are read (4,300). A search of every partner uses the
same index on its second column alone (GIN has no column order), the old single-column indexes stay.

``btree_gin`` is a trusted extension (PostgreSQL 13+): a database owner may create it. If the
migrating role may not, the indexes are skipped (the search stays correct, only slower) and a DBA
runs ``CREATE EXTENSION IF NOT EXISTS btree_gin;`` once and migrates again from c4d5e6f7a8b9, or
creates the indexes below by hand. SQLite gets plain (partner_id, column) indexes (the models
declare the same, ``app.core.models.trigram_index(..., partner=True)``).

Revision ID: a0b1c2d3e4f5
Revises: a9b8c7d6e5f4
"""
from alembic import op
from sqlalchemy import text

revision = "a0b1c2d3e4f5"
down_revision = "a9b8c7d6e5f4"
branch_labels = None
depends_on = None

INDEXES = (("ix_case_partner_title_trgm", "counselling_case", "qualification_title"),
           ("ix_client_partner_last_name_trgm", "client", "last_name"),
           ("ix_client_partner_first_name_trgm", "client", "first_name"),
           ("ix_client_partner_number_trgm", "client", "client_number"))


def _btree_gin(bind):
    """True when btree_gin is (or could now be) installed; a refusal leaves the transaction usable."""
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'btree_gin'")).scalar():
        return True
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
    except Exception as error:  # noqa: BLE001 - insufficient privilege, extension not available
        savepoint.rollback()
        print(f"text search: btree_gin not installable ({str(error).splitlines()[0]}); "
              "the partner trigram indexes are skipped")
        return False
    savepoint.commit()
    return True


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql and not _btree_gin(bind):
        return
    for name, table, column in INDEXES:
        op.create_index(name, table, ["partner_id", column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    for name, table, _column in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # btree_gin stays: other objects may use it, and it holds no data.
