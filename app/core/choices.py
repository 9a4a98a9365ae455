"""The choices of a list's search form for reference tables, read once per minute, not per page (issue 10).

A list page renders its search form with every filter's field, so FAB reads each related table that
a select offers (funding periods, partners, 107 reference occupations on the case list) on every
page: three of its statements. Those tables are reference data that is not partner-owned and
changes rarely (Admin only), so their choices are kept per application and UI language as plain
``(id, label)`` pairs — no ORM objects, which would expire with the request's session — for
``TTL`` seconds. A flush or an ORM ``insert/update/delete`` of such a table in this process drops
its choices at once; another worker process shows a change within ``TTL`` seconds. Only the search
form uses this: add and edit forms still read their choices per request, inside the partner scope.
Partner-owned related tables (``PartnerScoped``) never go through here: their choices depend on
the user's scope.
"""
import threading
import time
import uuid
from typing import NamedTuple

from flask import current_app, has_app_context
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

#: Seconds a choice list is kept.
TTL = 60.0

_lock = threading.Lock()
_cache = {}  # (app token, model name, language) -> (expires at, [Choice, ...])
_cached_models = set()


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
        return items

    return choices


def forget(model_name=None):
    """Drop the cached choices of one model (all models without a name)."""
    with _lock:
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
