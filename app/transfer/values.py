"""Turning the cells of an import file into model values, with catalogues loaded once per import.

Only the *notation* is handled here (German or ISO dates, enumeration keys or labels, country codes
or names, occupation keys or names); whether a value is allowed is decided by the model layer.
"""
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.catalogues.models import Country, ReferenceOccupation
from app.core.dates import DateInputError, parse_date as parse_text_date


class CellError(ValueError):
    """A cell cannot be read; the message is shown next to the row and column."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _key(text):
    return " ".join(str(text).split()).casefold()


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def parse_date(value):
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = _text(value)
    if text is None:
        return None
    try:
        return parse_text_date(text)  # the forms' parser: dd.mm.yyyy or yyyy-mm-dd
    except DateInputError:
        raise CellError(_l("“%(value)s” is not a date (dd.mm.yyyy or yyyy-mm-dd).", value=text)) from None


def parse_int(value):
    text = _text(value)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise CellError(_l("“%(value)s” is not a whole number.", value=text)) from None


_TRUE = {"ja", "j", "yes", "y", "true", "wahr", "1", "x"}
_FALSE = {"nein", "n", "no", "false", "falsch", "0"}


def parse_bool(value):
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return None
    if text.casefold() in _TRUE:
        return True
    if text.casefold() in _FALSE:
        return False
    raise CellError(_l("“%(value)s” is neither “ja” nor “nein”.", value=text))


class Lookups:
    """Catalogues and enumeration labels, loaded once so that no row costs a lookup query."""

    def __init__(self, session):
        self.countries = {}
        for country in session.execute(select(Country)).scalars():
            for name in (country.code, country.name_de, country.name_en):
                self.countries[_key(name)] = country.code
        self.occupations = {}
        for occupation in session.execute(select(ReferenceOccupation)).scalars():
            for name in (occupation.name_en, occupation.name_de, occupation.key):
                self.occupations[_key(name)] = occupation
        self._enums = {}

    def _enum_map(self, enumeration):
        mapping = self._enums.get(enumeration.name)
        if mapping is None:
            mapping = {}
            for key, label in enumeration.items:
                for locale in ("en", "de"):
                    with force_locale(locale):
                        mapping[_key(label)] = key
                mapping[_key(key)] = key
            self._enums[enumeration.name] = mapping
        return mapping

    def enum(self, enumeration, value):
        text = _text(value)
        if text is None:
            return None
        key = self._enum_map(enumeration).get(_key(text))
        if key is None:
            allowed = ", ".join(enumeration.keys)
            raise CellError(_l("Unknown value “%(value)s”; allowed: %(allowed)s.", value=text, allowed=allowed))
        return key

    def country(self, value):
        text = _text(value)
        if text is None:
            return None
        code = self.countries.get(_key(text))
        if code is None:
            raise CellError(_l("Unknown country “%(value)s” (use the ISO code or the name).", value=text))
        return code

    def occupation(self, value):
        text = _text(value)
        if text is None:
            return None
        occupation = self.occupations.get(_key(text))
        if occupation is None:
            raise CellError(_l("Unknown reference occupation “%(value)s”.", value=text))
        return occupation

    def parse(self, column, value):
        """The model value of one cell of ``column`` (a columns.Column)."""
        if column.kind == "date":
            return parse_date(value)
        if column.kind == "int":
            return parse_int(value)
        if column.kind == "bool":
            return parse_bool(value)
        if column.kind == "enum":
            return self.enum(column.enumeration, value)
        if column.kind == "country":
            return self.country(value)
        if column.kind == "occupation":
            return self.occupation(value)
        return _text(value)
