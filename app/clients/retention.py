"""Retention: every client carries ``delete_after``; past that day the client is erased (Art. 17).

The rule (config ``IQ_RETENTION_YEARS``, ``IQ_RETENTION_FROM``, README "Data protection"):

* the client's last contact is its latest contact date, else the latest opening or closing day of
  its cases, else the day the client was recorded;
* ``programme_end`` (default): ``IQ_RETENTION_YEARS`` (default 10) after the later of the last
  contact and the programme end (``IQ_PROGRAMME_END``, 31.12.2014): the funder's keeping period;
* ``last_contact``: ``IQ_RETENTION_YEARS`` after the last contact.

The date is derived, never entered: a ``before_flush`` hook keeps it up to date whenever a client, a
case or a contact is written (UI, quick entry, API, import, CLI alike); ``refresh_dates`` re-derives
every client's date in bulk (demo data, a changed configuration). ``run`` (``flask --app app iq
retention``) erases every client whose date has passed through the erasure service, as the system.
"""
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.orm import Session

from app.cases.models import Case, Contact
from app.clients.models import Client
from app.core.errors import DomainError

FROM_CHOICES = ("programme_end", "last_contact")


def _settings():
    from config import Config

    source = current_app.config if has_app_context() else vars(Config)
    years = int(source.get("RETENTION_YEARS", Config.RETENTION_YEARS))
    basis = source.get("RETENTION_FROM", Config.RETENTION_FROM)
    if basis not in FROM_CHOICES:
        raise ValueError(f"IQ_RETENTION_FROM must be one of {', '.join(FROM_CHOICES)}, not {basis!r}")
    end = source.get("PROGRAMME_END", Config.PROGRAMME_END)
    return years, basis, end


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without one
        return day.replace(year=day.year + years, day=28)


def delete_after_for(last_contact):
    """The delete-after day for a client whose last contact was ``last_contact``."""
    years, basis, programme_end = _settings()
    base = max(last_contact, programme_end) if basis == "programme_end" else last_contact
    return _add_years(base, years)


def _last_contact(session, client):
    """From the objects as they are about to be written (pending contacts count, deleted ones not)."""
    gone = session.deleted
    cases = [item for item in client.cases if item not in gone]
    contact_days = [contact.date for item in cases for contact in item.contacts
                    if contact not in gone and contact.date]
    if contact_days:
        return max(contact_days)
    case_days = [item.closed_on or item.opened_on for item in cases if item.opened_on]
    if case_days:
        return max(case_days)
    return client.created_at.date() if client.created_at else date.today()


def _related(session, obj, name, model):
    related = getattr(obj, name)
    if related is None and getattr(obj, f"{name}_id", None) is not None:
        related = session.get(model, getattr(obj, f"{name}_id"))
    return related


@event.listens_for(Session, "before_flush")
def _keep_delete_after_current(session, flush_context, instances):
    clients = set()
    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if isinstance(obj, Client):
                clients.add(obj)
            elif isinstance(obj, Case):
                clients.add(_related(session, obj, "client", Client))
            elif isinstance(obj, Contact):
                parent = _related(session, obj, "case", Case)
                clients.add(parent.client if parent is not None else None)
        for client in clients:
            if client is None or client in session.deleted or client.erased_at is not None:
                continue
            due = delete_after_for(_last_contact(session, client))
            if client.delete_after != due:
                client.delete_after = due


def _last_contacts(session):
    """``{client id: last contact}`` for every client not erased, in SQL (GROUP BY)."""
    contact_days = dict(session.execute(
        select(Case.client_id, func.max(Contact.date)).join(Contact, Contact.case_id == Case.id)
        .group_by(Case.client_id)).all())
    case_days = dict(session.execute(
        select(Case.client_id, func.max(func.coalesce(Case.closed_on, Case.opened_on)))
        .group_by(Case.client_id)).all())
    result = {}
    for client_id, created, stored in session.execute(
            select(Client.id, Client.created_at, Client.delete_after).where(Client.erased_at.is_(None))):
        day = contact_days.get(client_id)
        if day is None:
            day = case_days.get(client_id) or (created.date() if created else date.today())
        result[client_id] = (day, stored)
    return result


def refresh_dates(session):
    """Re-derive every (not erased) client's delete-after day; returns how many changed.

    Derived values: written without an audit event per client and without a version change.
    """
    changes = []
    for client_id, (last, stored) in _last_contacts(session).items():
        due = delete_after_for(last)
        if due != stored:
            changes.append({"cid": client_id, "due": due})
    table = Client.__table__
    statement = update(table).where(table.c.id == bindparam("cid")).values(delete_after=bindparam("due"))
    connection = session.connection()
    for start in range(0, len(changes), 5000):
        connection.execute(statement, changes[start:start + 5000])
    for obj in session.identity_map.values():
        if isinstance(obj, Client):
            session.expire(obj, ["delete_after"])
    return len(changes)


def _due(on):
    return (Client.erased_at.is_(None), Client.delete_after.is_not(None), Client.delete_after < (on or date.today()))


def due_clients(session, on=None, limit=None):
    """Clients (not erased) whose delete-after day lies before ``on`` (default today), with their
    number of open cases; read through the partner scope."""
    open_cases = (select(func.count(Case.id)).where(Case.client_id == Client.id, Case.status == "open")
                  .correlate(Client).scalar_subquery())
    stmt = select(Client, open_cases.label("open_cases")).where(*_due(on)).order_by(Client.delete_after, Client.id)
    return session.execute(stmt.limit(limit) if limit else stmt).all()


def count_due(session, on=None):
    return session.scalar(select(func.count(Client.id)).where(*_due(on)))


@dataclass
class RetentionResult:
    refreshed: int = 0
    erased: list = field(default_factory=list)  # (client number before, partner code, delete_after)
    skipped: list = field(default_factory=list)  # (client number, partner code, delete_after, reason)


def run(session, dry_run=False, on=None):
    """Refresh the dates, then erase every due client (each in its own transaction).

    A client with open cases is skipped with the reason. ``dry_run`` rolls everything back: the
    result says what a run would do, and the database is unchanged.
    """
    from app.clients.erasure import check_erasable, erase_by_retention

    held = set(session.identity_map.keys())  # the caller's objects stay in the session

    def release():
        # A commit or rollback expires every object the session holds; without this each client's
        # step got slower as the run went on (2,000 demo clients: 223 s, then 105 s, mostly fsync).
        for key, obj in list(session.identity_map.items()):
            if key not in held:
                session.expunge(obj)

    result = RetentionResult(refreshed=refresh_dates(session))
    due = due_clients(session, on)
    if dry_run:
        for client, _open in due:
            try:
                check_erasable(session, client)
                result.erased.append((client.client_number, client.partner.code, client.delete_after))
            except DomainError as error:
                result.skipped.append((client.client_number, client.partner.code, client.delete_after, str(error)))
        session.rollback()
        return result
    due_ids = [client.id for client, _open in due]
    session.commit()
    for client_id in due_ids:
        release()
        client = session.get(Client, client_id)
        number, partner, day = client.client_number, client.partner.code, client.delete_after
        try:
            erase_by_retention(session, client)
            session.commit()
            result.erased.append((number, partner, day))
        except DomainError as error:
            session.rollback()
            result.skipped.append((number, partner, day, str(error)))
    release()
    return result
