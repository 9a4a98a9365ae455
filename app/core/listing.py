"""List queries that stay fast at a million rows (DESIGN.md §5, §7), for the UI views and the REST APIs.

FAB's ``SQLAInterface.query`` selects a page of full rows with every joined relation in one
statement. On PostgreSQL with row-level security the planner cannot estimate the policy's
selectivity (it assumes 0.5 % of the rows), so for a network-wide user it joins all million cases
to their clients, partners and periods and only then sorts for the first 25: 5-8 s. Here a page is
read in two steps instead:

1. the primary keys of the page: filters, ORDER BY (with the primary key as tie-breaker, served by
   an index) and OFFSET/LIMIT on the listed table alone;
2. those rows with their related objects, by primary key.

Both run through the session, so the partner scope (ORM criteria and row-level security) applies.

An unfiltered list of cases or contacts shows its exact total, summed from the summary's tallies
(app/reports/models.py) in the statement that reads the page's ids. Any other list's total is exact
up to ``ESTIMATE_ABOVE`` rows: it is counted in that statement (``count(*)`` over a
``LIMIT ESTIMATE_ABOVE + 1`` subquery; a page that starts past the cap needs no count: a row on it
proves the list is longer). A longer list shows PostgreSQL's estimate as "about N"
(``EstimatedCount``): the table's size for an unfiltered network-wide list, else the planner's
estimate of the filtered, scoped query, each kept for ``ESTIMATE_TTL`` seconds per process (a list
is never shown with fewer rows than its page proves).
A text search counts only up to ``SEARCH_EXACT_UP_TO`` and says "more than N" beyond, and a list
filtered by one text filter alone takes its page from ``iq_text_page`` (app.core.text_search).
Otherwise SQLite counts exactly.
"""
import json
import time

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import format_decimal, gettext as _
from sqlalchemy import func, select, text

from app.core import text_search
from app.core.dates import DateAwareFilters, DateFilterConverter
from app.security.scoping import current_scope

#: Up to this many rows a list's total is exact; above, it is PostgreSQL's estimate ("about N").
ESTIMATE_ABOVE = 10_000


class EstimatedCount(int):
    """A row count from the planner's statistics: arithmetic as an int, shown as "about N"."""

    def __str__(self):
        return _("about %(count)s", count=format_decimal(int(self)))


class ScaledInterface(SQLAInterface):
    """``SQLAInterface`` whose ``query`` pages by primary key and may estimate a huge total."""

    filter_converter_class = DateFilterConverter  # dates typed as in the forms (app.core.dates)

    def get_filters(self, search_columns=None, search_filters=None):
        return DateAwareFilters(self.filter_converter_class, self, search_columns=search_columns or [],
                                search_filters=search_filters)

    def __init__(self, obj, session=None, estimate_count=False):
        super().__init__(obj, session)
        self.estimate_count = estimate_count

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        pk = getattr(self.obj, self.get_pk_name())
        ordered = order_column or self.get_pk_name()
        page_query = self.apply_all(self.session.query(self.obj), filters, ordered, order_direction or "asc",
                                    page, page_size)
        searched = text_search.search_page(self, filters, ordered, order_direction or "asc", page, page_size) \
            if self.estimate_count else None
        if searched is not None:  # one text filter alone: page and capped total from iq_text_page
            ids, count = searched
        elif self.estimate_count:
            offset = (page or 0) * (page_size or 0)
            searching = text_search.searches_text(filters)
            cap = text_search.SEARCH_EXACT_UP_TO if searching else ESTIMATE_ABOVE
            ids, capped, exact = self._page_ids_and_total(page_query, pk, filters, offset, cap)
            if ids and searching and capped > cap:  # "more than N", no estimate
                count = text_search.MoreThanCount(max(capped, offset + len(ids)))
            else:
                count = (capped if exact else self._total(capped, filters, page, page_size, len(ids))) if ids else None
            if count is None:  # nothing on this page: count exactly (an empty list, or a page past the end)
                count = self._exact_count(filters)
        else:
            count = self._exact_count(filters)
            ids = [row[0] for row in page_query.with_entities(pk)] if count else []
        if not count or not ids:
            return count, []
        rows = self.apply_all(self.session.query(self.obj).filter(pk.in_(ids)), None, "", "", None, None,
                              select_columns, outer_default_load).all()
        # With select_columns, FAB's query yields rows holding the object under the model's name.
        items = [getattr(row, self.obj.__name__, row) for row in rows]
        position = {key: index for index, key in enumerate(ids)}
        items.sort(key=lambda item: position[getattr(item, pk.key)])
        return count, items

    def _page_ids_and_total(self, page_query, pk, filters, offset, cap=ESTIMATE_ABOVE):
        """The page's ids and the list's total in one statement: (ids, total, whether it is exact).

        An unfiltered list of cases or contacts: the exact total from the summary's tallies (a few
        hundred index entries; no estimate to read). Any other list: its rows counted up to
        ``cap`` + 1 (ESTIMATE_ABOVE; a text search: SEARCH_EXACT_UP_TO) -- except on a page that starts
        at or past the cap, where any row proves that there are more, so the count is left out and
        taken as that."""
        tallied = self._tallied_total_select() if filters is None or not filters.values else None
        if tallied is not None:
            total, exact = tallied.scalar_subquery(), True
        elif offset >= cap:
            return [row[0] for row in page_query.with_entities(pk)], cap + 1, False
        else:
            capped = (self._apply_inner_all(self.session.query(self.obj), filters, aliases_mapping={})
                      .with_entities(pk).limit(cap + 1).subquery())
            total, exact = select(func.count()).select_from(capped).scalar_subquery(), False
        found = page_query.with_entities(pk, total).all()
        return [row[0] for row in found], (int(found[0][1]) if found else 0), exact

    def get(self, id, filters=None, select_columns=None, outer_default_load=False):
        """FAB's ``get`` (checked against FAB 5.3.0: the record by primary key with the view's base
        filters), with its many-to-one relations joined in the same statement. FAB's loads them
        lazily, one statement each while the show or edit page renders them (reference occupation,
        competent body, counsellor of a case). Composite keys and ``select_columns`` (the REST API's
        dotted columns) take FAB's path."""
        if select_columns or self.is_pk_composite():
            return super().get(id, filters, select_columns, outer_default_load)
        from flask_appbuilder.models.filters import Filters

        query_filters = filters.copy() if filters else Filters(self.filter_converter_class, self)
        query_filters.add_filter(self.get_pk_name(), self.FilterEqual, id)
        query = self.session.query(self.obj).options(*self._many_to_one_loads())
        return self.apply_all(query, query_filters).one_or_none()

    def _many_to_one_loads(self):
        """``joinedload`` of every many-to-one relation not already joined by the mapper (outer
        joins: a missing related record must not hide the row). Built once per interface."""
        loads = self.__dict__.get("_iq_many_to_one_loads")
        if loads is None:
            from sqlalchemy import inspect as sa_inspect
            from sqlalchemy.orm import joinedload

            loads = self.__dict__["_iq_many_to_one_loads"] = tuple(
                joinedload(getattr(self.obj, rel.key))
                for rel in sa_inspect(self.obj).relationships
                if rel.direction.name == "MANYTOONE" and rel.lazy not in ("joined", "selectin", "raise")
                and not rel.viewonly
            )
        return loads

    def _exact_count(self, filters):
        """The number of rows the filters leave, counted over the primary key alone.

        FAB's ``query_count`` counts a subquery of every listed column, joined to the relations of
        dotted ``select_columns`` (the API's ``reference_occupation.id``): PostgreSQL then reads the
        heap for each of a million rows (the API's count took 182 ms against the list view's 27 ms).
        Those joins are outer joins of many-to-one relations, which cannot change the number of
        rows, so the primary key with the filters' own joins is counted instead (an index suffices).
        """
        if filters is None or not filters.values:
            total = self._tallied_total()
            if total is not None:
                return total
        pk = getattr(self.obj, self.get_pk_name())
        query = self._apply_inner_all(self.session.query(self.obj), filters, aliases_mapping={})
        return query.with_entities(pk).order_by(None).count()

    def _tallied_total(self):
        """An unfiltered list of cases or contacts: its exact total from the summary's tallies, which
        the database keeps in the writing transaction of every change (app/reports/models.py), over
        the partners the user's scope reads for this model. At a million cases the plain count reads
        every row (Admin: 35-40 ms), the tallies a few thousand. None for any other model."""
        statement = self._tallied_total_select()
        return None if statement is None else int(self.session.execute(statement).scalar())

    def _tallied_total_select(self):
        """The SELECT of ``_tallied_total`` (None for a model without tallies)."""
        from app.reports.models import tallied_total_select

        scope = current_scope(self.session)
        ids = scope.ids_for(getattr(self.obj, "scope_kind", "personal")) if hasattr(self.obj, "partner_id") else None
        return tallied_total_select(self.obj, ids)

    def get_related_interface(self, col_name):
        """Related tables (filter and form choices, related views' own lists): FAB's plain
        interface, minus the COUNT before an unpaged choice list (``RelatedInterface``).

        One per relation and view, built on first use: FAB asks for it many times per page (forms,
        search widget, filters), and building one inspects the whole related mapper each time. It
        holds no request state (its session is the scoped ``db.session``)."""
        cache = self.__dict__.setdefault("_related_interfaces", {})
        interface = cache.get(col_name)
        if interface is None:
            interface = cache[col_name] = RelatedInterface(self.get_related_model(col_name))
        return interface

    def _total(self, capped, filters, page, page_size, rows_on_page):
        """The exact count when it stayed below the cap, else an ``EstimatedCount`` (at least as many
        rows as this page proves to exist), or the exact count where no estimate is available."""
        if capped <= ESTIMATE_ABOVE:
            return capped
        seen = (page or 0) * (page_size or 0) + rows_on_page + 1
        estimate = self._planner_estimate(filters)
        if estimate is None:
            return None
        return EstimatedCount(max(estimate, seen, ESTIMATE_ABOVE + 1))

    def _planner_estimate(self, filters):
        """PostgreSQL's estimate of the list's rows: the table's row count for an unfiltered list of a
        network-wide user, else the planner's estimate for the filtered, scoped query (EXPLAIN; the
        partner scope is stated explicitly, as the ORM hook would add it). None on other databases."""
        if self.session.get_bind().dialect.name != "postgresql":
            return None
        scope = current_scope(self.session)
        if scope.unrestricted and (filters is None or not filters.values):
            table = self.obj.__table__.name
            return _remembered(("reltuples", table), lambda: self.session.execute(
                text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:table)"),
                {"table": table},
            ).scalar())
        ids = scope.ids_for(getattr(self.obj, "scope_kind", "personal")) if hasattr(self.obj, "partner_id") else None

        def explain():
            pk = getattr(self.obj, self.get_pk_name())
            statement = self._apply_inner_all(self.session.query(self.obj), filters, aliases_mapping={}) \
                .with_entities(pk).statement
            if ids is not None:
                statement = statement.where(self.obj.partner_id.in_(sorted(ids)))
            connection = self.session.connection()
            compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
            plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
            if isinstance(plan, str):
                plan = json.loads(plan)
            return int(plan[0]["Plan"]["Plan Rows"])

        key = _filters_key(filters)
        if key is None:
            return explain()
        # The key names the partner set, so equal keys mean equal scopes.
        return _remembered(("plan", self.obj.__name__, key, None if ids is None else tuple(sorted(ids))), explain)


#: Seconds an estimate is reused (per process): it is shown as "about N" and only for lists longer
#: than ESTIMATE_ABOVE rows, where a minute's writes do not change what "about" says.
ESTIMATE_TTL = 60.0
_estimates = {}


def _filters_key(filters):
    """What a list's filters ask, as a hashable key (filter class, column, value), or None when a
    value is computed per request (a callable base filter: its repr says nothing about its value)."""
    if filters is None:
        return ()
    key = []
    for flt, value in zip(filters.filters, filters.values):
        if callable(value):
            return None
        key.append((type(flt).__module__, type(flt).__qualname__, flt.column_name, repr(value)))
    return tuple(key)


def _remembered(key, read):
    """``read()``'s estimate for ``key`` (the table, or the EXPLAINed statement with its parameters,
    which include the partner scope), read again after ``ESTIMATE_TTL`` seconds."""
    now = time.monotonic()
    hit = _estimates.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = read()
    if len(_estimates) >= 1000:
        _estimates.clear()
    _estimates[key] = (now + ESTIMATE_TTL, value)
    return value


class RelatedInterface(SQLAInterface):
    """FAB's interface for a related table. FAB fills every select of a search or edit form with
    ``query()``, which counts the rows and then reads them all: for an unpaged query the count is the
    number of rows read, so it is taken from them (one statement per select instead of two)."""

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        if page is not None or page_size is not None:
            return super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                 outer_default_load)
        query = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction, None, None,
                               select_columns, outer_default_load)
        items = [getattr(row, self.obj.__name__, row) for row in query.all()]
        return len(items), items


def scaled(datamodel, estimate_count=False):
    """A ScaledInterface for a view's ``datamodel`` (views declare FAB's plain SQLAInterface)."""
    if isinstance(datamodel, ScaledInterface) and datamodel.estimate_count == estimate_count:
        return datamodel
    return ScaledInterface(datamodel.obj, datamodel._session, estimate_count=estimate_count)
