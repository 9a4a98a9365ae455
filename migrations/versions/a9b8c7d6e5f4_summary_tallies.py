"""Tallies of the management summary (app/reports/models.py), maintained by triggers and filled
from the existing cases and contacts.

Per case seven rows (country, occupation × competent body, qualification type × regulated,
enquirer, referral source, outcome, notice) and per contact one (kind × channel) are counted per
partner and month, in the writing transaction. PostgreSQL: statement triggers with transition
tables add each statement's net change in one upsert, in key order (a row trigger cost 0.33 ms per
case, 50,000 cases took 16 s more; now a COPY of them about a second more); an UPDATE that changes
no counted column (the erasure empties text columns only) nets to nothing and writes nothing. They
run under the writer's row-level security (the policy is that of trainings: readable over the
aggregate set, writable over the personal one, which is where the case itself is written).
SQLite: row triggers with the same upserts; its UPDATE trigger fires only when a counted column
changes.

Revision ID: a9b8c7d6e5f4
Revises: f3a4b5c6d7e8
"""
import sqlalchemy as sa
from alembic import op

revision = "a9b8c7d6e5f4"
down_revision = "f3a4b5c6d7e8"
branch_labels = None
depends_on = None

# The counted columns and how each becomes text; kept here (not imported) so the migration stays
# as it was applied.
CASE_KINDS = {
    "country": ("qualification_country", None),
    "occupation": ("reference_occupation_id", "competent_body_id"),
    "qualification": ("qualification_type", "regulated"),
    "enquirer": ("enquirer", None),
    "referral": ("referral_source", None),
    "outcome": ("outcome", None),
    "notice": ("notice_result", None),
}
CONTACT_KINDS = {"contact": ("kind", "channel")}
NUMERIC = {"reference_occupation_id", "competent_body_id"}
CASE_COLUMNS = ["partner_id", "opened_on"] + sorted({c for pair in CASE_KINDS.values() for c in pair if c})
CONTACT_COLUMNS = ["partner_id", "date", "kind", "channel"]

PERSONAL = "(SELECT iq_all_partners()) OR partner_id = ANY ((SELECT iq_partner_ids())::integer[])"
AGGREGATE = "(SELECT iq_all_aggregate()) OR partner_id = ANY ((SELECT iq_aggregate_ids())::integer[])"


def _text(row, column):
    if column is None:
        return "''"
    if column == "regulated":
        return f"CASE WHEN {row}.regulated THEN 't' WHEN NOT {row}.regulated THEN 'f' ELSE '' END"
    if column in NUMERIC:
        return f"coalesce(CAST({row}.{column} AS VARCHAR), '')"
    return f"coalesce({row}.{column}, '')"


def _month(dialect, expression):
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', CAST({expression} AS timestamp)) AS date)"
    return f"date({expression}, 'start of month')"


def _values(dialect, row, kinds, date_column, delta):
    month = _month(dialect, f"{row}.{date_column}")
    return ", ".join(f"('{kind}', {row}.partner_id, {month}, {_text(row, a)}, {_text(row, b)}, {delta})"
                     for kind, (a, b) in kinds.items())


def _upsert(dialect, row, kinds, date_column, delta):
    sql = (f"INSERT INTO summary_tally AS t (kind, partner_id, month, a, b, n) VALUES "
           f"{_values(dialect, row, kinds, date_column, delta)} "
           f"ON CONFLICT (kind, partner_id, month, a, b) DO UPDATE SET n = t.n + excluded.n")
    if dialect == "sqlite":
        sql = sql.replace("summary_tally AS t", "summary_tally").replace("t.n +", "summary_tally.n +")
    return sql


def _drop_empty(dialect, row, kinds, date_column):
    return (f"DELETE FROM summary_tally WHERE n = 0 AND partner_id = {row}.partner_id "
            f"AND month = {_month(dialect, f'{row}.{date_column}')} AND kind IN ({', '.join(repr(k) for k in kinds)})")


def _rows(columns, transition, delta):
    return f"SELECT {', '.join(columns)}, {delta} AS d FROM {transition}"


def _statement_upsert(kinds, date_column, source):
    """PostgreSQL: the net change of one statement's rows (a transition table), in key order."""
    values = ", ".join(f"('{kind}', {_text('r', a)}, {_text('r', b)})" for kind, (a, b) in kinds.items())
    return (f"INSERT INTO summary_tally AS t (kind, partner_id, month, a, b, n) "
            f"SELECT v.kind, r.partner_id, {_month('postgresql', f'r.{date_column}')}, v.a, v.b, sum(r.d) "
            f"FROM ({source}) r CROSS JOIN LATERAL (VALUES {values}) AS v(kind, a, b) "
            f"GROUP BY 1, 2, 3, 4, 5 HAVING sum(r.d) <> 0 ORDER BY 1, 2, 3, 4, 5 "
            f"ON CONFLICT (kind, partner_id, month, a, b) DO UPDATE SET n = t.n + excluded.n")


TABLES = {"counselling_case": (CASE_KINDS, "opened_on", CASE_COLUMNS, "case"),
          "contact": (CONTACT_KINDS, "date", CONTACT_COLUMNS, "contact")}


def _changed(columns):
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def upgrade():
    op.create_table(
        "summary_tally",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("a", sa.String(40), nullable=False),
        sa.Column("b", sa.String(40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "partner_id", "month", "a", "b", name="pk_summary_tally"),
    )
    dialect = op.get_bind().dialect.name
    for table, (kinds, date_column, columns, short) in TABLES.items():
        if dialect == "postgresql":
            for event, source in (("insert", _rows(columns, "new_rows", 1)), ("delete", _rows(columns, "old_rows", -1)),
                                  ("update", f"{_rows(columns, 'new_rows', 1)} UNION ALL {_rows(columns, 'old_rows', -1)}")):
                body = _statement_upsert(kinds, date_column, source)
                if event != "insert":
                    body += (f"; DELETE FROM summary_tally WHERE n = 0 AND kind IN ({', '.join(repr(k) for k in kinds)}) "
                             f"AND (partner_id, month) IN (SELECT r.partner_id, {_month(dialect, f'r.{date_column}')} "
                             f"FROM ({_rows(columns, 'old_rows', -1)}) r)")
                op.execute(f"""
                    CREATE FUNCTION iq_tally_{short}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN {body}; RETURN NULL; END $$""")
                tables = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                          "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]
                op.execute(f"CREATE TRIGGER {short}_tally_{event} AFTER {event.upper()} ON {table} "
                           f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION iq_tally_{short}_{event}()")
        else:
            op.execute(f"CREATE TRIGGER {short}_tally_insert AFTER INSERT ON {table} BEGIN "
                       f"{_upsert(dialect, 'NEW', kinds, date_column, 1)}; END")
            op.execute(f"CREATE TRIGGER {short}_tally_delete AFTER DELETE ON {table} BEGIN "
                       f"{_upsert(dialect, 'OLD', kinds, date_column, -1)}; "
                       f"{_drop_empty(dialect, 'OLD', kinds, date_column)}; END")
            op.execute(f"CREATE TRIGGER {short}_tally_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                       f"WHEN {_changed(columns)} BEGIN "
                       f"{_upsert(dialect, 'OLD', kinds, date_column, -1)}; "
                       f"{_drop_empty(dialect, 'OLD', kinds, date_column)}; "
                       f"{_upsert(dialect, 'NEW', kinds, date_column, 1)}; END")
        # The existing rows, counted once.
        for kind, (a, b) in kinds.items():
            month = _month(dialect, date_column)
            op.execute(
                f"INSERT INTO summary_tally (kind, partner_id, month, a, b, n) "
                f"SELECT '{kind}', partner_id, {month}, {_text(table, a)}, {_text(table, b)}, count(*) "
                f"FROM {table} GROUP BY 2, 3, 4, 5")
    if dialect == "postgresql":
        op.execute("ALTER TABLE summary_tally ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE summary_tally FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY partner_scope ON summary_tally USING ({AGGREGATE} OR {PERSONAL}) "
                   f"WITH CHECK ({PERSONAL})")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table, (_kinds, _date, _columns, short) in TABLES.items():
        for event in ("insert", "delete", "update"):
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {short}_tally_{event} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS iq_tally_{short}_{event}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {short}_tally_{event}")
    op.drop_table("summary_tally")
