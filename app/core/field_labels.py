"""Required fields marked, every error of a save at once, and messages that name the field's label.

- **Labels, declared once**: the views' ``label_columns`` are the one place a column's label is
  written. ``register_labels`` (called by ``IqModelView`` and the REST APIs at start-up) records them;
  the model layer's messages (``check_enum``/``check_length``/``check_country`` in app.core.models)
  name a field through ``field_label(key)``, which reads the label of the view handling the request,
  else the registered one, else the column name. So UI, API, import and CLI say "Das Feld Geschlecht
  ist erforderlich." instead of "Das Feld gender ist erforderlich.".
- **Required marked**: ``mark_required`` gives every form field whose column is NOT NULL (or
  declared ``info=REQUIRED``) a
  ``Required`` validator: FAB's form template then shows its red asterisk, the input carries
  ``aria-required="true"``, and the browser's own ``required`` check (one bubble at a time, in the
  browser's language) is left out, so the server reports all missing fields at once in the UI language.
- **All errors at once**: ``form_error_summary`` lists every field error of a refused form with its
  label (flashed on top, each also shown at its field); ``DomainErrors`` carries the model-layer
  refusals of all fields of one save (``IqModelView._save`` collects them field by field).

Checked against Flask-AppBuilder 5.3.0: ``appbuilder/general/lib.html`` ``render_field`` marks a label
when ``field.flags.required``; wtforms 3 sets that flag from a validator's ``field_flags`` and renders
``required`` unless the field's ``render_kw`` says otherwise.
"""
from flask import g, has_request_context
from flask_babel import LazyString, gettext as _
from wtforms import BooleanField, HiddenField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Optional, StopValidation

from app.core.errors import DomainError

_BY_MODEL = {}   # (model name, column) → label
_BY_COLUMN = {}  # column → label (the first view that declared it)


def register_labels(model, labels):
    for key, label in (labels or {}).items():
        _BY_MODEL.setdefault((model.__name__, key), label)
        _BY_COLUMN.setdefault(key, label)


def label_of(key, model=None):
    """The translated label of a column: the current view's, the model's, any view's, or the key."""
    if has_request_context():
        current = g.get("iq_field_labels")
        if current and key in current:
            return str(current[key])
    if model is not None and (model.__name__, key) in _BY_MODEL:
        return str(_BY_MODEL[(model.__name__, key)])
    return str(_BY_COLUMN.get(key, key))


def field_label(key):
    """A lazy label for message parameters, resolved when the message is shown."""
    return LazyString(lambda: label_of(key))


def use_labels(labels):
    """The labels of the view handling this request, for messages raised while it saves."""
    if has_request_context():
        g.iq_field_labels = labels


# --- required fields --------------------------------------------------------------------------
class Required:
    """Marks a field as required (asterisk, ``aria-required``) and refuses it empty, naming its label.

    ``check=False`` only marks: for a field whose value a rule decides (the owning partner)."""

    field_flags = {"required": True}

    def __init__(self, check=True):
        self.check = check

    def __call__(self, form, field):
        if not self.check:
            return
        raw = field.raw_data[0] if field.raw_data else None
        typed = raw is not None and not (isinstance(raw, str) and not raw.strip())
        # A field filled by the view (the case of a contact added from the case page) has data only.
        if not typed and field.data in (None, "", []):
            raise StopValidation(_("%(field)s is required.", field=field.label.text))


_NOT_MARKED = (BooleanField, HiddenField)  # an unticked box is a value; hidden fields are not typed


def _validators(unbound):
    if len(unbound.args) >= 2:
        return list(unbound.args[1] or [])
    return list(unbound.kwargs.get("validators") or [])


def _with(unbound, validators, render_kw):
    args, kwargs = list(unbound.args), dict(unbound.kwargs)
    if len(args) >= 2:
        args[1] = validators
    else:
        kwargs["validators"] = validators
    kwargs["render_kw"] = {**(kwargs.get("render_kw") or {}), **render_kw}
    return UnboundField(unbound.field_class, *args, name=unbound.name, **kwargs)


#: Column ``info`` of a column that may be NULL in the database but is required while the record is
#: in use (a client's names and birth date: NULL only once erased).
REQUIRED = {"required": True}


def is_required(datamodel, name):
    """A NOT NULL column or relation, or one whose ``info`` says ``REQUIRED``."""
    if name in datamodel.list_columns:
        column = datamodel.list_columns[name]
        return not column.nullable or bool(column.info.get("required"))
    return datamodel.is_relation(name) and not datamodel.is_nullable(name)


def mark_required(form_class, datamodel, decided_elsewhere=()):
    """Give every field of ``form_class`` whose column is required the ``Required`` marker."""
    for name, unbound in list(vars(form_class).items()):
        if not isinstance(unbound, UnboundField) or issubclass(unbound.field_class, _NOT_MARKED):
            continue
        if not is_required(datamodel, name):
            continue
        # FAB's and wtforms' own (InputRequired, DataRequired: "Dieses Feld wird benötigt."; Optional,
        # which FAB adds for a NULL-able column and which would stop the check) give way.
        validators = [v for v in _validators(unbound) if not isinstance(v, (InputRequired, DataRequired, Optional))]
        if not any(getattr(v, "field_flags", {}).get("required") for v in validators):
            validators.append(Required(check=name not in decided_elsewhere))
        setattr(form_class, name, _with(unbound, validators, {"aria-required": "true", "required": False}))


# --- all errors at once -----------------------------------------------------------------------
class DomainErrors(DomainError):
    """The model layer's refusals of several fields of one save."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(LazyString(lambda: " ".join(str(error.message) for error in self.errors)),
                         field=self.errors[0].field)


class Refusals:
    """Collects the refusals of one save so that they are reported all at once, not one per save.

    ``validate()`` methods add what they find and call ``raise_any()`` at the end; checks that
    depend on an earlier one (the funding period of a date outside the programme window) are
    skipped by the caller when that one failed."""

    def __init__(self):
        self.errors = []

    def add(self, message, field=None):
        self.errors.append(DomainError(message, field=field))

    def run(self, check, *args, **kwargs):
        """Call ``check``; a DomainError (or several) is collected. True if it passed."""
        try:
            check(*args, **kwargs)
        except DomainError as error:
            self.extend(error)
            return False
        return True

    def extend(self, error):
        self.errors.extend(getattr(error, "errors", None) or [error])

    def __bool__(self):
        return bool(self.errors)

    def raise_any(self):
        """Raise what was collected, each message once (a quick entry's case and first contact
        share the date: a date outside the programme window is said once)."""
        unique, seen = [], set()
        for error in self.errors:
            if str(error.message) not in seen:
                seen.add(str(error.message))
                unique.append(error)
        if len(unique) == 1:
            raise unique[0]
        if unique:
            raise DomainErrors(unique)


def refusals(error):
    """``(field, message)`` for each refusal in a DomainError (one, or several in DomainErrors)."""
    return [(each.field, each.message) for each in getattr(error, "errors", None) or [error]]


def form_error_summary(form):
    """Each field error of a refused form, named by the field's label (for the flash on top)."""
    lines = []
    for field in form:
        label = str(field.label.text) if field.label else field.name
        for message in field.errors:
            message = str(message)
            lines.append(message if label in message else _("%(field)s: %(message)s", field=label,
                                                             message=message))
    return lines
