"""Consents per client and the versioned consent texts (GDPR Art. 6/7), seeded in de, en, ru, ar.

``consent`` is partner-owned: it gets the same row-level security policy as the other
partner-owned tables (PostgreSQL only).

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "e5f6a7b8c9d0"
down_revision = "d4e5f6a7b8c9"
branch_labels = None
depends_on = None

PURPOSES = "purpose IN ('counselling', 'referral', 'email')"

SEED = {
    ("counselling", "de"): "Ich willige ein, dass das IQ Netzwerk meine Angaben zur Beratung speichert und "
                           "verarbeitet. Ich kann die Einwilligung jederzeit widerrufen.",
    ("counselling", "en"): "I agree that the IQ network stores and processes my details for counselling. "
                           "I can withdraw this consent at any time.",
    ("counselling", "ru"): "Я согласен(на) с тем, что сеть IQ хранит и обрабатывает мои данные для "
                           "консультации. Я могу в любое время отозвать это согласие.",
    ("counselling", "ar"): "أوافق على أن تقوم شبكة IQ بحفظ بياناتي ومعالجتها لغرض الاستشارة. "
                           "يمكنني سحب هذه الموافقة في أي وقت.",
    ("referral", "de"): "Ich willige ein, dass meine Angaben an einen anderen Partner des IQ Netzwerks "
                        "weitergegeben werden.",
    ("referral", "en"): "I agree that my details are passed on to another partner of the IQ network.",
    ("email", "de"): "Ich willige ein, per E-Mail kontaktiert zu werden.",
    ("email", "en"): "I agree to be contacted by e-mail.",
}


def upgrade():
    consent_text = op.create_table(
        "consent_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(PURPOSES, name="ck_consent_text_purpose"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("purpose", "version", "language", name="uq_consent_text_version"),
    )
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("text_version", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("given_how", sa.String(length=20), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(PURPOSES, name="ck_consent_purpose"),
        sa.CheckConstraint("given_how IN ('signed_form', 'verbal', 'email')", name="ck_consent_given_how"),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent") as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_partner_id"), ["partner_id"], unique=False)
    seeded = datetime(2026, 12, 1)
    op.bulk_insert(consent_text, [
        {"purpose": purpose, "version": "2026-1", "language": language, "text": text,
         "created_at": seeded, "updated_at": seeded}
        for (purpose, language), text in SEED.items()
    ])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE consent ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE consent FORCE ROW LEVEL SECURITY")
        op.execute("CREATE POLICY partner_scope ON consent "
                   "USING (iq_partner_allowed(partner_id)) WITH CHECK (iq_partner_allowed(partner_id))")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS partner_scope ON consent")
    with op.batch_alter_table("consent") as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_partner_id"))
        batch_op.drop_index(batch_op.f("ix_consent_client_id"))
    op.drop_table("consent")
    op.drop_table("consent_text")
