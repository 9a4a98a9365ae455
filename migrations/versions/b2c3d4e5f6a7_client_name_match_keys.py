"""Duplicate hints across partners (issue 12): stored name match keys, their index, and on
PostgreSQL the lookup function that works under row-level security.

``client.name_key`` and ``client.name_skeleton`` hold ``app.clients.duplicates.match_keys`` of the
client's names (``Client.validate()`` keeps them up to date on every write; the erasure blanks
them). Existing rows get them here, computed in Python in batches of 1,000 by id (the keys depend
on the transliteration tables, which SQL does not have); if the key definition changes, a new
migration must compute them again. Index ``(birth_date, name_key)``: the lookup reads one birth
date (a handful of rows network-wide).

PostgreSQL: Staff cannot see other partners' clients (row-level security), so the lookup is
``iq_duplicate_partners(birth, key, skeleton_a, skeleton_b, partner)``, a SECURITY DEFINER function
that returns only the ids of the OTHER partners (not ``partner``) having a client born that day
whose key equals ``key`` or whose skeleton is one of the two; the whole comparison is an equality
in SQL, so no name, key, date or client id leaves the database. It answers nothing unless the
session's scope (``iq.partner_ids``) includes ``partner`` (or is 'all'), so it cannot be asked on
behalf of a partner the caller does not work for. It runs as ``iq_match``, a NOLOGIN role without
BYPASSRLS or superuser rights that may read only ``id, partner_id, birth_date, name_key,
name_skeleton`` of ``client`` and for which alone a permissive policy ``USING (true)`` exists (the
pattern of ``iq_text_search``, migration c4d5e6f7a8b9). Nobody logs in as ``iq_match`` and no role is
made a member of it. Without CREATEROLE the function is not installed and no cross-partner hints
are given (the application then runs the plain query, which row-level security limits to the
caller's own partners). SQLite: columns, index and backfill only.

Revision ID: b2c3d4e5f6a7
Revises: a0b1c2d3e4f5
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "b2c3d4e5f6a7"
down_revision = "a0b1c2d3e4f5"
branch_labels = None
depends_on = None

ROLE = "iq_match"
COLUMNS = ("id", "partner_id", "birth_date", "name_key", "name_skeleton")
BATCH = 1000
SIGNATURE = "iq_duplicate_partners(date, text, text, text, integer)"


def _backfill(bind):
    from app.clients.duplicates import match_keys

    client = sa.table("client", sa.column("id", sa.Integer), sa.column("first_name", sa.String),
                      sa.column("last_name", sa.String), sa.column("name_key", sa.String),
                      sa.column("name_skeleton", sa.String))
    update = (client.update().where(client.c.id == sa.bindparam("row_id"))
              .values(name_key=sa.bindparam("key"), name_skeleton=sa.bindparam("skeleton")))
    last = 0
    while True:
        rows = bind.execute(sa.select(client.c.id, client.c.first_name, client.c.last_name)
                            .where(client.c.id > last,
                                   sa.or_(client.c.first_name.is_not(None), client.c.last_name.is_not(None)))
                            .order_by(client.c.id).limit(BATCH)).all()
        if not rows:
            return
        values = []
        for row_id, first_name, last_name in rows:
            keys = match_keys(first_name, last_name)
            values.append({"row_id": row_id, "key": keys.key, "skeleton": keys.skeleton})
        bind.execute(update, values)
        last = rows[-1][0]


def _may_create_role(bind):
    return bool(bind.execute(text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"))
                .scalar())


def _install_function(bind):
    exists = bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar()
    if not exists:
        if not _may_create_role(bind):
            print(f"duplicate hints: role {ROLE} missing and not creatable by {bind.engine.url.username}; "
                  "no hints across partners")
            return
        op.execute(f"""
            DO $$ BEGIN
              CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
            EXCEPTION WHEN duplicate_object THEN NULL;  -- created meanwhile for another database
            END $$
        """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT ({', '.join(COLUMNS)}) ON client TO {ROLE}")
    op.execute("DROP POLICY IF EXISTS duplicate_match ON client")
    op.execute(f"CREATE POLICY duplicate_match ON client FOR SELECT TO {ROLE} USING (true)")
    op.execute("""
        CREATE OR REPLACE FUNCTION iq_duplicate_partners(p_birth date, p_key text, p_skeleton_a text,
                                                         p_skeleton_b text, p_partner integer)
        RETURNS SETOF integer
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $f$
          SELECT DISTINCT c.partner_id FROM public.client c
          WHERE c.birth_date = p_birth AND c.partner_id <> p_partner
            AND (c.name_key = p_key OR c.name_skeleton = p_skeleton_a OR c.name_skeleton = p_skeleton_b)
            -- Only on behalf of a partner of the caller's own scope (none without a scope).
            AND (public.iq_all_partners() OR p_partner = ANY (public.iq_partner_ids()))
        $f$
    """)
    superuser = bind.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    op.execute(f"GRANT CREATE ON SCHEMA public TO {ROLE}")
    if not superuser:
        op.execute(f"GRANT {ROLE} TO current_user")
    op.execute(f"ALTER FUNCTION {SIGNATURE} OWNER TO {ROLE}")
    if not superuser:
        op.execute(f"REVOKE {ROLE} FROM current_user")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {ROLE}")
    # Any role may call it: it answers partner ids only, for a partner of the caller's scope.
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO PUBLIC")


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    op.add_column("client", sa.Column("name_key", sa.String(length=200), nullable=True))
    op.add_column("client", sa.Column("name_skeleton", sa.String(length=200), nullable=True))
    if postgresql:
        op.execute("SELECT set_config('iq.partner_ids', 'all', true)")  # FORCE'd row-level security
    _backfill(bind)
    op.create_index("ix_client_birth_date_name_key", "client", ["birth_date", "name_key"])
    if postgresql:
        _install_function(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
        op.execute("DROP POLICY IF EXISTS duplicate_match ON client")
        if bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar():
            op.execute(f"REVOKE ALL ON client FROM {ROLE}")
        # The role is cluster-wide (other databases may use it): it stays.
    op.drop_index("ix_client_birth_date_name_key", table_name="client")
    with op.batch_alter_table("client") as batch:
        batch.drop_column("name_skeleton")
        batch.drop_column("name_key")
