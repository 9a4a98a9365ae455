"""Text search under row-level security: a SECURITY DEFINER search function (PostgreSQL only).

With FORCE'd row-level security PostgreSQL evaluates the policy before any qual that is not
LEAKPROOF; ``ILIKE`` (``texticlike``) is not, so the trigram indexes are never used and a
"contains" search scans every row of the partner's (or the network's) table: 0.3-0.7 s at 1M cases.

``iq_text_search(target, pattern)`` returns the ids of the rows whose column ``target`` (one of a
fixed list) matches ``pattern`` with ILIKE, restricted by the same ``iq.partner_ids`` setting and
the same rule as the ``partner_scope`` policies (``iq_all_partners()`` / ``iq_partner_ids()``): a
session that set no scope gets nothing. It runs as ``iq_search``, a NOLOGIN role without
BYPASSRLS and without superuser rights, which may read only the id, partner and searched columns
of ``client`` and ``counselling_case`` and for which alone a permissive policy ``USING (true)``
exists: for it the policy quals fold to ``true``, so the planner may use the trigram index, and the
partner restriction is the function's own ``WHERE``. Nobody logs in as ``iq_search`` and no other
role is made a member of it. The ids go back into the caller's query, which still runs under the
caller's row-level security and ORM scope: a row of another partner can neither be found nor shown.

Creating a role needs CREATEROLE (or a superuser); without it the function is not installed and
the application keeps the plain ILIKE search (correct, only slower). SQLite: nothing to do.

Revision ID: c4d5e6f7a8b9
Revises: d2e3f4a5b6c7
"""
from alembic import op
from sqlalchemy import text

revision = "c4d5e6f7a8b9"
down_revision = "d2e3f4a5b6c7"
branch_labels = None
depends_on = None

ROLE = "iq_search"
#: target -> (table, column); the function refuses anything else.
TARGETS = {
    "counselling_case.qualification_title": ("counselling_case", "qualification_title"),
    "client.client_number": ("client", "client_number"),
    "client.last_name": ("client", "last_name"),
    "client.first_name": ("client", "first_name"),
}


def _may_create_role(bind):
    row = bind.execute(text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar()
    return bool(row)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    exists = bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar()
    if not exists:
        if not _may_create_role(bind):
            print(f"text search: role {ROLE} missing and not creatable by {bind.engine.url.username}; "
                  "plain ILIKE search stays in use")
            return
        op.execute(f"""
            DO $$ BEGIN
              CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
            EXCEPTION WHEN duplicate_object THEN NULL;  -- created meanwhile for another database
            END $$
        """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    columns = {}
    for table, column in TARGETS.values():
        columns.setdefault(table, ["id", "partner_id"]).append(column)
    for table, names in columns.items():
        op.execute(f"GRANT SELECT ({', '.join(names)}) ON {table} TO {ROLE}")
        op.execute(f"DROP POLICY IF EXISTS text_search ON {table}")
        op.execute(f"CREATE POLICY text_search ON {table} FOR SELECT TO {ROLE} USING (true)")
    cases = "\n".join(f"    WHEN '{target}' THEN tbl := '{table}'; col := '{column}';"
                      for target, (table, column) in TARGETS.items())
    op.execute(f"""
        CREATE OR REPLACE FUNCTION iq_text_search(target text, pattern text) RETURNS SETOF integer
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $f$
        DECLARE tbl text; col text;
        BEGIN
          CASE target
{cases}
            ELSE RAISE EXCEPTION 'iq_text_search: unknown target %', target;
          END CASE;
          -- The partner_scope policies' rule, stated here for the rows this function reads.
          IF public.iq_all_partners() THEN
            RETURN QUERY EXECUTE format('SELECT id FROM public.%I WHERE %I ILIKE $1', tbl, col)
              USING pattern;
          ELSE
            RETURN QUERY EXECUTE format('SELECT id FROM public.%I WHERE partner_id = ANY ($2) AND %I ILIKE $1',
                                        tbl, col)
              USING pattern, public.iq_partner_ids();
          END IF;
        END
        $f$
    """)
    # The owner becomes iq_search: ALTER ... OWNER needs membership in the new owner and its CREATE
    # right on the schema, both only for this statement.
    superuser = bind.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    op.execute(f"GRANT CREATE ON SCHEMA public TO {ROLE}")
    if not superuser:
        op.execute(f"GRANT {ROLE} TO current_user")
    op.execute(f"ALTER FUNCTION iq_text_search(text, text) OWNER TO {ROLE}")
    if not superuser:
        op.execute(f"REVOKE {ROLE} FROM current_user")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {ROLE}")
    # Any role may call it: it returns only ids of the rows the caller's own iq.partner_ids opens,
    # exactly those its row-level security would show (a session without a scope gets nothing).
    op.execute("GRANT EXECUTE ON FUNCTION iq_text_search(text, text) TO PUBLIC")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS iq_text_search(text, text)")
    for table in {table for table, _column in TARGETS.values()}:
        op.execute(f"DROP POLICY IF EXISTS text_search ON {table}")
        if bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar():
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    # The role is cluster-wide (other databases may use it): it stays.
