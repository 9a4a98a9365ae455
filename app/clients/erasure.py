"""Erasure keeping the statistics (GDPR Art. 17): a client is anonymised, its figures stay.

Two steps: a request (Staff of the client's partner, or Admin), then the confirmation by a SECOND
person (Staff of that partner, or Admin; never the requester), which anonymises in the caller's one
transaction: the client's names, birth date, contact data and address, the free text of its cases
(and contacts), a new pseudonymous number, and the same values inside the audit trail's old/new
values of those records. What the statistics count stays: partner, gender, citizenship, countries,
residence state, year of entry, status and language fields, the cases' dates, categories,
occupations and outcomes, and each case's age band at its opening (``Case.age_band``, stored when
the case is saved), so the summaries give the same numbers before and after.

The retention run (``app.clients.retention``) calls ``erase_client`` directly, as the system.
Nothing here commits: the caller commits or rolls back, so nothing is ever half-anonymised.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, func, select, update
from sqlalchemy.orm import relationship

from app.cases.models import Case, Contact
from app.clients.models import PERSONAL_FIELDS, Client, new_client_number
from app.core.errors import DomainError
from app.core.models import PartnerOwned, utcnow
from app.security import access_log, audit
from flask_appbuilder import Model

# Address fields of the client, erased where the model has them (CONTRACT.md: street, postcode, city).
ADDRESS_FIELDS = ("street", "postcode", "city")
# Free text of cases and contacts: may name the person, never counted.
CASE_TEXT_FIELDS = ("notes", "qualification_title")
# The names' match keys (app.clients.duplicates): personal data too, blanked with the names; derived, so
# neither in the audit trail nor in the history's list of erased fields.
MATCH_KEY_FIELDS = ("name_key", "name_skeleton")
CONTACT_TEXT_FIELDS = tuple(name for name in ("notes", "note", "summary") if hasattr(Contact, name))


def client_fields():
    """The client columns the erasure empties (every personal field, and the address)."""
    return tuple(name for name in dict.fromkeys(PERSONAL_FIELDS + ADDRESS_FIELDS)
                 if name in Client.__table__.c)


MAY_NOT = _l("Only counselling staff of the client's partner or an administrator may erase a client.")


class ErasureRequest(PartnerOwned, Model):
    """One erasure of one client: requested, then confirmed by a second person (or the retention run)."""

    __tablename__ = "erasure_request"
    __table_args__ = ({"sqlite_autoincrement": True},)  # ids are never reused (audit); migration d9e0f1a2b3c4

    id = Column(Integer, primary_key=True)
    client_id = Column(Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False, index=True)
    client = relationship("Client")
    source = Column(String(12), nullable=False, default="request")  # request | retention
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    requested_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    confirmed_at = Column(DateTime)
    confirmed_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])

    @property
    def done(self):
        return self.confirmed_at is not None

    def __str__(self):
        return f"erasure #{self.id} of client #{self.client_id}"


def open_request(session, client):
    return session.scalar(select(ErasureRequest).where(
        ErasureRequest.client_id == client.id, ErasureRequest.confirmed_at.is_(None)))


def may_erase(session, user, client):
    """Admin, or a user whose membership at the client's partner is Staff."""
    from app.security.models import Membership

    if user is None:
        return False
    if any(role.name == "Admin" for role in user.roles):
        return True
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.user_id == user.id, Membership.partner_id == client.partner_id,
        Membership.role == "Staff")) > 0


def check_erasable(session, client):
    """Refuse an erased client, or one with open cases (their counselling is still going on)."""
    if client.erased_at is not None:
        raise DomainError(_l("This client has already been erased."))
    open_cases = session.scalars(select(Case.id).where(Case.client_id == client.id, Case.status == "open")
                                 .order_by(Case.id)).all()
    if open_cases:
        raise DomainError(_l("The client still has open cases (%(cases)s); close them before the erasure.",
                             cases=", ".join(f"#{n}" for n in open_cases)))


def request_erasure(session, client, user):
    """Step 1: record the request. Returns the ErasureRequest (not committed)."""
    if not may_erase(session, user, client):
        raise DomainError(MAY_NOT)
    check_erasable(session, client)
    pending = open_request(session, client)
    if pending is not None:
        raise DomainError(_l("The erasure of this client has already been requested; a second person "
                             "must confirm it."))
    erasure = ErasureRequest(client_id=client.id, partner_id=client.partner_id, requested_by_id=user.id)
    session.add(erasure)
    session.flush()
    return erasure


def confirm_erasure(session, client, user):
    """Step 2: a second person confirms; the client is anonymised. Returns the ErasureRequest."""
    if not may_erase(session, user, client):
        raise DomainError(MAY_NOT)
    check_erasable(session, client)
    pending = open_request(session, client)
    if pending is None:
        raise DomainError(_l("No erasure of this client has been requested."))
    if pending.requested_by_id == user.id:
        raise DomainError(_l("The erasure must be confirmed by a second person, not by the person who "
                             "requested it."))
    erase_client(session, client)
    pending.confirmed_by_id = user.id
    pending.confirmed_at = utcnow()
    session.flush()
    return pending


def erase_by_retention(session, client):
    """The automated run: no two-person step, recorded as the system."""
    erase_client(session, client)
    erasure = ErasureRequest(client_id=client.id, partner_id=client.partner_id, source="retention",
                             confirmed_at=utcnow())
    session.add(erasure)
    session.flush()
    return erasure


def _case_ids(session, client):
    """The client's cases, including deleted ones the audit trail still speaks of."""
    from app.security.models import AuditEvent

    ids = set(session.scalars(select(Case.id).where(Case.client_id == client.id)))
    events = AuditEvent.__table__
    for column in (events.c.new_values, events.c.old_values):
        ids.update(int(r) for r in session.connection().execute(
            select(events.c.record_id).where(
                events.c.table_name == Case.__tablename__, events.c.partner_id == client.partner_id,
                column["client_id"].as_integer() == client.id)).scalars())
    return sorted(ids)


def _contact_ids(session, case_ids):
    from app.security.models import AuditEvent

    if not case_ids:
        return []
    ids = set(session.scalars(select(Contact.id).where(Contact.case_id.in_(case_ids))))
    if CONTACT_TEXT_FIELDS:
        events = AuditEvent.__table__
        for column in (events.c.new_values, events.c.old_values):
            ids.update(int(r) for r in session.connection().execute(
                select(events.c.record_id).where(
                    events.c.table_name == Contact.__tablename__,
                    column["case_id"].as_integer().in_(case_ids))).scalars())
    return sorted(ids)


def erase_client(session, client):
    """Anonymise ``client`` in the session's transaction (the caller commits). Irreversible."""
    check_erasable(session, client)
    session.flush()
    now = utcnow()
    fields = client_fields()
    # The values that may appear in the read-access log's export filters, read before blanking.
    named = [getattr(client, name) for name in fields if isinstance(getattr(client, name), str)]
    named.append(client.client_number)
    number = new_client_number(client.partner.code)
    while session.scalar(select(func.count()).select_from(Client).where(
            Client.partner_id == client.partner_id, Client.client_number == number)):
        number = new_client_number(client.partner.code)
    case_ids = _case_ids(session, client)
    contact_ids = _contact_ids(session, case_ids)
    live_cases = session.scalars(select(Case.id).where(Case.client_id == client.id)).all()

    # Before the client's fields are emptied: PostgreSQL's function for the network-wide rows reads them.
    access_log.redact(session, client, named)
    from app.referrals.service import erase as erase_referrals

    erase_referrals(session, client)  # initials, reasons and the payload's personal values of its referrals
    connection = session.connection()
    clients = Client.__table__
    connection.execute(update(clients).where(clients.c.id == client.id).values(
        **{name: None for name in fields}, client_number=number, erased_at=now, delete_after=None,
        **{name: None for name in MATCH_KEY_FIELDS},
        version=clients.c.version + 1, updated_at=now))
    cases = Case.__table__
    if live_cases:
        connection.execute(update(cases).where(cases.c.id.in_(live_cases)).values(
            **{name: None for name in CASE_TEXT_FIELDS}, version=cases.c.version + 1, updated_at=now))
    if CONTACT_TEXT_FIELDS and contact_ids:
        contacts = Contact.__table__
        connection.execute(update(contacts).where(contacts.c.id.in_(contact_ids)).values(
            **{name: None for name in CONTACT_TEXT_FIELDS}, updated_at=now))

    audit.scrub_values(session, Client.__tablename__, [client.id], fields + ("client_number",),
                       replacements={"client_number": number})
    audit.scrub_values(session, Case.__tablename__, case_ids, CASE_TEXT_FIELDS)
    audit.scrub_values(session, Contact.__tablename__, contact_ids, CONTACT_TEXT_FIELDS)
    erased = {"erased": list(fields)}
    audit.write_events(session, [
        {"action": "erase", "table_name": Client.__tablename__, "record_id": str(client.id),
         "partner_id": client.partner_id, "old_values": None, "new_values": erased},
        *({"action": "erase", "table_name": Case.__tablename__, "record_id": str(case_id),
           "partner_id": client.partner_id, "old_values": None,
           "new_values": {"erased": list(CASE_TEXT_FIELDS)}} for case_id in live_cases),
    ])
    # The objects in the session must not write the old values back.
    session.expire(client)
    for case in list(session.identity_map.values()):
        if isinstance(case, (Case, Contact)) and getattr(case, "id", None) in (
                live_cases if isinstance(case, Case) else contact_ids):
            session.expire(case)
