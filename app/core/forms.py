"""Form fields shared by the CRUD views: enumerations, countries, owning partner, AJAX relations.

Enumeration and country selects do not validate the choice themselves (``validate_choice=False``):
the model layer refuses unknown values with its own translated message, so UI, API and import say
the same thing. Relations with many rows (200,000 clients) are searched as you type instead of
being rendered into a ``<select>``.
"""
from flask import url_for
from flask_appbuilder.fieldwidgets import Select2Widget as FabSelect2Widget
from flask_babel import get_locale, gettext as _
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from wtforms import Field, HiddenField, SelectField
from wtforms.widgets import Select as WtformsSelect, html_params
from wtforms.validators import StopValidation

from app.catalogues.countries import country_rows
from app.extensions import db

AJAX_RESULTS = 20


#: Rendered ``<option>`` lists by their content (see ``Select2Widget``); cleared when full.
_OPTIONS_CACHE = {}
_OPTIONS_CACHE_MAX = 512


class Select2Widget(FabSelect2Widget):
    """FAB's Select2Widget whose options are written once per distinct list (checked on FAB 5.3.0,
    WTForms 3.3.2).

    A case form holds about 430 options (countries, enumerations, reference catalogues); WTForms
    builds each one through ``html_params`` and several ``Markup`` objects, and FAB's
    ``QuerySelectField`` yields them as tuples, which WTForms 3.3 normalises with a
    ``DeprecationWarning`` per option: half of an edit form's rendering time. Here the choices are
    read as they come (value, label, selected), the options of the same list — keyed by its values
    and labels, so any change of a catalogue, a language or a scope is a different list — are
    rendered once per process, and the selected value is marked in the copy (``<option selected
    value="…">``, byte for byte what ``render_option`` writes). A choice with extra attributes, a
    grouped field or a ``None``/boolean value goes the stock way."""

    def __call__(self, field, **kwargs):
        kwargs["class"] = "my_select2 form-control"
        if self.extra_classes:
            kwargs["class"] = kwargs["class"] + " " + self.extra_classes
        if self.style:
            kwargs["style"] = self.style
        kwargs["data-placeholder"] = _("Select Value")  # FAB's placeholder, as FAB writes it
        if "name_" in kwargs:
            field.name = kwargs["name_"]
        options = None if field.has_groups() else _plain_options(field)
        if options is None:
            return WtformsSelect.__call__(self, field, **kwargs)
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")

    @classmethod
    def render_option(cls, choice, **kwargs):
        value = choice.value
        if kwargs or choice.render_kw or value is None or isinstance(value, bool):
            return super().render_option(choice, **kwargs)
        label = escape(choice.label or value)
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')


def _plain_options(field):
    """The field's options as HTML, or None if one of them needs the stock rendering."""
    pairs, selected = [], []
    for choice in field.iter_choices():
        if isinstance(choice, tuple):
            if len(choice) == 4:
                value, label, chosen, render_kw = choice
            elif len(choice) == 3:
                (value, label, chosen), render_kw = choice, None
            else:
                return None
        else:
            value, label, chosen, render_kw = choice.value, choice.label, choice.selected, choice.render_kw
        if render_kw or value is None or isinstance(value, bool):
            return None
        value = str(value)
        # escape() as render_option: an object with __html__ is taken as markup, anything else as text.
        label = str(escape(label or value))
        pairs.append((value, label))
        if chosen:
            selected.append(value)
    key = tuple(pairs)
    html = _OPTIONS_CACHE.get(key)
    if html is None:
        html = "".join(f'<option value="{escape(value)}">{label}</option>' for value, label in pairs)
        if len(_OPTIONS_CACHE) >= _OPTIONS_CACHE_MAX:
            _OPTIONS_CACHE.clear()
        _OPTIONS_CACHE[key] = html
    for value in selected:
        plain = f'<option value="{escape(value)}">'
        html = html.replace(plain, f'<option selected value="{escape(value)}">', 1)
    return html


def use_cached_options(unbound):
    """Give an unbound relation select (FAB's ``QuerySelectField`` with FAB's ``Select2Widget``)
    this module's ``Select2Widget``, keeping its extra classes and style."""
    widget = unbound.kwargs.get("widget")
    if isinstance(widget, FabSelect2Widget) and not isinstance(widget, Select2Widget):
        unbound.kwargs["widget"] = Select2Widget(extra_classes=widget.extra_classes, style=widget.style)


def _starts_empty(required, blank, kwargs):
    """A required select without a deliberate default starts empty: select2 would otherwise show its
    first choice ("weiblich", "Afghanistan") as if chosen, and a save would store it unnoticed; left
    empty, the save is refused at the field ("Das Feld „Geschlecht“ ist erforderlich.")."""
    if blank is not None:
        return blank
    return not required or kwargs.get("default") is None


def enum_field(label, enumeration, required=False, blank=None, **kwargs):
    """A select of the enumeration's keys with translated labels (rendered in the request's language);
    ``blank``: offer the empty choice (default: unless required with a default, see ``_starts_empty``)."""
    blank = _starts_empty(required, blank, kwargs)

    def choices():
        return enumeration.choices(blank=blank)

    choices.iq_same_for_everyone = True  # app.core.search_widget: depends on the language only
    return SelectField(label, choices=choices, validate_choice=False, widget=Select2Widget(), **kwargs)


def _country_choices(blank):
    german = str(get_locale() or "de").startswith("de")
    rows = sorted(((code, de if german else en) for code, de, en, _eu in country_rows()),
                  key=lambda row: row[1])
    return ([("", "—")] if blank else []) + rows


def country_field(label, required=False, blank=None, **kwargs):
    """ISO 3166 codes as a select of country names in the UI language (empty first, see ``_starts_empty``)."""
    blank = _starts_empty(required, blank, kwargs)
    return SelectField(label, choices=lambda: _country_choices(blank),
                       validate_choice=False, widget=Select2Widget(), **kwargs)


def _partner_choices():
    from app.security.partner_choice import selectable_partners

    rows = [(str(p.id), p.name) for p in selectable_partners("write")]  # new records: where the user is Staff
    return rows if len(rows) == 1 else [("", "—")] + rows


def _optional_int(value):
    return int(value) if value not in (None, "") else None


def partner_field(label, **kwargs):
    """The owning partner of a new record, offering the user's partners (one partner: preselected).

    Whether the submitted partner may be used is decided by ``owning_partner_id`` on save (a partner
    outside the scope is answered as not found), not by the list of choices.
    """
    return SelectField(label, choices=_partner_choices, coerce=_optional_int, validate_choice=False,
                       widget=Select2Widget(), **kwargs)


class RelatedSource:
    """Where an AJAX field looks its records up: always through the scoped ORM session."""

    def __init__(self, model, search_columns, text=str, order_by=None):
        self.model = model
        self.search_columns = search_columns
        self.text = text
        self.order_by = order_by

    def get(self, pk):
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        return db.session.execute(select(self.model).where(self.model.id == pk)).unique().scalar_one_or_none()

    def _query(self):
        return select(self.model)

    def search(self, term):
        query = self._query()
        term = (term or "").strip()
        if term:
            pattern = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(*(getattr(self.model, col).ilike(pattern, escape="\\")
                                      for col in self.search_columns)))
        order = self.order_by if self.order_by is not None else self.model.id.desc()
        rows = db.session.execute(query.order_by(order).limit(AJAX_RESULTS)).unique().scalars()
        return [{"id": row.id, "text": self.text(row)} for row in rows]


class AjaxSelectWidget:
    """A ``<select>`` holding only the chosen option; the JS in iq_baselayout.html searches the rest."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def __call__(self, field, **kwargs):
        url = url_for(self.endpoint, column=field.name)
        option = ""
        if field.data is not None:
            option = f'<option value="{field.data.id}" selected>{escape(field.source.text(field.data))}</option>'
        placeholder = _("Type to search")
        required = ' aria-required="true"' if kwargs.get("aria-required") else ""  # app.core.field_labels
        return Markup(
            f'<select id="{escape(field.id)}" name="{escape(field.name)}" class="form-control iq-ajax-select" '
            f'data-url="{escape(url)}" data-placeholder="{escape(placeholder)}"{required}>{option}</select>'
        )


class AjaxRelatedField(Field):
    """A many-to-one relation chosen by search-as-you-type; the id is resolved inside the scope."""

    def __init__(self, label=None, validators=None, source=None, endpoint=None, **kwargs):
        super().__init__(label, validators, widget=AjaxSelectWidget(endpoint), **kwargs)
        self.source = source
        self._unknown = False

    def process_formdata(self, valuelist):
        value = valuelist[0] if valuelist else ""
        self.data = self.source.get(value) if value else None
        self._unknown = bool(value) and self.data is None

    def pre_validate(self, form):
        if self._unknown:  # stop here: a "required" message would hide the real reason
            raise StopValidation(_("The selected record does not exist or is not accessible."))


class LanguageField(SelectField):
    """The counselling language: a select of ISO 639-1 codes, the letters' languages first
    (app/core/languages.py). A stored value that is not offered (free text from before the select)
    is added as its own option, so that saving the form never changes it unasked."""

    def __init__(self, label=None, validators=None, widget=None, **kwargs):
        kwargs.setdefault("default", "de")
        super().__init__(label, validators, choices=[], validate_choice=False, **kwargs)
        if widget is not None:
            self.widget = widget

    def process(self, formdata, data=None, **kwargs):
        super().process(formdata, data, **kwargs)
        from app.core.languages import language_choices

        self.choices = language_choices(self.data)


def language_field(label, widget=None, **kwargs):
    return LanguageField(label, widget=widget if widget is not None else Select2Widget(), **kwargs)


def version_field():
    """The version a form was rendered with; compared on save (optimistic locking)."""
    return HiddenField()


def declare_enumerations(view):
    """Enumeration columns, declared once on the model (``Enumeration.column_info``), get a select of
    translated labels in the view's add and edit forms and their label in lists and pages (from which
    app.core.filters builds the translated filter), unless the view declares a field or formatter of
    its own. Called by ``IqModelView.__init__``."""
    from sqlalchemy import inspect as sa_inspect

    from app.core.display import enum_formatter
    from app.core.enums import column_enumeration

    add_fields, edit_fields = dict(view.add_form_extra_fields or {}), dict(view.edit_form_extra_fields or {})
    formatters = dict(view.formatters_columns or {})
    for prop in sa_inspect(view.datamodel.obj).column_attrs:
        declared = column_enumeration(prop.columns[0])
        if declared is None:
            continue
        enumeration, required = declared
        label = (view.label_columns or {}).get(prop.key, prop.key)
        # The column's default ("face_to_face", "open") is preselected in the add form; without one a
        # required select starts empty (``_starts_empty``).
        default = prop.columns[0].default
        preset = {"default": default.arg} if default is not None and default.is_scalar else {}
        if prop.key in (view.add_columns or ()):
            add_fields.setdefault(prop.key, enum_field(label, enumeration, required, **preset))
        if prop.key in (view.edit_columns or ()):
            edit_fields.setdefault(prop.key, enum_field(label, enumeration, required))
        formatters.setdefault(prop.key, enum_formatter(enumeration))
    view.add_form_extra_fields, view.edit_form_extra_fields = add_fields, edit_fields
    view.formatters_columns = formatters
