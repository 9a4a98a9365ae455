"""The audit trail as people read it: labels instead of table and column names, names instead of ids,
translated enumerations, German dates and local time (Europe/Berlin) instead of UTC.

One formatter for every screen that shows audit events (the audit trail, a record's history tab):

- ``when(event)``, ``actor_label(event)``, ``action_label(action)``, ``table_label(table)``
- ``record_label(table, record_id)`` — "Beratungsfall #4834", a client's name for those who may read it
- ``field_label(table, column)``, ``value_text(table, column, value)``
- ``changes(event)`` — ``[Change(field, label, old, new)]``; ``changes_table(event)`` — the same as HTML

Labels and value formatters are read from the registered UI views (their ``label_columns``,
``formatters_columns`` and ``singular``), so a column is labelled and formatted once, in its view.
Related records are looked up through the scoped session: a record the reader may not see stays a
bare number. Lookups are cached per request; ``prefetch(events)`` reads every record a list of
events will name in one statement per table (the history tab and the Art. 15 report: no N+1).
"""
import re
from collections import namedtuple
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import current_app, g, has_request_context
from flask_babel import LazyString, gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import Date, DateTime, Float, Numeric, inspect as sa_inspect, select

from app.core.display import local_datetime, plain
from app.extensions import db

Change = namedtuple("Change", "field label old new")

ACTIONS = {"insert": _l("created"), "update": _l("changed"), "delete": _l("deleted"),
           "art15": _l("Art. 15 report produced"),  # app.clients.art15.record_production
           "erase": _l("erased (anonymised)"),  # app.clients.erasure
           "withdraw": _l("withdrawn (consent)"),  # app.security.audit._named_action
           # app.security.view_as: start, end and each page seen while viewing as the user
           "viewas": _l("view as: started"), "viewend": _l("view as: ended"), "viewpage": _l("view as: page seen")}
ERASED = _l("erased")

# Tables without a UI view of their own.
_TABLE_LABELS = {
    "consent": _l("Consent"), "consent_text": _l("Consent text"), "membership": _l("Membership"),
    "ab_user": _l("User"),
    "referral": _l("Referral"), "referral_payload": _l("Referral data passed on"),
    "referral_intake": _l("Referral taken over"),
}
# Columns every table may have.
_COMMON_LABELS = {
    "id": _l("Number"), "partner_id": _l("Partner"), "created_at": _l("Created at"),
    "updated_at": _l("Changed at"), "version": _l("Version"), "user_id": _l("User"),
    "role": _l("Role"),
}
# Not worth a line in a change list: bookkeeping that changes with every save.
_SKIPPED = {"version", "updated_at", "created_at"}


def _models_by_table():
    from flask_appbuilder import Model

    return {mapper.class_.__tablename__: mapper.class_ for mapper in Model.registry.mappers
            if hasattr(mapper.class_, "__tablename__")}


def _registry():
    """Per app: table → (model, singular label, {column: label}, {column: formatter})."""
    cache = current_app.extensions.get("iq_audit_format")
    if cache is not None:
        return cache
    models = _models_by_table()
    cache = {table: [model, _TABLE_LABELS.get(table), {}, {}] for table, model in models.items()}
    for view in current_app.appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        model = getattr(datamodel, "obj", None)
        table = getattr(model, "__tablename__", None)
        if table not in cache:
            continue
        entry = cache[table]
        if getattr(view, "singular", None) and entry[1] is None:
            entry[1] = view.singular
        for column, label in (getattr(view, "label_columns", None) or {}).items():
            # FAB's own "Competent Body Id" (a plain str) is no label; the app's labels are lazy
            # strings, kept even where the English text equals FAB's ("Outcome"): the registry is
            # built once, in whatever language the first request has.
            if isinstance(label, LazyString) or str(label) != _prettified(column):
                entry[2].setdefault(column, label)
        for column, formatter in (getattr(view, "formatters_columns", None) or {}).items():
            entry[3].setdefault(column, formatter)
    for entry in cache.values():
        _add_relation_labels(entry)
    current_app.extensions["iq_audit_format"] = cache
    return cache


def _prettified(column):
    return re.sub("[._]", " ", column).title()


def _add_relation_labels(entry):
    """``client_id`` is labelled like the relation ``client`` it belongs to."""
    model, _singular, labels, _formatters = entry
    for relation in sa_inspect(model).relationships:
        if relation.key in labels:
            for column in relation.local_columns:
                labels.setdefault(column.key, labels[relation.key])


def _entry(table):
    return _registry().get(table)


def action_label(action):
    label = ACTIONS.get(action)
    return str(label) if label is not None else (action or "")


def table_label(table):
    entry = _entry(table)
    if entry is not None and entry[1] is not None:
        return str(entry[1])
    return (table or "").replace("_", " ")


def field_label(table, column):
    entry = _entry(table)
    if entry is not None and column in entry[2]:
        return str(entry[2][column])
    if column in _COMMON_LABELS:
        return str(_COMMON_LABELS[column])
    return _prettified(column)


# --- names of related records -------------------------------------------------------------
def _cache():
    if not has_request_context():
        return {}
    if not hasattr(g, "_iq_audit_names"):
        g._iq_audit_names = {}
    return g._iq_audit_names


def _label_of(obj):
    from app.clients.models import Client
    from app.clients.naming import client_label

    if isinstance(obj, Client):
        return client_label(obj)
    if type(obj).__tablename__ == "ab_user":
        full = " ".join(part for part in (obj.first_name, obj.last_name) if part)
        return f"{full} ({obj.username})" if full else obj.username
    return str(obj)


def _lookup(model, pk):
    """The record's label, or None if it is gone or outside the reader's scope."""
    key = (model.__name__, str(pk))
    cache = _cache()
    if key not in cache:
        ident = _ident(pk)
        primary = sa_inspect(model).primary_key[0]
        obj = db.session.execute(select(model).where(primary == ident)).unique().scalar_one_or_none()
        cache[key] = _label_of(obj) if obj is not None else None
    return cache[key]


_PREFETCH_CHUNK = 500


def _ident(pk):
    try:
        return int(pk)
    except (TypeError, ValueError):
        return pk


def _named_by(event):
    """(model, pk) of every record ``event`` shows by name: the record, its related ids, its actor."""
    entry = _entry(event.table_name)
    if entry is None:
        return
    if event.record_id not in (None, ""):
        yield entry[0], event.record_id
    if event.action != "erase":  # an erase event holds field names, never values
        columns = sa_inspect(entry[0]).columns
        for values in (event.old_values or {}, event.new_values or {}):
            for column, value in values.items():
                mapped = columns.get(column)
                if mapped is None or not mapped.foreign_keys or value in (None, ""):
                    continue
                target = _entry(next(iter(mapped.foreign_keys)).column.table.name)
                if target is not None:
                    yield target[0], value
    user_entry = _entry("ab_user")
    if event.user_id is not None and user_entry is not None:
        yield user_entry[0], event.user_id


def prefetch(events):
    """Read the records that ``events`` name (see ``_named_by``) in one statement per table, through
    the scoped session, into the per-request cache; the actors' user rows stay referenced for the
    request so that ``event.user`` is answered from the session without a query."""
    cache = _cache()
    wanted = {}
    for event in events:
        for model, pk in _named_by(event):
            if (model.__name__, str(pk)) not in cache:
                wanted.setdefault(model, set()).add(_ident(pk))
    kept = g.setdefault("_iq_audit_objects", []) if has_request_context() else []
    for model, idents in wanted.items():
        primary = sa_inspect(model).primary_key[0]
        idents = sorted(idents, key=str)
        found = {}
        for start in range(0, len(idents), _PREFETCH_CHUNK):
            chunk = idents[start:start + _PREFETCH_CHUNK]
            for obj in db.session.execute(select(model).where(primary.in_(chunk))).unique().scalars():
                found[str(getattr(obj, primary.key))] = obj
        kept.extend(found.values())
        for ident in idents:
            obj = found.get(str(ident))
            cache[(model.__name__, str(ident))] = _label_of(obj) if obj is not None else None


def record_label(table, record_id):
    """"Beratungsfall #4834 MIGR-…" — the record's own label where it can still be read."""
    entry = _entry(table)
    what = table_label(table)
    if entry is None or record_id in (None, ""):
        return f"{what} #{record_id}"
    name = _lookup(entry[0], record_id)
    if name is None:
        return f"{what} #{record_id}"
    if table == "counselling_case":
        return f"{what} {name}"
    return f"{what} #{record_id}: {name}"


def actor_label(event):
    user = getattr(event, "user", None)
    if user is not None:
        return _label_of(user)
    return event.actor or ""


def when(event):
    """The event's time in local time (stored in UTC)."""
    return local_datetime(event.at)


# --- values ---------------------------------------------------------------------------------
def _typed(column, value):
    """The JSON-stored value back in its Python type (dates came as ISO text, decimals as text)."""
    if not isinstance(value, str):
        return value
    kind = column.type
    try:
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(value)
        if isinstance(kind, Date):
            return date.fromisoformat(value[:10])
        if isinstance(kind, (Numeric, Float)):
            return Decimal(value)
    except (ValueError, InvalidOperation):
        return value
    return value


def _extra_enums():
    from app.clients.consent import CONSENT_MANNERS, CONSENT_PURPOSES
    from app.core.enums import MEMBERSHIP_ROLES

    return {("consent", "purpose"): CONSENT_PURPOSES, ("consent", "given_how"): CONSENT_MANNERS,
            ("membership", "role"): MEMBERSHIP_ROLES}


def value_text(table, column, value):
    """A stored value as the UI shows it: translated, named, in German notation."""
    if value is None or value == "":
        return ""
    entry = _entry(table)
    if entry is None:
        return str(plain(value))
    model, _singular, _labels, formatters = entry
    mapped = sa_inspect(model).columns.get(column)
    if mapped is not None and mapped.foreign_keys:
        target = next(iter(mapped.foreign_keys)).column.table.name
        target_entry = _entry(target)
        name = _lookup(target_entry[0], value) if target_entry is not None else None
        return name if name is not None else f"#{value}"
    enumeration = _extra_enums().get((table, column))
    if enumeration is not None:
        return enumeration.label(value)
    typed = _typed(mapped, value) if mapped is not None else value
    return str(formatters.get(column, plain)(typed))


_CHANGES = ("update", "withdraw")  # actions whose values are old → new of the changed fields


def changes(event):
    """The changed fields of one event, labelled and formatted; for inserts/deletes every set field."""
    table = event.table_name
    old, new = event.old_values or {}, event.new_values or {}
    if event.action == "erase":  # app/clients/erasure.py: the names of the fields, never their values
        return [Change(column, field_label(table, column), "", str(ERASED)) for column in new.get("erased", [])]
    rows = []
    for column in list(dict.fromkeys(list(new) + list(old))):
        if column in _SKIPPED or (column == "id" and event.action not in _CHANGES):
            continue
        before, after = old.get(column), new.get(column)
        if event.action not in _CHANGES and before in (None, "") and after in (None, ""):
            continue
        rows.append(Change(column, field_label(table, column), value_text(table, column, before),
                           value_text(table, column, after)))
    return rows


def changes_table(event):
    """The changes as a small HTML table (field, before, after)."""
    rows = changes(event)
    if not rows:
        return ""
    field, before, after = _("Field"), _("Before"), _("After")
    head = f"<thead><tr><th>{escape(field)}</th><th>{escape(before)}</th><th>{escape(after)}</th></tr></thead>"
    body = "".join(f"<tr><td>{escape(r.label)}</td><td>{escape(r.old)}</td><td>{escape(r.new)}</td></tr>"
                   for r in rows)
    return Markup(f'<table class="table table-condensed iq-audit-changes">{head}<tbody>{body}</tbody></table>')
