"""The choices of a list's search form for reference tables, read once per minute, not per page (issue 10).

A list page renders its search form with every filter's field, so FAB reads each related table that
a select offers (funding periods, partners, 107 reference occupations on the case list) on every
page: three of its statements. Those tables are reference data that is not partner-owned and
changes rarely (Admin only), so their choices are kept per application and UI language as plain
``(id, label)`` pairs — no ORM objects, which would expire with the request's session — for
``TTL`` seconds. A flush or an ORM ``insert/update/delete`` of such a table in this process drops
its choices at once; another worker process shows a change within ``TTL`` seconds.

Add and edit forms offer the same cached choices (``CachedRelationField``: two statements and some
150 ORM objects less per case form), but what a form submits is resolved by primary key in the
request's session, so a record created a moment ago in another worker is accepted and a deleted one
refused, whatever the cache holds. Partner-owned related tables (``PartnerScoped``) and relations a
view restricts (``*_query_rel_fields``) never go through here: their choices depend on the user's
scope or the view.
"""
import threading
import time
import uuid
from typing import NamedTuple

from flask import current_app, has_app_context
from flask_babel import get_locale
from flask_appbuilder.fields import QuerySelectField
from sqlalchemy import event
from sqlalchemy.orm import Session
from wtforms.validators import ValidationError

#: Seconds a choice list is kept.
TTL = 60.0

_lock = threading.Lock()
_cache = {}  # (app token, model name, language) -> (expires at, [Choice, ...])
_cached_models = set()
#: Counts every change of the kept lists (a list read anew, or dropped): what is rendered from them
#: (app.core.search_widget) is kept under the generation it was rendered in.
_generation = [0]


def generation():
    return _generation[0]


def kept_until():
    """When the first of the kept lists expires (monotonic clock): nothing rendered from them may be
    kept longer (then a list is read anew and the generation changes)."""
    with _lock:
        return min((hit[0] for hit in _cache.values()), default=time.monotonic() + TTL)


class Choice(NamedTuple):
    pk: str
    label: str

    def __str__(self):
        return self.label


def _app_token():
    """One token per application object (tests build many applications over different databases)."""
    if not has_app_context():
        return None
    extensions = current_app.extensions
    if "iq_choices" not in extensions:
        extensions["iq_choices"] = uuid.uuid4().hex
    return extensions["iq_choices"]


def cached_choices(model, query_func, pk_func):
    """A ``query_func`` for FAB's ``QuerySelectField``: the cached ``Choice`` list of ``model``."""
    name = model.__name__
    _cached_models.add(name)

    def choices():
        token = _app_token()
        if token is None:
            return [Choice(str(pk_func(obj)), str(obj)) for obj in query_func()]
        key = (token, name, str(get_locale() or ""))
        now = time.monotonic()
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        items = [Choice(str(pk_func(obj)), str(obj)) for obj in query_func()]
        with _lock:
            _cache[key] = (now + TTL, items)
            _generation[0] += 1
        return items

    choices.iq_kept = True  # app.core.search_widget: these choices are the same for every user
    return choices


def forget(model_name=None):
    """Drop the cached choices of one model (all models without a name)."""
    with _lock:
        _generation[0] += 1
        for key in [key for key in _cache if model_name is None or key[1] == model_name]:
            _cache.pop(key, None)


@event.listens_for(Session, "after_flush")
def _forget_flushed(session, flush_context):
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        name = type(obj).__name__
        if name in _cached_models:
            forget(name)


@event.listens_for(Session, "do_orm_execute")
def _forget_bulk(state):
    if state.is_insert or state.is_update or state.is_delete:
        for mapper in state.all_mappers:
            if mapper.class_.__name__ in _cached_models:
                forget(mapper.class_.__name__)


class CachedRelationField(QuerySelectField):
    """FAB's many-to-one select (checked against FAB 5.3.0's ``QuerySelectField``) offering the cached
    ``Choice`` list of a reference table; its data stays the ORM record (what ``populate_obj`` sets),
    the submitted id is read by primary key (``session.get``)."""

    def __init__(self, label=None, validators=None, model=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.model = model
        self._record_pk = kwargs["get_pk_func"]
        self._cached = cached_choices(model, kwargs["query_func"], kwargs["get_pk_func"])

    def iter_choices(self):
        data = self.data
        current = None if data is None else str(self._record_pk(data))
        if self.allow_blank:
            yield ("__None", self.blank_text, current is None, {})
        for choice in self._cached():
            yield (choice.pk, choice.label, choice.pk == current, {})

    def _get_data(self):
        if self._formdata is not None:
            from app.extensions import db

            try:
                record = db.session.get(self.model, int(self._formdata))
            except (TypeError, ValueError):
                record = None
            if record is not None:
                self._set_data(record)
        return self._data

    data = property(_get_data, QuerySelectField._set_data)

    def pre_validate(self, form):
        if self.data is None and (self._formdata or not self.allow_blank):
            raise ValidationError(self.gettext("Not a valid choice"))


def kept_relation_model(datamodel, name, excluded=()):
    """The related model whose choices a form's relation select ``name`` may take from this cache:
    a reference table (not ``PartnerScoped``, whose choices depend on the user's scope) that the view
    neither restricts nor chooses itself (``excluded``). None otherwise."""
    from app.core.models import PartnerScoped

    model = datamodel.get_related_model(name) if datamodel.is_relation(name) else None
    if model is None or name in excluded or issubclass(model, PartnerScoped):
        return None
    return model


def cache_relation_choices(form, datamodel, excluded):
    """Turn the form's relation selects of reference tables (not partner-owned) into
    ``CachedRelationField``s, except the names in ``excluded`` (relations the view restricts or
    declares a field of its own for). ``form``: FAB's form class, as ``_init_forms`` built it."""
    from wtforms.fields.core import UnboundField

    for name, unbound in list(vars(form).items()):
        if not (isinstance(unbound, UnboundField) and unbound.field_class is QuerySelectField):
            continue
        model = kept_relation_model(datamodel, name, excluded)
        if model is None:
            continue
        replacement = UnboundField(CachedRelationField, *unbound.args, model=model, **unbound.kwargs)
        replacement.creation_counter = unbound.creation_counter  # keep the field order
        setattr(form, name, replacement)
