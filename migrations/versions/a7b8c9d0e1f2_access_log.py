"""Read-access log (``access_log``): append-only, scoped like the data.

SQLite: triggers refuse UPDATE and DELETE. PostgreSQL: the application role gets no UPDATE or
DELETE on the table (``app.security.database_roles``) and row-level security scopes reads by
partner like the other partner-owned tables.

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
"""
import sqlalchemy as sa
from alembic import op

revision = "a7b8c9d0e1f2"
down_revision = "f6a7b8c9d0e1"
branch_labels = None
depends_on = None

ONCE = "(SELECT iq_all_partners()) OR partner_id = ANY ((SELECT iq_partner_ids())::integer[])"


def upgrade():
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_access_log_user_id", "access_log", ["user_id"])
    op.create_index("ix_access_log_client_at", "access_log", ["client_id", "at"])
    op.create_index("ix_access_log_partner_at", "access_log", ["partner_id", "at"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS access_log_no_{action.lower()} BEFORE {action} "
                       "ON access_log BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END")
    elif bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE access_log ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE access_log FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY partner_scope ON access_log USING ({ONCE}) WITH CHECK ({ONCE})")


def downgrade():
    op.drop_table("access_log")
