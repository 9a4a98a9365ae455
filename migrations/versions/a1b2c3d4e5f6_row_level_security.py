"""Row-level security on the partner-owned tables (PostgreSQL only): defence in depth.

The application sets ``iq.partner_ids`` at the start of every transaction ('all', or a comma
separated list of partner ids); rows of other partners are then invisible and cannot be written,
even by a query that forgot the ORM scope. FORCE makes the policies apply to the table owner too;
superusers still bypass them (run the app as an ordinary role).

Revision ID: a1b2c3d4e5f6
Revises: 055446655aee
"""
from alembic import op

revision = "a1b2c3d4e5f6"
down_revision = "055446655aee"
branch_labels = None
depends_on = None

TABLES = ("client", "counselling_case", "contact", "training", "funding", "audit_event")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION iq_partner_allowed(pid integer) RETURNS boolean
        LANGUAGE sql STABLE AS $$
          SELECT coalesce(current_setting('iq.partner_ids', true), '') = 'all'
              OR pid = ANY (string_to_array(
                     nullif(nullif(current_setting('iq.partner_ids', true), 'all'), ''), ',')::int[])
        $$
        """
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY partner_scope ON {table} "
            f"USING (iq_partner_allowed(partner_id)) WITH CHECK (iq_partner_allowed(partner_id))"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS partner_scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS iq_partner_allowed(integer)")
