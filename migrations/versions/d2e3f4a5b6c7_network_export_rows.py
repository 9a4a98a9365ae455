"""Network-wide export rows of the read-access log for a client's erasure and Art. 15 report.

An Admin's export has no partner (``access_log.partner_id`` NULL), so row-level security hides its
log row from Staff: a Staff member confirming an erasure could not blank the client's name in its
filter, and the client's Art. 15 report could not list it. Two narrow SECURITY DEFINER functions
(PostgreSQL only; SQLite has no row-level security and reads the rows directly):

* ``iq_redact_network_exports(client_id)`` — only if the caller's ``iq.partner_ids`` covers the
  client's partner, the client is not erased yet and an erasure of it is requested: in the
  network-wide export rows, every query value that names one of the client's text values (names,
  phone, e-mail, district, notes, address, number — read here, never passed in) becomes
  ``[erased]``; nothing else changes (and the table's trigger allows nothing else). Returns rows changed.
* ``iq_network_exports(client_id)`` — only if the caller covers the client's partner: the
  network-wide export rows since the client was recorded (id, time, actor, path, detail).

Both switch ``iq.partner_ids`` to ``all`` for their own statements (the policies are FORCE'd, so
they apply to the owner as well) and restore the caller's value before returning; an error aborts
the caller's (sub)transaction, which undoes the switch as well.

Revision ID: d2e3f4a5b6c7
Revises: a9b0c1d2e3f4
"""
from alembic import op

revision = "d2e3f4a5b6c7"
down_revision = "a9b0c1d2e3f4"
branch_labels = None
depends_on = None

# The client columns whose values an export filter may carry (absent columns give NULL).
TERM_KEYS = ("first_name", "last_name", "phone", "email", "district", "notes", "address",
             "street", "postcode", "city", "client_number")

URL_DECODE = r"""
CREATE OR REPLACE FUNCTION iq_url_decode(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
  s text := replace(coalesce(value, ''), '+', ' ');
  result bytea := '';
  i integer := 1;
BEGIN
  WHILE i <= length(s) LOOP
    IF substr(s, i, 1) = '%' AND substr(s, i + 1, 2) ~ '^[0-9A-Fa-f]{2}$' THEN
      result := result || decode(substr(s, i + 1, 2), 'hex');
      i := i + 3;
    ELSE
      result := result || convert_to(substr(s, i, 1), 'UTF8');
      i := i + 1;
    END IF;
  END LOOP;
  RETURN convert_from(result, 'UTF8');
EXCEPTION WHEN others THEN
  RETURN s;
END $$
"""

# The same rule as app.security.access_log.redacted_detail (pieces kept as they are, only a
# matching value replaced).
REDACTED_DETAIL = r"""
CREATE OR REPLACE FUNCTION iq_redacted_detail(detail text, terms text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, public AS $$
DECLARE
  pos integer := position('?' in coalesce(detail, ''));
  piece text;
  name text;
  lowered text;
  pieces text[] := '{}';
  changed boolean := false;
BEGIN
  IF pos = 0 THEN
    RETURN detail;
  END IF;
  FOREACH piece IN ARRAY string_to_array(substr(detail, pos + 1), '&') LOOP
    IF piece <> '' THEN
      name := split_part(piece, '=', 1);
      lowered := lower(btrim(iq_url_decode(substr(piece, length(name) + 2))));
      IF lowered <> '' AND EXISTS (
          SELECT 1 FROM unnest(terms) term
          WHERE position(term in lowered) > 0 OR (length(lowered) >= 3 AND position(lowered in term) > 0)) THEN
        piece := name || '=[erased]';
        changed := true;
      END IF;
    END IF;
    pieces := pieces || piece;
  END LOOP;
  IF NOT changed THEN
    RETURN detail;
  END IF;
  RETURN left(substr(detail, 1, pos) || array_to_string(pieces, '&'), 500);
END $$
"""

REDACT = r"""
CREATE OR REPLACE FUNCTION iq_redact_network_exports(p_client integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  caller text := current_setting('iq.partner_ids', true);
  caller_all boolean := iq_all_partners();
  caller_ids integer[] := iq_partner_ids();
  person record;
  terms text[];
  entry record;
  replaced text;
  changed integer := 0;
BEGIN
  PERFORM set_config('iq.partner_ids', 'all', true);
  SELECT * INTO person FROM public.client WHERE id = p_client;
  IF NOT FOUND OR NOT (caller_all OR person.partner_id = ANY (caller_ids)) THEN
    RAISE EXCEPTION 'client % is not in the caller''s partners', p_client;
  END IF;
  IF person.erased_at IS NOT NULL THEN
    RAISE EXCEPTION 'client % is already erased', p_client;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.erasure_request r
                 WHERE r.client_id = p_client AND r.confirmed_at IS NULL) THEN
    RAISE EXCEPTION 'no erasure of client % is requested', p_client;
  END IF;
  SELECT array_agg(DISTINCT lower(btrim(v))) INTO terms
    FROM unnest(ARRAY[%(keys)s]) AS k, LATERAL (SELECT to_jsonb(person) ->> k AS v) AS val
   WHERE length(btrim(v)) >= 2;
  IF terms IS NOT NULL THEN
    FOR entry IN SELECT a.id, a.detail FROM public.access_log a
                  WHERE a.partner_id IS NULL AND a.detail IS NOT NULL AND position('?' in a.detail) > 0 LOOP
      replaced := iq_redacted_detail(entry.detail, terms);
      IF replaced IS DISTINCT FROM entry.detail THEN
        UPDATE public.access_log SET detail = replaced WHERE id = entry.id;
        changed := changed + 1;
      END IF;
    END LOOP;
  END IF;
  PERFORM set_config('iq.partner_ids', coalesce(caller, ''), true);
  RETURN changed;
END $$
""".replace("%(keys)s", ", ".join(f"'{k}'" for k in TERM_KEYS))

NETWORK_EXPORTS = r"""
CREATE OR REPLACE FUNCTION iq_network_exports(p_client integer)
RETURNS TABLE (log_id integer, log_at timestamp, log_actor varchar, log_path varchar, log_detail varchar)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  caller text := current_setting('iq.partner_ids', true);
  caller_all boolean := iq_all_partners();
  caller_ids integer[] := iq_partner_ids();
  owner_id integer;
  recorded timestamp;
BEGIN
  PERFORM set_config('iq.partner_ids', 'all', true);
  SELECT c.partner_id, c.created_at INTO owner_id, recorded FROM public.client c WHERE c.id = p_client;
  IF NOT FOUND OR NOT (caller_all OR owner_id = ANY (caller_ids)) THEN
    RAISE EXCEPTION 'client % is not in the caller''s partners', p_client;
  END IF;
  RETURN QUERY SELECT a.id, a.at, a.actor, a.path, a.detail FROM public.access_log a
                WHERE a.partner_id IS NULL AND a.client_id IS NULL AND a.at >= recorded
                ORDER BY a.at, a.id;
  PERFORM set_config('iq.partner_ids', coalesce(caller, ''), true);
END $$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (URL_DECODE, REDACTED_DETAIL, REDACT, NETWORK_EXPORTS):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS iq_network_exports(integer)")
    op.execute("DROP FUNCTION IF EXISTS iq_redact_network_exports(integer)")
    op.execute("DROP FUNCTION IF EXISTS iq_redacted_detail(text, text[])")
    op.execute("DROP FUNCTION IF EXISTS iq_url_decode(text)")
