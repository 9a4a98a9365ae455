"""Anonymous counselling and consent rows only: the client's former single consent columns
(``consent_given_on``, ``consent_version``, ``consent_withdrawn_on``) become counselling consents
(manner ``not_recorded``: the old columns did not say how it was given) and are dropped. (Names
may be empty since c8d9e0f1a2b3: an anonymous client holds only the statistical fields.)

Revision ID: 5c0e7a91d3b2
Revises: d9e0f1a2b3c4
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "5c0e7a91d3b2"
down_revision = "d9e0f1a2b3c4"
branch_labels = None
depends_on = None

OLD_MANNERS = "given_how IN ('signed_form', 'verbal', 'email')"
NEW_MANNERS = "given_how IN ('signed_form', 'verbal', 'email', 'not_recorded')"


def _system_scope():
    # consent has FORCE'd row-level security: the migrating owner states the network-wide scope.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT set_config('iq.partner_ids', 'all', true)")


def upgrade():
    _system_scope()
    # table_kwargs: on SQLite the batch copies the table, which would lose AUTOINCREMENT (d9e0f1a2b3c4).
    with op.batch_alter_table("consent", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint("ck_consent_given_how", type_="check")
        batch_op.create_check_constraint("ck_consent_given_how", NEW_MANNERS)
    now = datetime.utcnow().replace(microsecond=0)
    op.get_bind().execute(sa.text(
        "INSERT INTO consent (client_id, partner_id, purpose, given_on, text_version, language, given_how, "
        "withdrawn_on, created_at, updated_at) "
        "SELECT id, partner_id, 'counselling', COALESCE(consent_given_on, consent_withdrawn_on), "
        "COALESCE(consent_version, 'unknown'), COALESCE(counselling_language, 'de'), 'not_recorded', "
        "consent_withdrawn_on, :now, :now FROM client "
        "WHERE (consent_given_on IS NOT NULL OR consent_withdrawn_on IS NOT NULL) "
        # A client that already has a counselling consent row keeps it alone (no duplicate).
        "AND NOT EXISTS (SELECT 1 FROM consent c WHERE c.client_id = client.id AND c.purpose = 'counselling')"
    ), {"now": now})
    # Plain ALTER TABLE … DROP COLUMN (PostgreSQL; SQLite >= 3.35), not a batch copy of the table:
    # on SQLite with foreign keys on, dropping the old copy of ``client`` would cascade-delete the
    # consent rows just written.
    for column in ("consent_withdrawn_on", "consent_version", "consent_given_on"):
        op.execute(f"ALTER TABLE client DROP COLUMN {column}")


def downgrade():
    _system_scope()
    bind = op.get_bind()
    op.add_column("client", sa.Column("consent_given_on", sa.Date(), nullable=True))
    op.add_column("client", sa.Column("consent_version", sa.String(length=20), nullable=True))
    op.add_column("client", sa.Column("consent_withdrawn_on", sa.Date(), nullable=True))
    # The latest counselling consent of each client goes back into the single columns.
    latest = ("(SELECT {column} FROM consent c WHERE c.id = (SELECT max(d.id) FROM consent d "
              "WHERE d.client_id = client.id AND d.purpose = 'counselling'))")
    bind.execute(sa.text(
        "UPDATE client SET consent_given_on = " + latest.format(column="given_on")
        + ", consent_version = " + latest.format(column="text_version")
        + ", consent_withdrawn_on = " + latest.format(column="withdrawn_on")
    ))
    bind.execute(sa.text("DELETE FROM consent WHERE given_how = 'not_recorded'"))
    # table_kwargs: on SQLite the batch copies the table, which would lose AUTOINCREMENT (d9e0f1a2b3c4).
    with op.batch_alter_table("consent", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint("ck_consent_given_how", type_="check")
        batch_op.create_check_constraint("ck_consent_given_how", OLD_MANNERS)
