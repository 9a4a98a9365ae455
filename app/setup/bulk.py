"""Fast bulk writes for generated data: PostgreSQL COPY, elsewhere SQLAlchemy Core executemany.

Bulk writes bypass the ORM (no validation, no audit hooks, no version counter), so callers must
hand over complete and valid rows, including primary keys: ids are reserved up front with
``next_id`` so that child rows can refer to their parents without a round trip per row.
"""
from itertools import islice

from sqlalchemy import func, select, text


class BulkWriter:
    def __init__(self, connection, batch_size=5000):
        self.connection = connection
        self.batch_size = batch_size
        self.postgres = connection.dialect.name == "postgresql"

    def next_id(self, table):
        """The first free id of ``table`` (rows are written with explicit ids)."""
        return (self.connection.scalar(select(func.max(table.c.id))) or 0) + 1

    def write(self, table, columns, rows):
        """Write ``rows`` (tuples in the order of ``columns``); returns the number of rows."""
        if self.postgres and self._copy_allowed(table):
            return self._copy(table, columns, rows)
        count = 0
        rows = iter(rows)
        while True:
            batch = [dict(zip(columns, row)) for row in islice(rows, self.batch_size)]
            if not batch:
                return count
            self.connection.execute(table.insert(), batch)
            count += len(batch)

    def _copy_allowed(self, table):
        """PostgreSQL refuses COPY FROM where row-level security applies to the current role
        (FORCE makes it apply to the owner too); such tables get INSERTs, which the policies check."""
        return not self.connection.scalar(text(
            "SELECT c.relrowsecurity AND (c.relforcerowsecurity OR c.relowner <> r.oid)"
            " AND NOT (r.rolsuper OR r.rolbypassrls)"
            " FROM pg_class c, pg_roles r WHERE c.oid = to_regclass(:name) AND r.rolname = current_user"
        ), {"name": table.name})

    def _copy(self, table, columns, rows):
        quote = self.connection.dialect.identifier_preparer.quote
        statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        raw = self.connection.connection.driver_connection
        count = 0
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def finish(self, tables):
        """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
        if not self.postgres:
            return
        for table in tables:
            self.connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            ))

    def analyse(self, tables):
        """Fresh planner statistics after a large load (PostgreSQL)."""
        if self.postgres:
            for table in tables:
                self.connection.execute(text(f"ANALYZE {table.name}"))
