"""Values as people read them, in the UI language: no "None", "True", ``20000.00`` or UTC timestamps.

Numbers and money go through Babel with the request's locale (``20.000,00 €`` in German,
``€20,000.00`` in English); timestamps are stored naive in UTC and shown in the configured
``BABEL_DEFAULT_TIMEZONE`` (Europe/Berlin). ``plain`` is the default formatter of every list and
detail column that has no formatter of its own (``IqModelView``).
"""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import format_currency, format_datetime, format_decimal, get_locale, gettext as _

from app.core.models import format_date

EMPTY = ""


def enum_formatter(enumeration):
    """An enumeration's key shown as its translated label (also how app.core.filters recognises it)."""
    return enumeration.label


def country_formatter(code):
    from app.catalogues.countries import country_name

    return country_name(code, get_locale() or "de") if code else ""


def date_formatters(*columns):
    """Dates in lists and detail pages as the forms show them (app.core.dates)."""
    return {column: format_date for column in columns}


def yes_no(value):
    if value is None:
        return EMPTY
    return _("yes") if value else _("no")


def local_datetime(value):
    """A naive UTC timestamp (as stored) in local time, e.g. ``01.12.2026, 21:37:26``."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value, "medium")


def number(value):
    """``16.0`` → ``16``, ``2.5`` → ``2,5`` (German)."""
    if value is None:
        return EMPTY
    return format_decimal(value, "#,##0.##")


def money(value, currency="EUR"):
    """``20000.00`` → ``20.000,00 €`` (German), ``€20,000.00`` (English)."""
    if value is None:
        return EMPTY
    return format_currency(Decimal(str(value)), currency)


def plain(value):
    """The default rendering of a value without a formatter of its own."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        return local_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, (Decimal, float)):
        return number(value)
    return value


def fill_default_formatters(view, columns):
    """Give every column without a formatter the plain one (on the view instance, not the class)."""
    formatters = dict(view.formatters_columns or {})
    for column in columns:
        formatters.setdefault(column, plain)
    view.formatters_columns = formatters
