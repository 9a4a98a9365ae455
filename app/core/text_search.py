"""Text search that keeps the database-side scope and still uses the trigram indexes (issue 10).

On PostgreSQL with FORCE'd row-level security, ``col ILIKE pattern`` is evaluated after the policy
(``texticlike`` is not LEAKPROOF), so the trigram indexes are never used. ``text_match()`` states the
same condition as ``pk IN (SELECT id FROM iq_text_search(target, pattern))``: a SECURITY DEFINER
function (migration ``c4d5e6f7a8b9``) that reads the searched column with the trigram index and
restricts the rows itself by the session's ``iq.partner_ids``, with the policies' own rule. The
statement around it still runs under the caller's row-level security and ORM scope, so only ids
are exchanged and no row of another partner can come back. The pattern is passed unchanged: the
function's ILIKE is the plain filter's ILIKE (same wildcards, backslash as escape character).

A list filtered by one text filter alone (the common search: "title contains 'electri'") does
not join the matches back: ``search_page`` reads the page's ids and the total in one call of
``iq_text_page`` (migration ``e6f7a8b9c0d1``), which sorts and pages inside the function and
counts the matches only up to ``SEARCH_EXACT_UP_TO``; beyond, the list says "more than N"
(``MoreThanCount``, never fewer than the rows up to this page; the last page is exact). Every
other text search (with more filters, or the case list's client filter) keeps ``text_match`` and
the same capped count. Why, measured at 1M cases (Staff of one partner, 179k cases; Admin all): a
frequent pattern has tens of thousands of matches ("Master%" 50,059 network-wide, 8,893 for the
partner); merely listing them through the trigram index costs 55-210 ms, joining them back and
sorting as much again, and an exact count to 10,000 pays all of it. Counting to 1,000 through the
trigram index stops after 1,001 rows (10-25 ms), and a pattern that frequent fills its first page
by walking the list's order index with ILIKE in a few thousand rows (at most ``WALK_BUDGET``); a
rare one, or a deep page, is sorted from its trigram matches. The function chooses between the two
itself, because its planner cannot (see the migration). Left out: PostgreSQL's estimate ("about N")
of a pattern - the search role may not read the column's statistics under row-level security, so
every pattern is estimated alike; full-text search - it finds words, not the substrings and
prefixes the filters promise; covering indexes for the title - a GIN index cannot return a row
(only the client filter's case lookup became index-only: ``id`` in ``ix_case_client_opened``). The
ids still come back through the ORM statement (row-level security and the ORM scope on the joined
table), so a row of another partner cannot appear even if the function were wrong.

SQLite, and a PostgreSQL database without the function (its migration could not create the
``iq_search`` role), keep the plain ``ILIKE``.
"""
from flask import g, has_app_context
from flask_babel import format_decimal, gettext as _
from sqlalchemy import func, select, text

#: A text search counts its matches exactly up to this many; beyond, "more than N".
SEARCH_EXACT_UP_TO = 1_000
#: Rows ``iq_text_page`` walks in the list's order for a frequent pattern before it sorts the trigram
#: matches instead (20,000 index rows: 10-20 ms; a pattern in 1 of 800 rows still fills page 1).
WALK_BUDGET = 20_000


class MoreThanCount(int):
    """At least this many rows (a lower bound proven by counting or by the page): "more than N-1"."""

    def __str__(self):
        return _("more than %(count)s", count=format_decimal(int(self) - 1))

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


def searches_text(filters):
    """Whether a list's filters include a text search (its total is then exact only up to
    ``SEARCH_EXACT_UP_TO``, "more than N" beyond: app.core.listing)."""
    return filters is not None and any(getattr(flt, "searches_text", False) for flt in filters.filters)


def _page_filter(interface, filters):
    """The list's one text filter, (target, pattern), when ``iq_text_page`` can serve the list alone:
    no other filter, a column of the listed table that the function searches. Else None."""
    from app.core.filters import FilterTextContains, FilterTextStartsWith

    if filters is None or len(filters.filters) != 1:
        return None
    flt, value = filters.filters[0], filters.values[0]
    if isinstance(value, list):  # FAB applies each value of a list in turn (Filters.apply_all)
        if len(value) != 1:
            return None
        value = value[0]
    if type(flt) not in (FilterTextStartsWith, FilterTextContains) or not isinstance(value, str):
        return None
    column = getattr(interface.obj, flt.column_name, None)
    target = _target(column) if column is not None else None
    if target is None or target[0] != interface.obj.__table__.name or not _function_installed(interface.session):
        return None
    return ".".join(target), flt.pattern(value)


#: Orders ``iq_text_page`` serves per table (its migration's list; the primary key is the tie-breaker).
PAGE_ORDERS = {"counselling_case": {"id", "opened_on"}, "client": {"id"}}


def search_page(interface, filters, order_column, order_direction, page, page_size):
    """(ids of the page, total) of a list filtered by one text filter alone, in one statement; or
    None when ``iq_text_page`` cannot serve it (then the list takes its ordinary path)."""
    found = _page_filter(interface, filters)
    if found is None or not page_size or order_column not in PAGE_ORDERS.get(interface.obj.__table__.name, ()):
        return None
    target, pattern = found
    skip = (page or 0) * page_size
    rows = func.iq_text_page(target, pattern, order_column, order_direction == "desc", skip, page_size,
                             SEARCH_EXACT_UP_TO, WALK_BUDGET)
    rows = rows.table_valued("id", "total", "exact", with_ordinality="n").render_derived()
    pk = getattr(interface.obj, interface.get_pk_name())
    # The ids checked once more by the caller's scope: row-level security and the ORM criteria of
    # the joined table (an id it does not show comes back as NULL and is dropped).
    result = (interface.session.query(pk, rows.c.total, rows.c.exact).select_from(rows)
              .outerjoin(interface.obj, pk == rows.c.id).order_by(rows.c.n).all())
    ids = [row[0] for row in result if row[0] is not None]
    if not result:  # not expected: the function returns a row (id NULL) even for an empty page
        return [], 0
    total, exact = result[0][1], result[0][2]
    if exact:
        return ids, int(total)
    if ids and len(ids) < page_size:  # the last page: the total is known
        return ids, skip + len(ids)
    # At least the counted rows, and the rows up to this page when it has any (past the end: the count).
    return ids, MoreThanCount(max(int(total), skip + len(ids) if ids else 0))


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
