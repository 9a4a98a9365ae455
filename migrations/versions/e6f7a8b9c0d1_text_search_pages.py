"""Text search under row-level security, part 3: the page and a capped count inside the function.

``iq_text_search`` (c4d5e6f7a8b9) returns every match, and the list then joins them all back,
sorts them and counts them: at 1M cases "Master%" has 50,000 matches network-wide (the function
alone 180 ms), "%electri%" 23,700. ``iq_text_page(target, pattern, order_by, descending, skip,
take, cap)`` returns one page of ids in the list's order, each row with the number of matches
counted up to ``cap + 1`` (``exact`` false beyond ``cap``), and one row with a NULL id when the page
is empty. It picks the plan itself, because as ``iq_search`` the planner may not read the column
statistics (the table has row-level security and ILIKE is not LEAKPROOF, so every pattern is
estimated at the default selectivity and the choice between the two plans is wrong either way):

- the count always through the trigram index (a bitmap scan that stops after ``cap + 1`` rows);
- more than ``cap`` matches: the page by walking the list's order index (``(partner_id,
  opened_on, id)`` for one partner, ``(opened_on, id)`` network-wide) and testing ILIKE row by row,
  at most ``budget`` rows (a frequent pattern fills its first pages within a few thousand);
- at most ``cap`` matches, the walk's budget ran out (a moderately rare pattern, a deep page), or
  a scope of several (not all) partners, whose rows no index holds in the list's order: the page
  from the trigram matches, sorted.

The two helpers carry the planner settings that force each plan (``SET`` on the function lasts its
call only); they run with their caller's rights and only ``iq_search`` may call them. Orders: ``id``,
and ``opened_on`` (then ``id``) for cases; anything else is refused (the application then uses
``iq_text_search``). The partner rule is the policies' own, as in ``iq_text_search``; one partner is
written as ``partner_id = n`` so that the order index is walked in order.

``ix_case_client_opened`` gets ``id`` in its INCLUDE: the case list's client filter ("name or
number starts with") reads the matching clients' cases (``client_id = ANY``) for its page and its
count from the index alone; with the heap fetches the page of "Hamd" (3,046 clients, 15,055 cases
network-wide) took 70-300 ms, index-only 25-35 ms. The summary's per-client passes read the same index
(one more column, still index-only). PostgreSQL only, also where the functions are skipped.

The functions are skipped where ``iq_text_search`` was not installed (no ``iq_search`` role): the application then
keeps the plain ILIKE. SQLite: nothing to do.

Revision ID: e6f7a8b9c0d1
Revises: c5d6e7f8a9b0
"""
from alembic import op
from sqlalchemy import text

revision = "e6f7a8b9c0d1"
down_revision = "c5d6e7f8a9b0"
branch_labels = None
depends_on = None

ROLE = "iq_search"
ARGS = "text, text, text, boolean, integer, integer, integer"
PAGE_ARGS = ARGS + ", integer"

QUERY = """
CREATE OR REPLACE FUNCTION iq_text_query(target text, pattern text, order_by text, descending boolean,
                                         skip integer, take integer, budget integer)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE tbl text; col text; scope text; ids integer[]; ordering text := ''; keys text := 'id';
        direction text := CASE WHEN descending THEN 'DESC' ELSE 'ASC' END;
BEGIN
  CASE target
    WHEN 'counselling_case.qualification_title' THEN tbl := 'counselling_case'; col := 'qualification_title';
    WHEN 'client.client_number' THEN tbl := 'client'; col := 'client_number';
    WHEN 'client.last_name' THEN tbl := 'client'; col := 'last_name';
    WHEN 'client.first_name' THEN tbl := 'client'; col := 'first_name';
    ELSE RAISE EXCEPTION 'iq_text_search: unknown target %', target;
  END CASE;
  -- The partner_scope policies' rule (a session without a scope gets nothing).
  IF public.iq_all_partners() THEN
    scope := 'true';
  ELSE
    ids := public.iq_partner_ids();
    scope := CASE WHEN cardinality(ids) = 1 THEN format('partner_id = %s', ids[1])
                  ELSE format('partner_id = ANY (%L::integer[])', ids) END;
  END IF;
  IF order_by = 'id' THEN
    ordering := ' ORDER BY id ' || direction;
  ELSIF order_by = 'opened_on' AND tbl = 'counselling_case' THEN
    ordering := format(' ORDER BY opened_on %s, id %s', direction, direction);
    keys := 'id, opened_on';
  ELSIF order_by IS NOT NULL THEN
    RAISE EXCEPTION 'iq_text_search: unknown order %', order_by;
  END IF;
  -- Literals, not parameters: the planner sees the pattern (which trigrams) and the limit.
  IF budget IS NOT NULL THEN  -- at most the first `budget` rows in the list's order are tested
    RETURN format('SELECT id FROM (SELECT %s, %I FROM public.%I WHERE %s%s LIMIT %s) walked WHERE %I ILIKE %L%s '
                  'LIMIT %s OFFSET %s', keys, col, tbl, scope, ordering, budget, col, pattern, ordering,
                  coalesce(take::text, 'ALL'), greatest(skip, 0));
  END IF;
  RETURN format('SELECT id FROM public.%I WHERE %s AND %I ILIKE %L%s LIMIT %s OFFSET %s',
                tbl, scope, col, pattern, ordering, coalesce(take::text, 'ALL'), greatest(skip, 0));
END $f$
"""

HELPER = """
CREATE OR REPLACE FUNCTION {name}(target text, pattern text, order_by text, descending boolean,
                                  skip integer, take integer, budget integer)
RETURNS SETOF integer LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp {settings} AS $f$
BEGIN
  RETURN QUERY EXECUTE public.iq_text_query(target, pattern, order_by, descending, skip, take, budget);
END $f$
"""
HELPERS = {
    "iq_text_by_trigrams": "SET enable_seqscan = off SET enable_indexscan = off",
    "iq_text_in_order": "SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off",
}

PAGE = """
CREATE OR REPLACE FUNCTION iq_text_page(target text, pattern text, order_by text, descending boolean,
                                        skip integer, take integer, cap integer, budget integer)
RETURNS TABLE (id integer, total bigint, exact boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$
DECLARE n bigint; shown bigint; walked integer[];
BEGIN
  SELECT count(*) INTO n FROM public.iq_text_by_trigrams(target, pattern, NULL, false, 0, cap + 1, NULL);
  -- A frequent pattern: walk the order index, at most `budget` rows; a full page ends the search.
  -- (Only for one partner or all: for several the index gives no single order to walk.)
  IF n > cap AND (public.iq_all_partners() OR cardinality(public.iq_partner_ids()) = 1) THEN
    SELECT array_agg(w.p ORDER BY w.o) INTO walked
      FROM public.iq_text_in_order(target, pattern, order_by, descending, skip, take, budget)
           WITH ORDINALITY AS w(p, o);
    IF cardinality(walked) = take THEN
      RETURN QUERY SELECT u.p, n, false FROM unnest(walked) WITH ORDINALITY AS u(p, o) ORDER BY u.o;
      RETURN;
    END IF;
  END IF;
  -- Few matches, a deep page, or the walk's budget ran out: the page from the trigram matches, sorted.
  RETURN QUERY SELECT p, n, n <= cap
    FROM public.iq_text_by_trigrams(target, pattern, order_by, descending, skip, take, NULL) p;
  GET DIAGNOSTICS shown = ROW_COUNT;
  IF shown = 0 THEN
    RETURN QUERY SELECT NULL::integer, n, n <= cap;
  END IF;
END $f$
"""


def _installed(bind):
    return bind.execute(text("SELECT to_regprocedure('public.iq_text_search(text, text)') IS NOT NULL")).scalar()


def _client_index(include):
    op.drop_index("ix_case_client_opened", table_name="counselling_case")
    op.create_index("ix_case_client_opened", "counselling_case", ["client_id", "opened_on"],
                    postgresql_include=include)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _client_index(["partner_id", "age_band", "id"])
    if not _installed(bind):
        return
    op.execute(f"GRANT SELECT (opened_on) ON counselling_case TO {ROLE}")
    op.execute(QUERY)
    for name, settings in HELPERS.items():
        op.execute(HELPER.format(name=name, settings=settings))
    op.execute(PAGE)
    for name in ("iq_text_query", *HELPERS):
        op.execute(f"REVOKE EXECUTE ON FUNCTION {name}({ARGS}) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}({ARGS}) TO {ROLE}")
    # Owned by iq_search, as iq_text_search (see migration c4d5e6f7a8b9 for the rights this needs).
    superuser = bind.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    op.execute(f"GRANT CREATE ON SCHEMA public TO {ROLE}")
    if not superuser:
        op.execute(f"GRANT {ROLE} TO current_user")
    op.execute(f"ALTER FUNCTION iq_text_page({PAGE_ARGS}) OWNER TO {ROLE}")
    if not superuser:
        op.execute(f"REVOKE {ROLE} FROM current_user")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {ROLE}")
    # Ids of the caller's own iq.partner_ids only, as iq_text_search.
    op.execute(f"GRANT EXECUTE ON FUNCTION iq_text_page({PAGE_ARGS}) TO PUBLIC")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _client_index(["partner_id", "age_band"])
    op.execute(f"DROP FUNCTION IF EXISTS iq_text_page({PAGE_ARGS})")
    for name in (*HELPERS, "iq_text_query"):
        op.execute(f"DROP FUNCTION IF EXISTS {name}({ARGS})")
    if bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar():
        op.execute(f"REVOKE SELECT (opened_on) ON counselling_case FROM {ROLE}")
