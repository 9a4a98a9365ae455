"""Referrals between partners with the client's consent (issue 12; app/referrals/).

* ``referral``: both partners' row (from/to partner, offer, reason, status and what it carries to the
  receiver: initials, age band, reference occupation). PostgreSQL: FORCE'd row-level security over
  either side, ``from_partner_id`` or ``to_partner_id`` in ``iq.partner_ids``.
* ``referral_payload``: the sender's snapshot of the agreed fields, owned by the sending partner
  (the ordinary partner policy: the receiver cannot read it).
* ``referral_intake``: the receiver's link to the client and case it created, owned by the receiver.
* ``iq_referral_handover(referral_id)`` and ``iq_referral_consent_states(ids)``: two SECURITY DEFINER
  functions owned by ``iq_referral``, a NOLOGIN role without BYPASSRLS (like ``iq_search``, migration
  c4d5e6f7a8b9), which may read only ``referral`` (id, partners, status), ``referral_payload`` and the
  consent columns needed, through policies for it alone. The first hands the payload (as JSON, without
  the sender's ids) to the
  caller only while the referral is open, addressed to a partner in the caller's ``iq.partner_ids``
  and the origin client's referral consent is unwithdrawn today; the second says per referral of the
  caller (either side) whether that consent still stands (the inbox). Nothing else leaves them.
* ``audit_event``: a second, INSERT-only policy ``referral_sides``: an audit row of a referral may be
  written for either partner of that referral (the referral itself must be visible to the caller), so
  that every step is in both partners' audit trails.

Creating the role needs CREATEROLE (or a superuser); without it the functions are not installed and
accepting a referral on PostgreSQL is refused with a message. SQLite: the tables only.

Revision ID: f1e2d3c4b5a6
Revises: b2c3d4e5f6a7
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "f1e2d3c4b5a6"
down_revision = "b2c3d4e5f6a7"
branch_labels = None
depends_on = None

ONCE = "(SELECT iq_all_partners()) OR partner_id = ANY ((SELECT iq_partner_ids())::integer[])"
SIDES = ("(SELECT iq_all_partners()) OR from_partner_id = ANY ((SELECT iq_partner_ids())::integer[]) "
         "OR to_partner_id = ANY ((SELECT iq_partner_ids())::integer[])")
ROLE = "iq_referral"
CONSENT_OK = """EXISTS (SELECT 1 FROM public.consent c
                 WHERE c.client_id = p.client_id AND c.purpose = 'referral' AND c.given_on <= current_date
                   AND (c.withdrawn_on IS NULL OR c.withdrawn_on > current_date))"""

HANDOVER = f"""
CREATE OR REPLACE FUNCTION iq_referral_handover(p_referral integer)
RETURNS TABLE (consent_ok boolean, payload jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  RETURN QUERY
    SELECT {CONSENT_OK},
           CASE WHEN {CONSENT_OK}
                THEN to_jsonb(p) - 'id' - 'referral_id' - 'partner_id' - 'client_id' - 'case_id' END
      FROM public.referral r JOIN public.referral_payload p ON p.referral_id = r.id
     WHERE r.id = p_referral AND r.status = 'open'
       AND (public.iq_all_partners() OR r.to_partner_id = ANY (public.iq_partner_ids()));
END $f$
"""

CONSENT_STATES = f"""
CREATE OR REPLACE FUNCTION iq_referral_consent_states(p_ids integer[])
RETURNS TABLE (referral_id integer, consent_ok boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  RETURN QUERY
    SELECT r.id, {CONSENT_OK}
      FROM public.referral r JOIN public.referral_payload p ON p.referral_id = r.id
     WHERE r.id = ANY (p_ids)
       AND (public.iq_all_partners() OR r.to_partner_id = ANY (public.iq_partner_ids())
            OR r.from_partner_id = ANY (public.iq_partner_ids()));
END $f$
"""

AUDIT_SIDES = """
CREATE POLICY referral_sides ON audit_event FOR INSERT WITH CHECK (
  table_name = 'referral' AND EXISTS (
    SELECT 1 FROM referral r
     WHERE r.id::text = audit_event.record_id
       AND audit_event.partner_id IN (r.from_partner_id, r.to_partner_id)))
"""


def upgrade():
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("to_partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("offer", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("initials", sa.String(length=8), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("reference_occupation_id", sa.Integer(), sa.ForeignKey("reference_occupation.id"), nullable=True),
        sa.Column("with_case", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'accepted', 'declined', 'withdrawn')", name="ck_referral_status"),
        sa.CheckConstraint("offer IN ('recognition_counselling', 'adaptation_qualification', 'language_course', "
                           "'bridging_course', 'other')", name="ck_referral_offer"),
        sa.CheckConstraint("from_partner_id <> to_partner_id", name="ck_referral_other_partner"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_referral_to_status", "referral", ["to_partner_id", "status"])
    op.create_index("ix_referral_from_status", "referral", ["from_partner_id", "status"])
    op.create_table(
        "referral_payload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referral.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("client.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("counselling_case.id", ondelete="SET NULL"), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=12), nullable=True),
        sa.Column("citizenship", sa.String(length=2), nullable=True),
        sa.Column("second_citizenship", sa.String(length=2), nullable=True),
        sa.Column("country_of_birth", sa.String(length=2), nullable=True),
        sa.Column("residence_state", sa.String(length=8), nullable=True),
        sa.Column("year_of_entry", sa.Integer(), nullable=True),
        sa.Column("residence_status", sa.String(length=20), nullable=True),
        sa.Column("german_level", sa.String(length=8), nullable=True),
        sa.Column("employment_status", sa.String(length=20), nullable=True),
        sa.Column("counselling_language", sa.String(length=8), nullable=True),
        sa.Column("qualification_title", sa.String(length=300), nullable=True),
        sa.Column("qualification_type", sa.String(length=20), nullable=True),
        sa.Column("qualification_country", sa.String(length=2), nullable=True),
        sa.Column("qualification_year", sa.Integer(), nullable=True),
        sa.Column("reference_occupation_id", sa.Integer(), nullable=True),
        sa.Column("regulated", sa.Boolean(), nullable=True),
        sa.Column("legal_basis", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referral_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_referral_payload_partner_id", "referral_payload", ["partner_id"])
    op.create_index("ix_referral_payload_client_id", "referral_payload", ["client_id"])
    op.create_table(
        "referral_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referral.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("client.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("counselling_case.id", ondelete="SET NULL"), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.Column("with_personal_fields", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referral_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_referral_intake_partner_id", "referral_intake", ["partner_id"])
    op.create_index("ix_referral_intake_client_id", "referral_intake", ["client_id"])

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in ("referral", "referral_payload", "referral_intake"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY partner_scope ON referral USING ({SIDES}) WITH CHECK ({SIDES})")
    for table in ("referral_payload", "referral_intake"):
        op.execute(f"CREATE POLICY partner_scope ON {table} USING ({ONCE}) WITH CHECK ({ONCE})")
    op.execute(AUDIT_SIDES)
    _install_handover(bind)


def _install_handover(bind):
    exists = bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar()
    if not exists:
        allowed = bind.execute(text("SELECT rolsuper OR rolcreaterole FROM pg_roles "
                                    "WHERE rolname = current_user")).scalar()
        if not allowed:
            print(f"referrals: role {ROLE} missing and not creatable by {bind.engine.url.username}; "
                  "referrals cannot be accepted on this database until it exists")
            return
        op.execute(f"""
            DO $$ BEGIN
              CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
            EXCEPTION WHEN duplicate_object THEN NULL;
            END $$
        """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT (id, from_partner_id, to_partner_id, status) ON referral TO {ROLE}")
    op.execute(f"GRANT SELECT ON referral_payload TO {ROLE}")
    op.execute(f"GRANT SELECT (partner_id, client_id, purpose, given_on, withdrawn_on) ON consent TO {ROLE}")
    for table in ("referral", "referral_payload", "consent"):
        op.execute(f"DROP POLICY IF EXISTS referral_handover ON {table}")
        op.execute(f"CREATE POLICY referral_handover ON {table} FOR SELECT TO {ROLE} USING (true)")
    op.execute(HANDOVER)
    op.execute(CONSENT_STATES)
    superuser = bind.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    op.execute(f"GRANT CREATE ON SCHEMA public TO {ROLE}")
    if not superuser:
        op.execute(f"GRANT {ROLE} TO current_user")
    op.execute(f"ALTER FUNCTION iq_referral_handover(integer) OWNER TO {ROLE}")
    op.execute(f"ALTER FUNCTION iq_referral_consent_states(integer[]) OWNER TO {ROLE}")
    if not superuser:
        op.execute(f"REVOKE {ROLE} FROM current_user")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {ROLE}")
    # Any role may call them: they answer only for referrals of the caller's own iq.partner_ids.
    op.execute("GRANT EXECUTE ON FUNCTION iq_referral_handover(integer) TO PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION iq_referral_consent_states(integer[]) TO PUBLIC")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS iq_referral_consent_states(integer[])")
        op.execute("DROP FUNCTION IF EXISTS iq_referral_handover(integer)")
        op.execute("DROP POLICY IF EXISTS referral_handover ON consent")
        op.execute("DROP POLICY IF EXISTS referral_sides ON audit_event")
        if bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar():
            op.execute(f"REVOKE ALL ON consent FROM {ROLE}")
    op.drop_table("referral_intake")
    op.drop_table("referral_payload")
    op.drop_table("referral")
