"""Row-level security per membership role: a second setting for the aggregate scope.

Roles are per partner membership (DESIGN.md §3): ``iq.partner_ids`` lists the partners whose
personal data the user may read (membership role Staff or PartnerAdmin), ``iq.aggregate_ids`` those
whose figures it may read (Management or more). Trainings and funding hold no personal data: they
are readable over the aggregate set and writable over the personal one. The audit trail stays
readable over the personal set; an audit row may be written for any partner of the aggregate set
(e.g. "password changed" of a Management user, which concerns its partners). Report queries switch
``iq.partner_ids`` to the aggregate set for their own statements (``aggregate_scope()``).
Without ``iq.aggregate_ids`` (an older instance), the aggregate set is the personal one.

Revision ID: e1f2a3b4c5d6
Revises: 5c0e7a91d3b2
"""
from alembic import op

revision = "e1f2a3b4c5d6"
down_revision = "5c0e7a91d3b2"
branch_labels = None
depends_on = None

PERSONAL = "(SELECT iq_all_partners()) OR partner_id = ANY ((SELECT iq_partner_ids())::integer[])"
AGGREGATE = "(SELECT iq_all_aggregate()) OR partner_id = ANY ((SELECT iq_aggregate_ids())::integer[])"
AGGREGATE_READ = ("training", "funding")


def _policy(table, using, check):
    op.execute(f"DROP POLICY IF EXISTS partner_scope ON {table}")
    op.execute(f"CREATE POLICY partner_scope ON {table} USING ({using}) WITH CHECK ({check})")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    setting = ("coalesce(nullif(current_setting('iq.aggregate_ids', true), ''), "
               "current_setting('iq.partner_ids', true), '')")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION iq_all_aggregate() RETURNS boolean
        LANGUAGE sql STABLE AS $$ SELECT {setting} = 'all' $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION iq_aggregate_ids() RETURNS integer[]
        LANGUAGE sql STABLE AS $$
          SELECT coalesce(string_to_array(nullif(nullif({setting}, 'all'), ''), ',')::int[], '{{}}')
        $$
        """
    )
    for table in AGGREGATE_READ:
        _policy(table, AGGREGATE, PERSONAL)
    _policy("audit_event", PERSONAL, AGGREGATE)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in AGGREGATE_READ + ("audit_event",):
        _policy(table, PERSONAL, PERSONAL)
    op.execute("DROP FUNCTION IF EXISTS iq_aggregate_ids()")
    op.execute("DROP FUNCTION IF EXISTS iq_all_aggregate()")
