"""Audit trail: every insert, update and delete of a domain record, in the same transaction.

Written from an ``after_flush`` hook so that the UI, the API, the CLI and the importer are all
covered without code of their own; the event rows go in through the flush's own connection.
"""
import uuid
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from app.core.models import utcnow

# Tables whose changes are not audited: the audit table itself and FAB's bookkeeping (roles and
# permissions are declared in code). User accounts (``ab_user``) are audited: see ``_user_rows``.
_SKIP_PREFIXES = ("ab_",)
_SKIP_TABLES = {"audit_event", "access_log", "alembic_version"}
_USER_TABLE = "ab_user"
# Secrets never enter the audit trail: a change of one is recorded as "changed", never its value.
_REDACTED = {"password", "security_stamp", "view_as_stamp"}
_SECRET_WORDS = ("password", "stamp", "secret", "token")
CHANGED = "changed"
# Account bookkeeping that changes on every login: no event of its own.
# The security stamp (app.security.sessions) changes at every login and logout; the changes that
# matter with it (password, active) are recorded themselves.
_USER_NOISE = {"last_login", "login_count", "fail_login_count", "changed_on", "created_on", "changed_by_fk",
               "created_by_fk", "security_stamp", "view_as_stamp"}


def request_id():
    if not has_request_context():
        return None
    rid = getattr(g, "request_id", None)
    if rid is None:
        rid = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        g.request_id = rid[:64]
    return g.request_id


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _columns(obj):
    """Columns marked ``info={"internal": True}`` (derived keys, e.g. a client's name match keys) are
    left out: they repeat other values and would only copy personal data into the trail."""
    return [attr for attr in inspect(obj).mapper.column_attrs if not attr.columns[0].info.get("internal")]


def _snapshot(obj):
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in _columns(obj)
        if attr.key not in _REDACTED
    }


def _changes(obj):
    state = inspect(obj)
    old, new = {}, {}
    for attr in _columns(obj):
        if attr.key in _REDACTED or attr.key in ("updated_at", "version"):
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            old[attr.key] = _plain(history.deleted[0]) if history.deleted else None
            new[attr.key] = _plain(history.added[0]) if history.added else None
    return old, new


def _redact(obj, values):
    """A model's ``audit_redacted`` fields appear as "changed" (set) or null, never with their value."""
    keys = getattr(type(obj), "audit_redacted", ())
    if not values or not keys:
        return values
    return {k: ((CHANGED if v not in (None, "") else None) if k in keys else v) for k, v in values.items()}


def _audited(obj):
    table = getattr(type(obj), "__tablename__", "")
    return table and table not in _SKIP_TABLES and not table.startswith(_SKIP_PREFIXES)


def _secret(key):
    return any(word in key.lower() for word in _SECRET_WORDS)


def _user_values(obj, action):
    """old, new of a user account: columns (secrets as "changed") and its FAB roles."""
    state = inspect(obj)
    old, new = {}, {}
    for attr in _columns(obj):
        key = attr.key
        if key in _USER_NOISE:
            continue
        if action == "update":
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            if _secret(key):
                new[key] = CHANGED
            else:
                old[key] = _plain(history.deleted[0]) if history.deleted else None
                new[key] = _plain(history.added[0]) if history.added else None
        else:
            raw = getattr(obj, key)
            (new if action == "insert" else old)[key] = (CHANGED if raw else None) if _secret(key) else _plain(raw)
    roles = state.attrs["roles"].history
    before = sorted(r.name for r in list(roles.unchanged or ()) + list(roles.deleted or ()))
    after = sorted(r.name for r in list(roles.unchanged or ()) + list(roles.added or ()))
    if action == "insert":
        new["roles"] = after
    elif action == "delete":
        old["roles"] = before
    elif before != after:
        old["roles"], new["roles"] = before, after
    if action == "insert":
        return None, new
    if action == "delete":
        return old, None
    return old, new


def _user_partners(session, user_id, scope):
    """The partners a change of this user concerns: its memberships (also those deleted in the same
    flush), as far as the acting user may write audit rows for them (its aggregate scope; every
    partner for the network Admin). A user of no partner: one network-wide row (Admin only)."""
    from sqlalchemy import select

    from app.security.models import Membership

    partners = set(session.connection().execute(
        select(Membership.partner_id).where(Membership.user_id == user_id)).scalars())
    partners |= {m.partner_id for m in session.deleted if isinstance(m, Membership) and m.user_id == user_id}
    if scope.aggregate_ids is not None:
        partners &= scope.aggregate_ids
        return sorted(partners)
    return sorted(partners) or [None]


def _user_rows(session, objects):
    from app.security.scoping import current_scope

    rows = []
    scope = current_scope()
    for action, obj in objects:
        old, new = _user_values(obj, action)
        if action == "update" and not new:
            continue
        for partner_id in _user_partners(session, obj.id, scope):
            rows.append({"at": utcnow(), "action": action, "table_name": _USER_TABLE, "record_id": str(obj.id),
                         "partner_id": partner_id, "old_values": old, "new_values": new})
    return rows


def _actor():
    from app.security.scoping import current_scope

    user = getattr(g, "user", None) if has_request_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, user.username
    scope = current_scope()
    return scope.user_id, scope.label or "system"


WITHDRAWN = "withdraw"  # audit_event.action is String(8)


def _named_action(obj, action, old, new):
    """An update that withdraws a consent (sets ``withdrawn_on``) is its own action, ``withdraw``
    (GDPR Art. 7(3): the withdrawal is visible as such in the history and the audit API)."""
    if (action == "update" and type(obj).__tablename__ == "consent" and (new or {}).get("withdrawn_on")
            and not (old or {}).get("withdrawn_on")):
        return WITHDRAWN
    return action


@event.listens_for(Session, "after_flush")
def _record(session, flush_context):
    from app.security.models import AuditEvent

    rows, users = [], []
    for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if getattr(type(obj), "__tablename__", "") == _USER_TABLE:
                users.append((action, obj))
                continue
            if not _audited(obj):
                continue
            if action == "insert":
                old, new = None, _snapshot(obj)
            elif action == "delete":
                old, new = _snapshot(obj), None
            else:
                old, new = _changes(obj)
                if not new:
                    continue
            pk = inspect(obj).mapper.primary_key_from_instance(obj)
            old, new = _redact(obj, old), _redact(obj, new)
            # A record of two partners (a referral) is in both partners' audit trails.
            sides = getattr(obj, "audit_partner_ids", None)
            partner_ids = sides() if sides is not None else [
                obj.id if type(obj).__tablename__ == "partner" else getattr(obj, "partner_id", None)]
            for partner_id in partner_ids:
                rows.append(
                    {
                        "at": utcnow(),
                        "action": _named_action(obj, action, old, new),
                        "table_name": type(obj).__tablename__,
                        "record_id": ",".join(str(part) for part in pk),
                        "partner_id": partner_id,
                        "old_values": old,
                        "new_values": new,
                    }
                )
    if users:
        rows += _user_rows(session, users)
    if not rows:
        return
    user_id, actor = _actor()
    rid = request_id()
    for row in rows:
        row.update(user_id=user_id, actor=actor[:100], request_id=rid)
    session.connection().execute(AuditEvent.__table__.insert(), rows)


def _keep_old_value(target, value, oldvalue, initiator):
    return value


@event.listens_for(Mapper, "mapper_configured")
def _track_old_values(mapper, class_):
    """Load the previous value when an expired attribute is set, so updates log old → new."""
    table = getattr(class_, "__tablename__", "")
    if not table or table in _SKIP_TABLES or (table.startswith(_SKIP_PREFIXES) and table != _USER_TABLE):
        return
    for attr in mapper.column_attrs:
        event.listen(getattr(class_, attr.key), "set", _keep_old_value, active_history=True, retval=True)


def write_events(session, events):
    """Append events written outside the ORM flush (e.g. the erasure's bulk updates).

    ``events``: dicts with action, table_name, record_id, partner_id, old_values, new_values; the
    actor, time and request id are added as for every other event.
    """
    from app.security.models import AuditEvent

    if not events:
        return
    user_id, actor = _actor()
    rid, now = request_id(), utcnow()
    rows = [dict(event, at=now, user_id=user_id, actor=actor[:100], request_id=rid) for event in events]
    session.connection().execute(AuditEvent.__table__.insert(), rows)


def scrub_values(session, table_name, record_ids, keys, replacements=None):
    """Blank ``keys`` in the old and new values of every event of these records (GDPR Art. 17).

    The events stay (who changed what, when); the values of those fields become null, or the
    value in ``replacements`` (e.g. a new pseudonymous number). Returns the number of events changed.
    """
    from sqlalchemy import select, update

    from app.security.models import AuditEvent

    table = AuditEvent.__table__
    record_ids = [str(r) for r in record_ids]
    keys = set(keys)
    replacements = replacements or {}
    if not record_ids or not keys:
        return 0
    connection = session.connection()
    changed = 0
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start:start + 500]
        rows = connection.execute(
            select(table.c.id, table.c.old_values, table.c.new_values)
            .where(table.c.table_name == table_name, table.c.record_id.in_(chunk))
        ).all()
        for event_id, old, new in rows:
            values = {}
            for column, data in (("old_values", old), ("new_values", new)):
                if isinstance(data, dict) and keys & data.keys():
                    values[column] = {k: (replacements.get(k) if k in keys else v) for k, v in data.items()}
            if values:
                connection.execute(update(table).where(table.c.id == event_id).values(**values))
                changed += 1
    return changed
