"""Related fields of the REST API take ids only (CONTRACT.md), never nested objects.

marshmallow-sqlalchemy's ``Related`` field (which FAB 5.3's generated add/edit schemas use for
every relationship, checked against marshmallow-sqlalchemy 1.x) accepts a dict as well as an id,
and builds a *new* related instance when the dict or the id matches no row: a Staff user could
create competent bodies or reference occupations through ``POST /api/v1/case/``. Here a related
field accepts a whole number naming an existing row the user may see (the partner scope hides the
others), and anything else is a 422 before anything is written.
"""
from flask_babel import gettext as _
from marshmallow import ValidationError
from marshmallow_sqlalchemy.fields import Related

from app.core.input_bounds import MAX_ID


def is_id(value):
    """A record id as JSON gives it: a whole number, not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def possible_id(value):
    """An id that can name a row: a whole number the database's integer column can hold."""
    return is_id(value) and 1 <= value <= MAX_ID


class RelatedById(Related):
    """A relationship given by the id of an existing row; nothing is ever created through it."""

    def _deserialize(self, value, *args, **kwargs):
        if not is_id(value):
            raise ValidationError(_("Give the id (a whole number) of an existing record."))
        # An id the database's integer cannot hold names no record (and would make the driver fail).
        record = self.session.get(self.related_model, value) if possible_id(value) else None
        if record is None:
            raise ValidationError(_("There is no record with this id."))
        return record


def require_ids(schema):
    """Replace every ``Related`` field of a load schema with ``RelatedById`` (same name, options)."""
    for name, field in list(schema.fields.items()):
        if type(field) is not Related:
            continue
        strict = RelatedById(required=field.required, allow_none=field.allow_none,
                             attribute=field.attribute, data_key=field.data_key)
        strict._bind_to_schema(name, schema)
        schema.fields[name] = strict
        if name in schema.load_fields:
            schema.load_fields[name] = strict
        if name in schema.dump_fields:
            schema.dump_fields[name] = strict
    return schema


def refuse_non_ids(schema, payload):
    """Refuse related values that are not ids before anything uses them (e.g. ``partner``)."""
    errors = {}
    for name, field in schema.fields.items():
        if isinstance(field, Related):
            key = field.data_key or name
            value = payload.get(key)
            if value is not None and not is_id(value):
                errors[key] = [_("Give the id (a whole number) of an existing record.")]
    if errors:
        raise ValidationError(errors)
