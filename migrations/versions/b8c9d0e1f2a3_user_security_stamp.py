"""Security stamp per user (``ab_user.security_stamp``): sessions and tokens carry a copy of it and
end when it changes (logout, password change, deactivation; ``app.security.sessions``).

Existing users keep NULL until their next login; a session or token without a matching stamp is
refused, so every session from before this revision ends once.

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
"""
import sqlalchemy as sa
from alembic import op

revision = "b8c9d0e1f2a3"
down_revision = "a7b8c9d0e1f2"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("ab_user", sa.Column("security_stamp", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("security_stamp")
