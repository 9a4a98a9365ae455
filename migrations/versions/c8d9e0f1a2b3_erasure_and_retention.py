"""Erasure keeping the statistics and retention (GDPR Art. 17; app/clients/erasure.py, retention.py).

* ``counselling_case.age_band``: the client's age band at the opening, stored with the case so that
  the figures survive the erasure of the birth date; filled here from the birth dates, and added to
  the INCLUDE of ``ix_case_client_opened`` so that the summary's per-client pass stays index-only.
* ``client.erased_at``; names and birth date may be NULL (an erased client has none).
* ``access_log``: still append-only, except that an erasure may blank a value in ``detail`` (an
  export's filter may hold the client's name); triggers allow no other change.
* ``erasure_request``: request and confirmation (two persons) or the retention run; partner-owned,
  with the row-level security policy of the other partner-owned tables (PostgreSQL).

Revision ID: c8d9e0f1a2b3
Revises: b8c9d0e1f2a3
"""
import sqlalchemy as sa
from alembic import op

revision = "c8d9e0f1a2b3"
down_revision = "b8c9d0e1f2a3"
branch_labels = None
depends_on = None

ONCE = "(SELECT iq_all_partners()) OR partner_id = ANY ((SELECT iq_partner_ids())::integer[])"


REDACTED = "[erased]"
_UNCHANGED = ("id", "at", "user_id", "actor", "client_id", "partner_id", "path")
SQLITE_UPDATE_GUARD = (
    "CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log WHEN NOT ("
    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _UNCHANGED)
    + f" AND instr(coalesce(NEW.detail, ''), '{REDACTED}') > 0) "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END")
PG_REDACTION_ONLY = (
    "CREATE OR REPLACE FUNCTION iq_access_log_redaction_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF " + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _UNCHANGED)
    + f" OR position('{REDACTED}' in coalesce(NEW.detail, '')) = 0 "
    "THEN RAISE EXCEPTION 'access_log is append-only'; END IF; RETURN NEW; END $$")


def _age_sql(dialect):
    """Whole years between the birth date and the opening day (as app.cases.models._age_on)."""
    if dialect == "postgresql":
        return ("(extract(year FROM c.opened_on) - extract(year FROM k.birth_date)"
                " - CASE WHEN to_char(c.opened_on, 'MM-DD') < to_char(k.birth_date, 'MM-DD') THEN 1 ELSE 0 END)")
    return ("(CAST(strftime('%Y', c.opened_on) AS INTEGER) - CAST(strftime('%Y', k.birth_date) AS INTEGER)"
            " - CASE WHEN strftime('%m-%d', c.opened_on) < strftime('%m-%d', k.birth_date) THEN 1 ELSE 0 END)")


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    with op.batch_alter_table("counselling_case") as batch_op:
        batch_op.add_column(sa.Column("age_band", sa.String(length=8), nullable=True))
    age = _age_sql(dialect)
    band = (f"CASE WHEN {age} >= 55 THEN '55_plus' WHEN {age} >= 45 THEN '45_54' WHEN {age} >= 35 THEN '35_44' "
            f"WHEN {age} >= 25 THEN '25_34' ELSE 'under_25' END")
    if dialect == "postgresql":
        # The policies are FORCE'd: the migrating role (the owner) sees every partner explicitly.
        op.execute("SELECT set_config('iq.partner_ids', 'all', true)")
        op.execute(f"UPDATE counselling_case c SET age_band = {band} FROM client k "
                   "WHERE k.id = c.client_id AND k.birth_date IS NOT NULL")
    else:
        op.execute(f"UPDATE counselling_case SET age_band = (SELECT {band} FROM counselling_case c "
                   "JOIN client k ON k.id = c.client_id WHERE c.id = counselling_case.id AND k.birth_date IS NOT NULL)")
    if dialect == "postgresql":
        op.drop_index("ix_case_client_opened", table_name="counselling_case")
        op.create_index("ix_case_client_opened", "counselling_case", ["client_id", "opened_on"],
                        postgresql_include=["partner_id", "age_band"])

    with op.batch_alter_table("client") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.alter_column("first_name", existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column("last_name", existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column("birth_date", existing_type=sa.Date(), nullable=True)

    op.create_table(
        "erasure_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("client.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erasure_request_client_id", "erasure_request", ["client_id"])
    op.create_index("ix_erasure_request_partner_id", "erasure_request", ["partner_id"])
    # access_log stays append-only except for blanking a value in ``detail`` on erasure.
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        op.execute(SQLITE_UPDATE_GUARD)
    if dialect == "postgresql":
        op.execute(PG_REDACTION_ONLY)
        op.execute("CREATE TRIGGER access_log_redaction_only BEFORE UPDATE ON access_log "
                   "FOR EACH ROW EXECUTE FUNCTION iq_access_log_redaction_only()")
        op.execute("ALTER TABLE erasure_request ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE erasure_request FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY partner_scope ON erasure_request USING ({ONCE}) WITH CHECK ({ONCE})")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        op.execute("CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log "
                   "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END")
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_redaction_only ON access_log")
        op.execute("DROP FUNCTION IF EXISTS iq_access_log_redaction_only()")
    op.drop_table("erasure_request")
    with op.batch_alter_table("client") as batch_op:
        batch_op.drop_column("erased_at")
    if dialect == "postgresql":
        op.drop_index("ix_case_client_opened", table_name="counselling_case")
        op.create_index("ix_case_client_opened", "counselling_case", ["client_id", "opened_on"],
                        postgresql_include=["partner_id"])
    with op.batch_alter_table("counselling_case") as batch_op:
        batch_op.drop_column("age_band")
