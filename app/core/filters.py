"""List filters people can use: enumerations as translated selects, related records without
"__None", and filters of the app's own (a client's name or number on the case list).

Checked against Flask-AppBuilder 5.3: FAB converts a ``String`` column into ten text filters
(starts with, …, "In", "Not In") over the stored key, so the German "offen" finds nothing while
"open" finds the open cases. Here an enumeration column — recognised by its formatter, the
Enumeration's own ``label`` (``enum_formatter``), so it is declared once — gets "equal to"/"not
equal to" and a select of its keys with translated labels. FAB keeps the filters of a column in two
dicts (``_search_filters`` for the search widget, ``_all_filters`` for ``_flt_<i>_<col>`` in the
URL); both get the same list. ``tests/test_list_filters.py`` pins this.
"""
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (FilterContains, FilterEqual, FilterNotEqual,
                                                  FilterRelationOneToManyEqual, FilterRelationOneToManyNotEqual,
                                                  FilterStartsWith, get_field_setup_query)
from flask_babel import lazy_gettext as _l
from sqlalchemy import any_, false, func, intersect, or_, select, union

from app.core.enums import Enumeration
from app.core.forms import enum_field
from app.core.text_search import matching_ids, text_match, uses_search_function

ENUM_FILTERS = (FilterEqual, FilterNotEqual)


def enumerations_of(view):
    """Search column → Enumeration, read from the view's formatters."""
    found = {}
    for column in view.search_columns or ():
        owner = getattr((view.formatters_columns or {}).get(column), "__self__", None)
        if isinstance(owner, Enumeration):
            found[column] = owner
    return found


def prepare_search(view):
    """Before FAB builds the search form: a translated select for each enumeration column."""
    enums = enumerations_of(view)
    fields = {column: enum_field(view.label_columns.get(column, column), enum, required=True, blank=False)
              for column, enum in enums.items()}
    fields.update(view.search_form_extra_fields or {})
    view.search_form_extra_fields = fields
    filters = {column: ENUM_FILTERS for column in enums}
    filters.update(getattr(view, "column_filters", None) or {})
    for column, classes in filters.items():
        instances = [cls(column, view.datamodel) for cls in classes]
        view._filters._search_filters[column] = instances
        view._filters._all_filters[column] = instances


def same_filters_as(filters, view):
    """``filters`` (another Filters over the view's model, e.g. an export's) take the view's filter
    lists for the columns both know, so a list's ``_flt_<i>_<col>`` means the same filter there."""
    for column in list(filters._all_filters):
        if column in view._filters._all_filters:
            filters._all_filters[column] = view._filters._all_filters[column]
        if column in view._filters._search_filters:
            filters._search_filters[column] = view._filters._search_filters[column]
    return filters


def _single(value):
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return (value or "").strip()


def _prefix(term):
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class FilterClientNameOrNumber(BaseFilter):
    """Cases whose client's number — or, for users who may read names, last name ("Kovalenko",
    "Kovalenko, Ol") — starts with the text. The client subquery is restricted by the partner scope
    like every query; prefix matches use the trigram indexes on PostgreSQL."""

    name = _l("Name or number starts with")
    arg_name = "client_name_or_number"
    searches_text = True  # its list counts exactly only up to SEARCH_EXACT_UP_TO (app.core.listing)

    def apply(self, query, value):
        from app.clients.models import Client
        from app.clients.naming import may_see_names
        from app.extensions import db

        term = _single(value)
        if not term:
            return query
        # The matches as a UNION (INTERSECT for "last, first") of id sets rather than an OR of
        # IN-subqueries: PostgreSQL then joins the few matching clients to their cases instead of
        # merging all cases with all clients (issue 10: 150 ms -> a few ms at 1M cases).
        found = [matching_ids(Client.client_number, _prefix(term), escape="\\")]
        if may_see_names():
            last, _comma, first = (part.strip() for part in term.partition(","))
            if first:
                found.append(intersect(matching_ids(Client.last_name, _prefix(last), escape="\\"),
                                       matching_ids(Client.first_name, _prefix(first), escape="\\")).subquery().select())
            else:
                found.append(matching_ids(Client.last_name, _prefix(term), escape="\\"))
        ids = found[0] if len(found) == 1 else union(*found)
        if uses_search_function(db.session, Client.last_name):
            # The function's client ids (its own partner rule) as one array: PostgreSQL reads the
            # matching clients' cases from ix_case_client_opened alone (client_id = ANY, index-only)
            # instead of joining them through the client table, whose estimates under row-level
            # security made it merge-join all cases for a capped count. The cases keep their own
            # row-level security and ORM scope.
            return query.filter(self.model.client_id == any_(func.array(ids.scalar_subquery())))
        clients = select(Client.id).where(Client.id.in_(ids))
        return query.filter(self.model.client_id.in_(clients))


def _foreign_key(model, column_name):
    """The one foreign-key column of a many-to-one relation, or None."""
    prop = model.__mapper__.relationships.get(column_name)
    if prop is None or prop.direction.name != "MANYTOONE" or len(prop.local_columns) != 1:
        return None
    return getattr(model, model.__mapper__.get_property_by_column(next(iter(prop.local_columns))).key)


def _related_id(value):
    """The id a relation filter was given: a number from the REST API, text from a list's URL."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(_single(value))
    except (TypeError, ValueError):
        return None


class FilterRelationIdEqual(FilterRelationOneToManyEqual):
    """FAB's "relation equal to" without reading the related record first (one statement less per
    list page, issue 10): the foreign key is compared with the chosen id. An id that is not a
    number finds nothing (FAB's would look for rows without the relation)."""

    def apply(self, query, value):
        column = _foreign_key(self.model, self.column_name)
        if column is None:
            return super().apply(query, value)
        pk = _related_id(value)
        return query.filter(column == pk if pk is not None else false())


class FilterRelationIdNotEqual(FilterRelationOneToManyNotEqual):
    """FAB's "relation not equal to" by the foreign key (rows without the relation included, as FAB's)."""

    def apply(self, query, value):
        column = _foreign_key(self.model, self.column_name)
        if column is None:
            return super().apply(query, value)
        pk = _related_id(value)
        return query if pk is None else query.filter(or_(column != pk, column.is_(None)))


class FilterTextStartsWith(FilterStartsWith):
    """FAB's "starts with" (the same ILIKE pattern), through ``iq_text_search`` on PostgreSQL for the
    columns it serves, so that the trigram index is used under row-level security. A list filtered
    by nothing else reads its page through ``iq_text_page`` (app.core.text_search.search_page)."""

    searches_text = True

    @staticmethod
    def pattern(value):
        return value + "%"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(text_match(field, self.pattern(value)))


class FilterTextContains(FilterContains):
    """FAB's "contains", the same way as ``FilterTextStartsWith``."""

    searches_text = True

    @staticmethod
    def pattern(value):
        return "%" + value + "%"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(text_match(field, self.pattern(value)))


TEXT_FILTERS = {FilterStartsWith: FilterTextStartsWith, FilterContains: FilterTextContains}
