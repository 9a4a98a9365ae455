"""Row-level security policies whose partner test is evaluated once per statement, not per row.

The policies of a1b2c3d4e5f6 call ``iq_partner_allowed(partner_id)``, which PostgreSQL inlines
into every row: two ``current_setting`` calls, and for a partner user a ``string_to_array`` and
cast per row. Written as uncorrelated sub-selects, ``(SELECT iq_all_partners())`` and
``(SELECT iq_partner_ids())`` become InitPlans, computed once per statement; each row then costs
one boolean test or one array lookup. Same rule as before: ``iq.partner_ids`` = 'all' sees every
row (also those without a partner), a list of ids sees those partners' rows, nothing set sees nothing.

Revision ID: c3d4e5f6a7b8
Revises: b7c1e2d3f4a5
"""
from alembic import op

revision = "c3d4e5f6a7b8"
down_revision = "b7c1e2d3f4a5"
branch_labels = None
depends_on = None

TABLES = ("client", "counselling_case", "contact", "training", "funding", "audit_event")
ONCE = "(SELECT iq_all_partners()) OR partner_id = ANY ((SELECT iq_partner_ids())::integer[])"
PER_ROW = "iq_partner_allowed(partner_id)"


def _policies(expression):
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS partner_scope ON {table}")
        op.execute(f"CREATE POLICY partner_scope ON {table} USING ({expression}) WITH CHECK ({expression})")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION iq_all_partners() RETURNS boolean
        LANGUAGE sql STABLE AS $$
          SELECT coalesce(current_setting('iq.partner_ids', true), '') = 'all'
        $$
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION iq_partner_ids() RETURNS integer[]
        LANGUAGE sql STABLE AS $$
          SELECT coalesce(string_to_array(
                   nullif(nullif(current_setting('iq.partner_ids', true), 'all'), ''), ',')::int[], '{}')
        $$
        """
    )
    _policies(ONCE)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _policies(PER_ROW)
    op.execute("DROP FUNCTION IF EXISTS iq_partner_ids()")
    op.execute("DROP FUNCTION IF EXISTS iq_all_partners()")
