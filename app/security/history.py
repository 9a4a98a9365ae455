"""Which audit events belong to a client or a case: the record itself and the records under it.

A client's history is the events of the client row, its consents, its cases and their contacts; a
case's history the case and its contacts. Events are found by (table, record id) through the index
``ix_audit_event_table_record`` and read through the partner scope like every AuditEvent query.

Records deleted since (a deleted contact or case) no longer have a row that names their id. The
Art. 15 report must still list their events, so ``include_deleted`` also looks for delete events
whose old values name the client (cases, consents) or one of its cases (contacts); that reads the
JSON of the partner's delete events (one statement per level; the Art. 15 report and the
"Verlauf" tab of client and case pages use it).
"""
from sqlalchemy import and_, or_, select

from app.security.models import AuditEvent

MAX_PAGE_EVENTS = 500  # the history tab; the Art. 15 report has no limit


def _ids(session, statement):
    return [str(i) for i in session.execute(statement).scalars()]


def client_records(session, client, include_deleted=False):
    """{table_name: [record ids]} of everything stored under the client."""
    from app.cases.models import Case, Contact
    from app.clients.consent import Consent

    case_ids = _ids(session, select(Case.id).where(Case.client_id == client.id))
    records = {
        "client": [str(client.id)],
        "consent": _ids(session, select(Consent.id).where(Consent.client_id == client.id)),
        "counselling_case": case_ids,
        "contact": _ids(session, select(Contact.id).where(Contact.case_id.in_([int(i) for i in case_ids])))
        if case_ids else [],
    }
    if include_deleted:
        gone = _deleted(session, client.partner_id, ("counselling_case", "consent"), "client_id", [client.id])
        for table, ids in gone.items():
            records[table] = sorted(set(records[table]) | ids, key=int)
        all_case_ids = [int(i) for i in records["counselling_case"]]
        if all_case_ids:
            gone = _deleted(session, client.partner_id, ("contact",), "case_id", all_case_ids)
            records["contact"] = sorted(set(records["contact"]) | gone.get("contact", set()), key=int)
    return records


def case_records(session, case, include_deleted=False):
    from app.cases.models import Contact

    records = {
        "counselling_case": [str(case.id)],
        "contact": _ids(session, select(Contact.id).where(Contact.case_id == case.id)),
    }
    if include_deleted:
        gone = _deleted(session, case.partner_id, ("contact",), "case_id", [case.id])
        records["contact"] = sorted(set(records["contact"]) | gone.get("contact", set()), key=int)
    return records


def _deleted(session, partner_id, tables, key, values):
    """Record ids of delete events in ``tables`` whose old ``key`` is one of ``values``."""
    statement = select(AuditEvent.table_name, AuditEvent.record_id).where(
        AuditEvent.partner_id == partner_id, AuditEvent.action == "delete",
        AuditEvent.table_name.in_(tables), AuditEvent.old_values[key].as_integer().in_(values),
    )
    found = {}
    for table, record_id in session.execute(statement):
        found.setdefault(table, set()).add(record_id)
    return found


def events_of(session, records, limit=None, newest_first=True):
    """The audit events of the given records, in time order."""
    conditions = [and_(AuditEvent.table_name == table, AuditEvent.record_id.in_(ids))
                  for table, ids in records.items() if ids]
    if not conditions:
        return []
    order = (AuditEvent.at.desc(), AuditEvent.id.desc()) if newest_first else (AuditEvent.at, AuditEvent.id)
    statement = select(AuditEvent).where(or_(*conditions)).order_by(*order)
    if limit:
        statement = statement.limit(limit)
    return session.execute(statement).scalars().all()


class ShownEvent:
    """One event as the history tab and the Art. 15 report show it (app.security.audit_format)."""

    def __init__(self, event):
        from app.security import audit_format as fmt

        self.id, self.action = event.id, event.action
        self.at = fmt.when(event)
        self.actor = fmt.actor_label(event)
        self.action_label = fmt.action_label(event.action)
        self.record_label = fmt.record_label(event.table_name, event.record_id)
        self.changes = fmt.changes(event)


def present(events):
    from app.security import audit_format

    audit_format.prefetch(events)  # every name the events show, one statement per table
    return [ShownEvent(event) for event in events]


class PageHistory:
    """What the "Verlauf" tab shows: formatted events (newest first), whether more exist, the zone."""

    def __init__(self, events, truncated, zone, record=None):
        self.events, self.truncated, self.zone, self.record = events, truncated, zone, record


def scoped_record(session, model, pk):
    """The record through the partner scope. A show page has just loaded it (through the scope):
    then it is taken from the session's identity map, checked explicitly against the same partner
    set the ORM criteria use (``Session.get`` alone would skip that check), instead of a second read."""
    from app.security.scoping import current_scope

    record = session.identity_map.get(session.identity_key(model, pk))
    if record is not None:
        ids = current_scope(session).ids_for(getattr(model, "scope_kind", "personal"))
        return record if ids is None or record.partner_id in ids else None
    return session.execute(select(model).where(model.id == pk)).unique().scalar_one_or_none()


def record_history(kind, pk):
    """The "Verlauf" of a client or case (``app.security.history_views``).

    The record is read through the partner scope (the page itself already was); a record that is
    not found has no history to show.
    """
    from flask import current_app

    from app.cases.models import Case
    from app.clients.models import Client
    from app.extensions import db
    session = db.session
    model = {"client": Client, "case": Case}[kind]
    record = scoped_record(session, model, int(pk))
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin")
    if record is None:
        return PageHistory([], False, zone)
    # Deleted records too (a deleted contact or case): their delete event shows the values they had.
    records = (client_records(session, record, include_deleted=True) if kind == "client"
               else case_records(session, record, include_deleted=True))
    events = events_of(session, records, limit=MAX_PAGE_EVENTS + 1)
    return PageHistory(present(events[:MAX_PAGE_EVENTS]), len(events) > MAX_PAGE_EVENTS, zone, record)
