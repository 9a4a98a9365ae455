"""Text search that keeps the database-side scope and still uses the trigram indexes (issue 10).

On PostgreSQL with FORCE'd row-level security, ``col ILIKE pattern`` is evaluated after the policy
(``texticlike`` is not LEAKPROOF), so the trigram indexes are never used. ``text_match()`` states the
same condition as ``pk IN (SELECT id FROM iq_text_search(target, pattern))``: a SECURITY DEFINER
function (migration ``c4d5e6f7a8b9``) that reads the searched column with the trigram index and
restricts the rows itself by the session's ``iq.partner_ids``, with the policies' own rule. The
statement around it still runs under the caller's row-level security and ORM scope, so only ids
are exchanged and no row of another partner can come back. The pattern is passed unchanged: the
function's ILIKE is the plain filter's ILIKE (same wildcards, backslash as escape character).

SQLite, and a PostgreSQL database without the function (its migration could not create the
``iq_search`` role), keep the plain ``ILIKE``.
"""
from flask import g, has_app_context
from sqlalchemy import func, select, text

#: (table, column) pairs the function searches (the same list as its migration).
TARGETS = {("counselling_case", "qualification_title"), ("client", "client_number"), ("client", "last_name"),
           ("client", "first_name")}

_installed = {}  # database URL -> the function exists


def _function_installed(session):
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    key = str(bind.url)
    if key not in _installed:
        _installed[key] = bool(session.execute(
            text("SELECT to_regprocedure('public.iq_text_search(text, text)') IS NOT NULL")).scalar())
    return _installed[key]


def forget_installation():
    """After migrations changed the schema (tests that downgrade and upgrade)."""
    _installed.clear()


def _target(column):
    prop = getattr(column, "property", None)
    columns = getattr(prop, "columns", None)
    if not columns:
        return None
    table = getattr(columns[0], "table", None)
    name = (getattr(table, "name", None), columns[0].name)
    return name if name in TARGETS else None


def uses_search_function(session, column):
    return _target(column) is not None and _function_installed(session)


def text_match(column, pattern, escape=None):
    """``column ILIKE pattern`` (``escape``: None or a backslash, PostgreSQL's default either way),
    through ``iq_text_search`` on PostgreSQL for the columns it serves."""
    from app.extensions import db

    target = _target(column)
    if target is None or (escape not in (None, "\\")) or not _function_installed(db.session):
        return column.ilike(pattern, escape=escape) if escape else column.ilike(pattern)
    return column.class_.id.in_(select(_found(".".join(target), pattern).c.id))


def matching_ids(column, pattern, escape=None):
    """The ids of the rows of ``column``'s table that ``text_match`` accepts, as a SELECT to combine
    with UNION / INTERSECT (the function's CTE, or the plain scoped ILIKE)."""
    from app.extensions import db

    target = _target(column)
    if target is None or (escape not in (None, "\\")) or not _function_installed(db.session):
        plain = column.ilike(pattern, escape=escape) if escape else column.ilike(pattern)
        return select(column.class_.id).where(plain)
    return select(_found(".".join(target), pattern).c.id)


def _found(target, pattern):
    """The function's ids as a ``MATERIALIZED`` CTE, one per (target, pattern) and request.

    A list reads its page and its (capped) total in one statement, and both contain the filter:
    with the same CTE object SQLAlchemy renders it once at the top of the statement, so the
    function runs once per list instead of twice."""
    memo = g.setdefault("_iq_text_search", {}) if has_app_context() else {}
    found = memo.get((target, pattern))
    if found is None:
        rows = func.iq_text_search(target, pattern).table_valued("id").render_derived()
        found = memo[(target, pattern)] = (select(rows.c.id).cte(f"iq_found_{len(memo) + 1}")
                                           .prefix_with("MATERIALIZED"))
    return found
