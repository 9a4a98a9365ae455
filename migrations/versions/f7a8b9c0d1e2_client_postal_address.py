"""Postal address of a client (street, postcode, city) for the letters' window (DIN 5008).

Personal data like the names: only with a counselling consent (app.clients.consent), blanked by
the erasure (app.clients.erasure), listed in the Art. 15 report.

Revision ID: f7a8b9c0d1e2
Revises: e1f2a3b4c5d6
"""
import sqlalchemy as sa
from alembic import op

revision = "f7a8b9c0d1e2"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("client", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("street", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("postcode", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("city", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("client", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("city")
        batch.drop_column("postcode")
        batch.drop_column("street")
