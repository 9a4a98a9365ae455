"""Decimal numbers in forms (amounts, hours): shown in the UI language, read back in either format.

Shown as ``20.000,00`` (German) / ``20,000.00`` (English) for money columns (2 places) and ``16`` /
``16,5`` for columns with one decimal place (hours). Typed in German or English notation alike:

- both separators (``20.000,50``, ``20,000.50``): the last one is the decimal separator;
- one separator several times (``1.000.000``): thousands;
- the UI language's decimal separator once (``16,5`` in German): decimal;
- the other separator once: thousands if exactly three digits follow (``20.000`` in German,
  ``20,000`` in English), else decimal (``20000.50`` in German, ``16,5`` in English);
- spaces and a ``€`` sign are ignored; thousands groups must have three digits (``1.00.0`` is refused).

A text that is no number is answered at the field ("„20.000,5x“ ist keine gültige Zahl") and stays
in the field, like a bad date (app/core/dates.py).

FAB override (checked against Flask-AppBuilder 5.3.0): ``FieldConverter`` turns ``Numeric``
columns into wtforms' ``DecimalField`` (renders ``str(Decimal)``, i.e. ``20000.00``/``16.0``, and
reads only ``20000.00``); ``install_number_fields`` puts a ``DecimalInputField`` into the view's
add/edit ``*_form_extra_fields`` for every numeric column instead (``IqModelView._init_forms``).
"""
import re
from decimal import Decimal, InvalidOperation

from babel.numbers import get_decimal_symbol
from flask_babel import format_decimal, get_locale, gettext as _
from markupsafe import Markup
from wtforms import Field
from wtforms.validators import Optional, StopValidation
from wtforms.widgets import html_params

from app.core.field_labels import Required, is_required

_SHAPE = re.compile(r"[+-]?[\d.,]+")
_IGNORED = str.maketrans("", "", " \u00a0\u202f€")


class NumberInputError(ValueError):
    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return _("„%(text)s“ is not a valid number (e.g. %(example)s).", text=self.text,
                 example=format_decimal(Decimal("20000.5"), "#,##0.00"))


def _ui_decimal_separator():
    return get_decimal_symbol(str(get_locale() or "de"))


def _grouped(integer_part, separator):
    if separator is None or separator not in integer_part:
        return integer_part.isdigit()
    groups = integer_part.split(separator)
    return (groups[0].isdigit() and 1 <= len(groups[0]) <= 3
            and all(len(group) == 3 and group.isdigit() for group in groups[1:]))


def parse_number(text, decimal_separator=None):
    """The Decimal of a number typed in German or English notation (None for an empty text)."""
    raw = text or ""
    compact = raw.translate(_IGNORED)
    if not compact:
        return None
    if not _SHAPE.fullmatch(compact):
        raise NumberInputError(raw.strip())
    sign = ""
    if compact[0] in "+-":
        sign, compact = compact[0], compact[1:]
    decimal_separator = decimal_separator or _ui_decimal_separator()
    has_comma, has_dot = "," in compact, "." in compact
    if has_comma and has_dot:
        decimal = "," if compact.rindex(",") > compact.rindex(".") else "."
    elif has_comma or has_dot:
        separator = "," if has_comma else "."
        parts = compact.split(separator)
        if len(parts) > 2:
            decimal = None
        elif separator == decimal_separator:
            decimal = separator
        else:
            decimal = None if len(parts[1]) == 3 else separator
    else:
        decimal = None
    integer_part, fraction = (compact.rsplit(decimal, 1) + [""])[:2] if decimal else (compact, "")
    thousands = {",": ".", ".": ","}.get(decimal) if decimal else ("," if has_comma else "." if has_dot else None)
    if (decimal and not fraction.isdigit()) or not integer_part or not _grouped(integer_part, thousands):
        raise NumberInputError(raw.strip())
    digits = integer_part.replace(thousands, "") if thousands else integer_part
    try:
        return Decimal(f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}")
    except InvalidOperation:
        raise NumberInputError(raw.strip()) from None


def format_number_input(value, places):
    """A number as the form shows it: ``20.000,00`` (2 places), ``16`` or ``16,5`` (1 place)."""
    if value is None:
        return ""
    pattern = "#,##0." + "0" * places if places >= 2 else "#,##0" + ("." + "#" * places if places else "")
    return format_decimal(Decimal(str(value)), pattern)


class NumberInput:
    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        classes = f"{kwargs.pop('class_', '')} {kwargs.pop('class', '')}".split()
        kwargs["class"] = " ".join(dict.fromkeys(["form-control", *classes, "iq-number"]))
        kwargs.setdefault("inputmode", "decimal")
        kwargs.setdefault("autocomplete", "off")
        return Markup(f"<input {html_params(type='text', name=field.name, value=field._value(), **kwargs)}>")


class DecimalInputField(Field):
    """A decimal typed in German or English notation; bad input is kept with a clear message."""

    widget = NumberInput()

    def __init__(self, label=None, validators=None, places=2, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            try:
                self.data = parse_number(valuelist[0])
            except NumberInputError as error:
                raise ValueError(str(error)) from None
            if self.data is not None and -self.data.normalize().as_tuple().exponent > self.places:
                raise ValueError(_("At most %(n)s decimal places.", n=self.places))

    def pre_validate(self, form):
        if self.process_errors:  # the message says it all; "required" would hide the reason
            raise StopValidation()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_number_input(self.data, self.places)


def install_number_fields(view):
    """Every numeric (``Numeric``) column of the view's add and edit forms gets a DecimalInputField.

    Fields the view declares itself (``*_form_extra_fields``) are left alone. Called by
    ``IqModelView._init_forms`` before FAB builds the forms."""
    datamodel = view.datamodel
    for columns_attr, extra_attr in (("add_columns", "add_form_extra_fields"),
                                     ("edit_columns", "edit_form_extra_fields")):
        extra = dict(getattr(view, extra_attr) or {})
        for name in getattr(view, columns_attr) or []:
            if name in extra or not datamodel.is_numeric(name) or datamodel.is_float(name):
                continue
            column = datamodel.list_columns[name]
            validators = [Required()] if is_required(datamodel, name) else [Optional()]
            extra[name] = DecimalInputField(view.label_columns.get(name, name), validators,
                                            places=column.type.scale or 0,
                                            description=(view.description_columns or {}).get(name) or "")
        setattr(view, extra_attr, extra)
