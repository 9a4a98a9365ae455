"""Base class of the REST APIs: FAB's ModelRestApi with the domain's rules for writes.

FAB's own POST/PUT/DELETE answer a rule broken in the model layer with a 500 (``@safe`` catches the
``DomainError``), leak the driver's text on database errors, take the owning partner from the
request body, and let a client overwrite a newer version. This class keeps FAB's routes, schemas
and OpenAPI documentation and replaces only those three write paths:

* the owning partner comes from ``owning_partner_id`` (the user), a foreign partner answers 404;
* ``DomainError`` → 422 with the translated message, unique/foreign-key conflicts → 409 with a
  generic translated message (the driver's text goes to the log only), always rolled back;
* versioned models (``version``) need the client's version on PUT; a stale one answers 409;
* a value the database cannot hold (PostgreSQL: an integer beyond 32 bits, a string too long for
  its column) answers 422 on writes and 400 on reads: FAB's ``@safe`` turns the driver's
  ``DataError`` into a 500 "Fatal error", so ``response_500`` looks at the exception first.

Authentication is by JWT only: FAB exempts API blueprints from CSRF, so accepting the browser's
session cookie (``allow_browser_login``) would open the writes to cross-site requests.
"""
import logging
import sys

import jsonschema

from flask import current_app, request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_babel import gettext as _
from marshmallow import ValidationError
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema
from sqlalchemy.exc import DataError

from app.core.errors import ScopeError
from app.core.refusals import IN_USE_MESSAGE, REFUSED, STALE_MESSAGE, VALUE_OUT_OF_RANGE, refusal_for
from app.core.listing import scaled
from app.core.related_ids import refuse_non_ids, require_ids
from app.security.roles import READ_WRITE
from app.security.scoping import log_denied, owning_partner_id

log = logging.getLogger(__name__)


class _CachedJsonSchema:
    """What FAB's ``@rison`` decorator uses of ``jsonschema`` (checked on FAB 5.3), with one compiled
    validator per schema.

    FAB validates every list/info query argument with ``jsonschema.validate(instance, schema)``,
    which first validates the schema itself against its metaschema and builds a new validator: about
    a third of the CPU of an API list request, for schemas that are module constants of FAB. The
    schemas are checked once here (the first time they are used); the instance is validated exactly
    as ``jsonschema.validate`` does (the same best-matching error).
    """

    ValidationError = jsonschema.ValidationError

    def __init__(self):
        self._validators = {}

    def validate(self, instance, schema):
        key = id(schema)
        entry = self._validators.get(key)
        if entry is None or entry[0] is not schema:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            entry = self._validators[key] = (schema, cls(schema))
        error = jsonschema.exceptions.best_match(entry[1].iter_errors(instance))
        if error is not None:
            raise error


def install_cached_rison_validation():
    """Make FAB's ``@rison`` decorator validate with compiled validators (idempotent)."""
    import flask_appbuilder.api as fab_api

    if not isinstance(fab_api.jsonschema, _CachedJsonSchema):
        fab_api.jsonschema = _CachedJsonSchema()


install_cached_rison_validation()

READ_ONLY_ROUTES = {"get", "get_list", "info"}


class ForeignKeyAwareConverter(Model2SchemaConverter):
    """FAB's schema converter, but keeping plain foreign-key columns such as ``citizenship``.

    marshmallow-sqlalchemy drops inherited fields built from foreign-key columns unless
    ``include_fk`` is set, so FAB's generated schemas lose e.g. a client's ``citizenship`` (an
    ISO code referencing ``country``) and fail with a KeyError. Only listed columns are affected.
    """

    def _meta_schema_factory(self, columns, model, class_mixin, parent_schema_name=None):
        options = {"model": model, "load_instance": True, "include_fk": True,
                   "sqla_session": current_app.appbuilder.session,
                   "parent_schema_name": parent_schema_name}
        if columns:
            options["fields"] = columns
        return type("MetaSchema", (SQLAlchemyAutoSchema, class_mixin),
                    {"Meta": type("Meta", (), options)})


class DomainModelApi(ModelRestApi):
    """A ModelRestApi whose writes obey the partner scope, the model rules and optimistic locking."""

    method_permission_name = READ_WRITE
    model2schemaconverter = ForeignKeyAwareConverter
    #: Partner-owned resources take their partner from the user (or from ``derived_partner_id``).
    partner_owned = False
    #: Relations that may be omitted on POST because the model derives them.
    optional_on_add = ()

    def __init__(self):
        # Lists page by primary key (app.core.listing); the API's ``count`` stays exact.
        self.datamodel = scaled(type(self).datamodel)
        super().__init__()

    def _init_model_schemas(self):
        # Read responses give a related record as its id (CONTRACT.md), not as a nested object
        # (FAB's default, which would also load and expose every column of the related row).
        if self.list_model_schema is None:
            self.list_model_schema = self.model2schemaconverter.convert(
                self.list_columns, nested=False, parent_schema_name=self.list_model_schema_name)
        if self.show_model_schema is None:
            self.show_model_schema = self.model2schemaconverter.convert(
                self.show_columns, nested=False, parent_schema_name=self.show_model_schema_name)
        super()._init_model_schemas()
        require_ids(self.add_model_schema)
        require_ids(self.edit_model_schema)
        optional = set(self.optional_on_add) | ({"partner"} if self.partner_owned else set())
        for name in optional:
            if name in self.add_model_schema.fields:
                self.add_model_schema.fields[name].required = False
        if self.versioned:
            self.edit_model_schema.fields["version"].required = True

    @property
    def versioned(self):
        return "version" in (self.edit_columns or ())

    # -- hooks for subclasses -------------------------------------------------------------------

    # -- write paths ----------------------------------------------------------------------------

    def post_headless(self):
        payload = self._json_payload()
        if payload is None:
            return self.response_400(message=_("The request body must be a JSON object."))
        return self._write(lambda: self._create(payload), status=201)

    def response_500(self, message=None):
        """FAB's ``@safe`` answers every exception of a read with 500; a value the database cannot
        hold (e.g. an integer filter beyond 32 bits on PostgreSQL) is the client's error: 400."""
        error = sys.exc_info()[1]
        while error is not None and not isinstance(error, DataError):  # FAB wraps it (ApplyFilterException)
            error = error.__cause__ or error.__context__
        if isinstance(error, DataError):
            self.datamodel.session.rollback()
            log.warning("data error on %s: %s", request.path, error.orig)
            return self.response_400(message=str(VALUE_OUT_OF_RANGE))
        return super().response_500(message=message)

    def response_404(self):
        """Not found, or another partner's record: the same answer, and the attempt is logged."""
        log_denied(self.datamodel.obj.__name__)
        return super().response_404()

    def put_headless(self, pk):
        payload = self._json_payload()
        if payload is None:
            return self.response_400(message=_("The request body must be a JSON object."))
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        if self.versioned:
            refusal = self._check_version(item, payload)
            if refusal is not None:
                return refusal
        return self._write(lambda: self._update(item, payload), status=200)

    def delete_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def remove():
            self.pre_delete(item)
            self.datamodel.session.delete(item)
            self.datamodel.session.commit()
            self.post_delete(item)
            return {"message": "OK"}

        return self._write(remove, status=200, conflict=IN_USE_MESSAGE)

    def _create(self, payload):
        refuse_non_ids(self.add_model_schema, payload)
        derive = self.partner_owned and payload.get("partner") in (None, "")
        if derive:
            payload.pop("partner", None)
        elif self.partner_owned:
            payload["partner"] = owning_partner_id(payload["partner"])  # one of the user's (then: exists)
        item = self.add_model_schema.load(payload)
        if derive:
            # The model's rule (a case's client's partner, a contact's case's), else the user's only one.
            implied = item.implied_partner_id() if hasattr(item, "implied_partner_id") else None
            item.partner_id = owning_partner_id(implied)
        self.pre_add(item)
        self.datamodel.session.add(item)
        self.datamodel.session.commit()
        self.post_add(item)
        return {"id": self.datamodel.get_pk_value(item),
                "result": self.show_model_schema.dump(item, many=False)}

    def _update(self, item, payload):
        refuse_non_ids(self.edit_model_schema, payload)
        if self.partner_owned and payload.get("partner") not in (None, "", item.partner_id):
            payload["partner"] = owning_partner_id(payload["partner"])
        data = self._merge_update_item(item, payload)
        item = self.edit_model_schema.load(data, instance=item)
        self.pre_update(item)
        self.datamodel.session.commit()
        self.post_update(item)
        return {"id": self.datamodel.get_pk_value(item),
                "result": self.show_model_schema.dump(item, many=False)}

    def _check_version(self, item, payload):
        """Compare the client's version with the stored one before anything is changed."""
        sent = payload.get("version")
        if sent is None:
            return self.response_422(message={"version": [_("The record's version is required.")]})
        if isinstance(sent, bool) or not isinstance(sent, int):
            return self.response_422(message={"version": [_("The version must be a whole number.")]})
        if sent != item.version:
            return self._stale()
        return None

    def _stale(self):
        return self.response(409, message=str(STALE_MESSAGE))

    def _write(self, action, status, conflict=None):
        """Run a write; any refusal rolls the session back and is answered as app.core.refusals maps it
        (the same status and message as in the forms), never with internals."""
        session = self.datamodel.session
        try:
            return self.response(status, **action())
        except ValidationError as err:
            session.rollback()
            return self.response_422(message=err.messages)
        except ScopeError:
            session.rollback()
            return self.response_404()  # logged as a denied attempt
        except REFUSED as err:
            session.rollback()
            refusal = refusal_for(err, **({"conflict": conflict} if conflict else {}), where=f"on {request.path}")
            if refusal.status == 500:
                return self.response_500(message=str(refusal))
            return self.response(refusal.status, **refusal.as_json())

    @staticmethod
    def _json_payload():
        if not request.is_json:
            return None
        payload = request.get_json(silent=True)
        return dict(payload) if isinstance(payload, dict) else None
