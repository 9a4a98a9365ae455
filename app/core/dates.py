"""Dates in every form and list filter: one parser, one field, one widget, one set of filters.

Formats (the same in every form, list filter, the quick entry and the import):

- Shown as ``TT.MM.JJJJ`` (``21.10.2013``) in German and ``DD.MM.YYYY`` in English: the English UI
  keeps the day-first dotted dates it already shows in lists, messages and letters, so one screen
  never mixes two formats, and no reader takes the day for the month (nobody writes month-first
  with dots; ``01/02/2013`` means different days to British and American readers and is refused).
- Typed as ``21.10.2013``, ``1.2.2013`` or ISO ``2013-10-21``, in either language.
- Two-digit years are refused (``21.10.13`` could be 1913 or 2013 for a birth date).
- The REST API keeps ISO ``YYYY-MM-DD`` for its fields (CONTRACT.md; FAB's marshmallow ``Date``);
  its list filters read the same formats as the UI's (ISO or ``TT.MM.JJJJ``).

An impossible date (``31.02.2013``) is answered with "„31.02.2013“ ist kein gültiges Datum
(TT.MM.JJJJ)" at the field, and the typed text stays in the field.

FAB overrides (checked against Flask-AppBuilder 5.3.0, pinned by tests/test_dates.py):

- ``FieldConverter`` turns ``Date`` columns into wtforms' ``DateField`` (ISO only, message "Kein
  gültiges Datum.") with ``DatePickerWidget``, which renders ``field.data`` — empty after a failed
  parse, so the input was lost. ``install_date_fields`` puts a ``DateInputField`` into the view's
  add/edit/search ``*_form_extra_fields`` for every date column instead (``IqModelView._init_forms``).
- FAB's ``ab.js`` starts bootstrap-datepicker 1.10 on ``.appbuilder_date`` with ``yyyy-mm-dd`` and
  ``forceParse`` (which garbled ``21.10.2013`` into ``27-04-05`` on blur), and the ``data-provide``
  data API (``mm/dd/yyyy``) in list filters. Our input has neither the class nor ``data-provide``;
  templates/iq_form_helpers.html starts the picker in the UI language with ``forceParse: false`` (what
  was typed is never rewritten), inside the programme window for dates that must lie in it.
- ``SQLAFilterConverter`` filters dates through ``dateutil.parser.parse`` (month first: ``01.02.2013``
  is 2 January) and compares with NULL when that fails, finding nothing without a word.
  ``DateFilterConverter`` (used by ``app.core.listing.ScaledInterface``) puts filters with this
  module's parser first, in FAB's order (equal, greater, smaller, not equal), so filter indexes in
  URLs keep their meaning. A value it cannot read finds nothing and says why.
"""
import re
from datetime import date

from flask import flash, g, has_request_context, request
from flask_appbuilder.models.filters import Filters, map_args_filter
from flask_appbuilder.models.sqla.filters import (FilterEqual, FilterGreater, FilterNotEqual, FilterSmaller,
                                                  SQLAFilterConverter, get_field_setup_query)
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import false
from werkzeug.exceptions import BadRequest
from wtforms import Field
from wtforms.validators import Optional, StopValidation
from wtforms.widgets import html_params

from app.core.field_labels import Required, is_required


_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")

#: Column ``info`` of dates that must lie in the programme window: their picker opens there.
IN_PROGRAMME_WINDOW = "programme_window"
WINDOW = {IN_PROGRAMME_WINDOW: True}


class DateInputError(ValueError):
    """Text that is no date in an accepted format; ``str()`` is the translated message."""

    def __init__(self, text):
        self.text = text
        super().__init__(text)

    def __str__(self):
        return _("“%(value)s” is not a valid date (%(format)s).", value=self.text, format=format_hint())


def parse_date(text):
    """``21.10.2013``, ``1.2.2013`` or ``2013-10-21`` → ``date``; empty → ``None``; else DateInputError."""
    if isinstance(text, date):
        return text
    text = (text or "").strip()
    if not text:
        return None
    match = _DOTTED.fullmatch(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _ISO.fullmatch(text)
        if not match:
            raise DateInputError(text)
        year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError(text) from None


#: bootstrap-datepicker's name of the format ``format_input`` writes.
PICKER_FORMAT = "dd.mm.yyyy"


def format_hint():
    """The format as the user reads it: ``TT.MM.JJJJ`` (German), ``DD.MM.YYYY`` (English)."""
    return _("DD.MM.YYYY")


def format_input(value):
    """A date as the UI shows it: ``21.10.2013``."""
    return value.strftime("%d.%m.%Y") if value else ""


# --- the form field ----------------------------------------------------------------------------
class DateInput:
    """A text input for typing; the picker (templates/iq_form_helpers.html) is only a help."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        classes = f"{kwargs.pop('class_', '')} {kwargs.pop('class', '')}".split()
        classes = [name for name in ["form-control", *classes] if name] + ["iq-date"]
        kwargs["class"] = " ".join(dict.fromkeys(classes))
        kwargs.setdefault("placeholder", format_hint())
        kwargs.setdefault("autocomplete", "off")
        kwargs["data-date-format"] = PICKER_FORMAT
        if field.window is not None:
            first, last = field.window
            kwargs["data-date-start-date"] = format_input(first)
            kwargs["data-date-end-date"] = format_input(last)
            kwargs["data-date-default-view-date"] = format_input(min(max(date.today(), first), last))
        return Markup(f"<input {html_params(type='text', name=field.name, value=field._value(), **kwargs)}>")


class DateInputField(Field):
    """A date typed in the UI's format or ISO; bad input is kept in the field with a clear message."""

    widget = DateInput()

    def __init__(self, label=None, validators=None, programme_window=False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.programme_window = programme_window

    @property
    def window(self):
        if not self.programme_window:
            return None
        from app.core.models import programme_window

        return programme_window()

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            try:
                self.data = parse_date(valuelist[0])
            except DateInputError as error:
                raise ValueError(str(error)) from None

    def pre_validate(self, form):
        if self.process_errors:  # the message says it all; "required" would hide the reason
            raise StopValidation()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_input(self.data)


def date_field(label, required=False, programme_window=False, description=None, search=False):
    if search:
        validators = []
    else:
        validators = [Required()] if required else [Optional()]
    return DateInputField(label, validators, programme_window=programme_window, description=description or "")


def install_date_fields(view):
    """Every date column of the view's add, edit and search forms gets a DateInputField.

    Fields the view declares itself (``*_form_extra_fields``) are left alone. Called by
    ``IqModelView._init_forms`` before FAB builds the forms.
    """
    datamodel = view.datamodel
    for columns_attr, extra_attr, search in (("add_columns", "add_form_extra_fields", False),
                                             ("edit_columns", "edit_form_extra_fields", False),
                                             ("search_columns", "search_form_extra_fields", True)):
        extra = dict(getattr(view, extra_attr) or {})
        for name in getattr(view, columns_attr) or []:
            if name in extra or not datamodel.is_date(name):
                continue
            column = datamodel.list_columns[name]
            extra[name] = date_field(view.label_columns.get(name, name),
                                     required=is_required(datamodel, name),
                                     programme_window=bool(column.info.get(IN_PROGRAMME_WINDOW)),
                                     description=(view.description_columns or {}).get(name), search=search)
        setattr(view, extra_attr, extra)


# --- list filters ------------------------------------------------------------------------------
class DateFilterRefused(BadRequest):
    """An unreadable date in an API or export filter: 400 with the message (FAB's ``@safe`` answers
    ``BadRequest`` as ``{"message": str(error)}``)."""

    def __str__(self):
        return str(self.description)


def _filter_value(value):
    """The filter's date, or None after saying why it cannot be read (once per request and value)."""
    try:
        return parse_date(value)
    except DateInputError as error:
        if not has_request_context() or request.path.startswith(("/api/", "/exports/")):
            raise DateFilterRefused(str(error)) from None
        said = g.setdefault("iq_date_filter_messages", set())  # the list counts, then reads a page
        if error.text not in said:
            said.add(error.text)
            flash(_("No records shown for this filter: %(message)s", message=str(error)), "warning")
        return False


class _DateFilter:
    """Compares the column with a date read by ``parse_date``; an unreadable date matches nothing.

    FAB also registers filter classes in a global map by ``arg_name`` (``gt``, ``eq``, ...) that its
    REST API consults for any column: on a column that is no date these filters act as FAB's own.
    """

    compare = None

    def apply(self, query, value):
        if not self.datamodel.is_date(self.column_name):
            return super().apply(query, value)
        query, field = get_field_setup_query(query, self.model, self.column_name)
        day = _filter_value(value)
        if day is False:
            return query.filter(false())
        if day is None:  # an empty filter row: no restriction
            return query
        return query.filter(type(self).compare(field, day))


class DateEqual(_DateFilter, FilterEqual):
    name = _l("On")
    compare = staticmethod(lambda field, day: field == day)


class DateGreater(_DateFilter, FilterGreater):
    name = _l("After")
    compare = staticmethod(lambda field, day: field > day)


class DateSmaller(_DateFilter, FilterSmaller):
    name = _l("Before")
    compare = staticmethod(lambda field, day: field < day)


class DateNotEqual(_DateFilter, FilterNotEqual):
    name = _l("Not on")
    compare = staticmethod(lambda field, day: field != day)


class _ConversionTable:
    """``conversion_table`` built on first use, on the class as on an instance (app.core.filters
    imports this module, so its filter classes cannot be imported at this module's import)."""

    def __get__(self, instance, owner):
        from app.core.filters import TEXT_FILTERS, FilterRelationIdEqual, FilterRelationIdNotEqual

        relation = [FilterRelationIdEqual, FilterRelationIdNotEqual]
        stock = tuple((test, [TEXT_FILTERS.get(cls, cls) for cls in classes])
                      for test, classes in SQLAFilterConverter.conversion_table)
        return (("is_date", [DateEqual, DateGreater, DateSmaller, DateNotEqual]),
                ("is_relation_many_to_one", relation), ("is_relation_one_to_one", relation), *stock)


class DateFilterConverter(SQLAFilterConverter):
    """Dates as typed (this module); a many-to-one relation filtered by its foreign key
    (``app.core.filters.FilterRelationIdEqual``: no read of the related record per page); "starts
    with" and "contains" through app.core.text_search (trigram indexes under row-level security)."""

    conversion_table = _ConversionTable()

    def convert(self, col_name):
        """FAB's conversion, made once per interface and column.

        Checked against FAB 5.3.0: ``Filters.__init__`` converts every column of the model (and
        again each search column), instantiating a filter object per operation, and a list page
        builds its ``Filters`` five times: about 1,000 filter objects per request, the same each time.
        The filters hold no request state (column, interface, model), so they are kept on the
        interface. A fresh list is returned (``Filters`` extends it in place with a view's own
        ``search_filters``), and FAB's global ``map_args_filter`` (REST ``opr`` → class, which a
        filter's ``__init__`` writes) is written in the same order as a new conversion would."""
        cache = self.datamodel.__dict__.setdefault("_iq_converted_filters", {})
        made = cache.get(col_name)
        if made is None:
            made = cache[col_name] = tuple(super().convert(col_name) or ())
        else:
            for flt in made:
                if flt.arg_name:
                    map_args_filter[flt.arg_name] = type(flt)
        return list(made) or None


class DateAwareFilters(Filters):
    """FAB's ``Filters`` whose REST filters on a date column are this module's (ISO or TT.MM.JJJJ,
    422 for an unreadable date), not whichever class last took the ``arg_name`` in FAB's global map."""

    def rest_add_filters(self, data):
        others = []
        for item in data:
            own = [flt for flt in self._search_filters.get(item.get("col"), []) if isinstance(item, dict)
                   and isinstance(flt, _DateFilter) and flt.arg_name == item.get("opr")]
            if own and "value" in item:
                self.add_filter(item["col"], type(own[0]), item["value"])
            else:
                others.append(item)
        super().rest_add_filters(others)


# --- the picker's language ---------------------------------------------------------------------
def datepicker_locale():
    """bootstrap-datepicker's locale object in the UI language, from Babel's CLDR data."""
    locale = get_locale()
    if locale is None:
        from babel import Locale

        locale = Locale.parse("de")

    def days(width):
        names = locale.days["format"][width]
        return [names[(index + 6) % 7] for index in range(7)]  # CLDR starts Monday, the picker Sunday

    def months(width):
        names = locale.months["format"][width]
        return [names[index] for index in range(1, 13)]

    return {
        "days": days("wide"), "daysShort": days("abbreviated"), "daysMin": days("short"),
        "months": months("wide"), "monthsShort": months("abbreviated"),
        "today": _("Today"), "clear": _("Clear"), "titleFormat": "MM yyyy",
        "format": PICKER_FORMAT, "weekStart": (locale.first_week_day + 1) % 7,
    }


def init_dates(app):
    """templates/iq_form_helpers.html reads the picker's locale from ``iq_datepicker_locale()``."""
    app.jinja_env.globals["iq_datepicker_locale"] = datepicker_locale
