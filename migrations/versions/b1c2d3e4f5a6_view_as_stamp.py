""""View as": ``ab_user.view_as_stamp`` holds the real user's current view-as (``<target id>:<random>``),
which the session and view-as tokens must match on every request (``app.security.view_as``). NULL: no
view-as; clearing it ends every cookie and token of that view-as.

Revision ID: b1c2d3e4f5a6
Revises: f1e2d3c4b5a6
"""
import sqlalchemy as sa
from alembic import op

revision = "b1c2d3e4f5a6"
down_revision = "f1e2d3c4b5a6"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("ab_user", sa.Column("view_as_stamp", sa.String(length=48), nullable=True))


def downgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("view_as_stamp")
