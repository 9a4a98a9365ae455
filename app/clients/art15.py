"""The Art. 15 GDPR report: everything the network holds about one client, as JSON and as PDF.

What it contains (one place, so that the JSON and the PDF cannot drift apart):
the client's fields, its partner, consents, cases with their contacts, the confirmation letters
produced (the letters are not stored: each one is a row of the read-access log with the letter's
path), the audit events of all these records (old → new, including records deleted since), the
read-access log of the client, and the exports with names that may have contained the client (one
access-log row per export, without client): its partner's, and the network-wide exports of Admin
(no partner; read through ``app.security.access_log.network_exports``, a SECURITY DEFINER function
on PostgreSQL) unless their partner filter names another partner.

Who may produce it (the rule lives here, the views only call it): Admin, and a user with a Staff
membership at the client's partner. The client is read through the partner scope, so another
partner's client is not found (404); a user who sees the client but is no Staff member of its
partner (PartnerAdmin) is refused (403). Producing the report is itself audited (action ``art15``)
in its own committed transaction BEFORE the report is sent: no report leaves without its audit event.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, inspect, select
from werkzeug.exceptions import Forbidden, NotFound

from app.core.models import utcnow
from app.security.audit import _plain, request_id
from app.core.display import local_datetime
from app.security.audit_format import field_label, value_text
from app.security.history import client_records, events_of, present
from app.security.access_log import flush as flush_access_log
from app.security.models import AccessLogEntry, AuditEvent, Membership
from app.security.scoping import current_scope, log_denied

FORMATS = ("json", "pdf")
# Columns of a record that are bookkeeping, not data about the person (still in the JSON).
_PDF_SKIPPED = {"id", "version", "partner_id", "client_id", "case_id"}


def load_client(session, client_id):
    """The client, in scope, if the current user may produce its report (NotFound / Forbidden)."""
    from app.clients.models import Client

    client = session.execute(select(Client).where(Client.id == client_id)).unique().scalar_one_or_none()
    if client is None:
        log_denied("Client", None)
        raise NotFound()
    if not may_produce(session, client):
        raise Forbidden()
    return client


def may_produce(session, client):
    """Admin, or Staff of the client's partner (by membership at that partner)."""
    scope = current_scope(session)
    if scope.is_admin:
        return True
    if scope.user_id is None or not scope.allows(client.partner_id):
        return False
    return session.execute(
        select(func.count()).select_from(Membership).where(
            Membership.user_id == scope.user_id, Membership.partner_id == client.partner_id,
            Membership.role == "Staff")
    ).scalar() > 0


def may_produce_on_page(client_id):
    """Jinja global of the client page: show the report buttons to those who may use them."""
    from app.clients.models import Client
    from app.extensions import db

    from app.security.history import scoped_record

    client = scoped_record(db.session, Client, int(client_id))  # the page's record, not a second read
    return client is not None and may_produce(db.session, client)


def _values(obj):
    # Derived keys (``info={"internal": True}``, e.g. the name match keys) are no data of their own.
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs
            if not attr.columns[0].info.get("internal")}


def _events_as_json(events):
    return [{"id": e.id, "at": e.at.isoformat() + "Z", "actor": e.actor, "action": e.action,
             "table": e.table_name, "record_id": e.record_id, "old_values": e.old_values,
             "new_values": e.new_values, "request_id": e.request_id} for e in events]


def _log_as_json(entries):
    return [{"id": r.id, "at": r.at.isoformat() + "Z", "actor": r.actor, "path": r.path,
             "detail": r.detail} for r in entries]


class Art15Report:
    """The facts of one report, read once; ``as_json()`` and ``pdf_context()`` present them."""

    def __init__(self, session, client):
        from app.cases.models import Case, Contact

        self.session = session
        self.client = client
        self.partner = client.partner
        self.produced_at = utcnow()
        self.consents = list(client.consents)
        self.cases = session.execute(
            select(Case).where(Case.client_id == client.id).order_by(Case.opened_on, Case.id)
        ).unique().scalars().all()
        contacts = session.execute(
            select(Contact).where(Contact.case_id.in_([c.id for c in self.cases])).order_by(Contact.date, Contact.id)
        ).unique().scalars().all() if self.cases else []
        self.contacts = {case.id: [c for c in contacts if c.case_id == case.id] for case in self.cases}
        self.events = events_of(session, client_records(session, client, include_deleted=True), newest_first=False)
        flush_access_log()  # this process's batched rows (app/security/access_log.py) belong in it
        self.access_log = session.execute(
            select(AccessLogEntry).where(AccessLogEntry.client_id == client.id)
            .order_by(AccessLogEntry.at, AccessLogEntry.id)
        ).scalars().all()
        self.letters = [r for r in self.access_log if _is_letter(r.path)]
        self.exports = _exports_for(session, client)
        from app.referrals.service import referrals_of_client

        self.referrals = referrals_of_client(session, client)  # recipients (Art. 15(1)(c)): other partners

    # --- JSON ------------------------------------------------------------------------------
    def as_json(self, actor):
        client = self.client
        return {
            "report": {"legal_basis": "GDPR Art. 15", "client_id": client.id,
                       "produced_at": self.produced_at.isoformat() + "Z", "produced_by": actor},
            "partner": {"code": self.partner.code, "name": self.partner.name,
                        "address": self.partner.postal_line},
            "client": _values(client),
            "consents": [_values(c) for c in self.consents],
            "cases": [{**_values(case), "contacts": [_values(c) for c in self.contacts[case.id]]}
                      for case in self.cases],
            "referrals": [{"id": r.id, "to_partner": r.to_partner.name, "referred_on": r.referred_on.isoformat(),
                           "offer": r.offer, "status": r.status, "with_case": r.with_case,
                           "decided_on": r.decided_on.isoformat() if r.decided_on else None}
                          for r in self.referrals],
            "letters": [{"at": r.at.isoformat() + "Z", "actor": r.actor, "case_id": _letter_case(r.path),
                         "path": r.path} for r in self.letters],
            "audit_events": _events_as_json(self.events),
            "access_log": _log_as_json(self.access_log),
            "exports_with_names": _log_as_json(self.exports),
        }

    # --- PDF -------------------------------------------------------------------------------
    def pdf_context(self):
        """Labelled, formatted values in the current language (the caller forces German)."""
        def fields(table, obj):
            return [(field_label(table, column), value_text(table, column, value))
                    for column, value in _values(obj).items()
                    if column not in _PDF_SKIPPED and value not in (None, "")]

        def log_rows(entries):
            return [{"at": local_datetime(r.at), "actor": r.actor, "path": r.path, "detail": r.detail or ""}
                    for r in entries]

        return {
            "client": self.client, "partner": self.partner,
            "produced_at": local_datetime(self.produced_at),
            "client_fields": fields("client", self.client),
            "consents": [fields("consent", c) for c in self.consents],
            "cases": [{"case": case, "fields": fields("counselling_case", case),
                       "contacts": [fields("contact", c) for c in self.contacts[case.id]]}
                      for case in self.cases],
            "referrals": self.referrals,
            "letters": [{"at": local_datetime(r.at), "actor": r.actor, "case_id": _letter_case(r.path)}
                        for r in self.letters],
            "events": present(self.events),
            "access_log": log_rows(self.access_log),
            "exports": log_rows(self.exports),
        }


# Export filters that name no person (kept in the report as they were logged).
_PLAIN_FILTERS = {"period", "partner", "state", "cutoff", "lang", "format"}
_PERSONAL_HINTS = ("name", "mail", "phone", "district", "note", "client", "search", "birth", "street",
                   "postcode", "city", "title", "address", "number")
HIDDEN_FILTER = "…"


def _exports_for(session, client):
    """The exports with names that may have contained the client, since it was recorded: its
    partner's and the network-wide ones (Admin's, no partner), unless their ``partner`` filter names
    another partner. A filter value that may name a person (name, e-mail, search …) is shown only where it
    names this client; otherwise it is replaced by "…" (it may name another person)."""
    from app.security.access_log import client_terms, network_exports, _matches

    own = session.execute(select(AccessLogEntry.id, AccessLogEntry.at, AccessLogEntry.actor, AccessLogEntry.path,
                                 AccessLogEntry.detail).where(
        AccessLogEntry.client_id.is_(None), AccessLogEntry.partner_id == client.partner_id,
        AccessLogEntry.at >= client.created_at)).all()
    rows = [r for r in (*own, *network_exports(session, client)) if _partner_filter_allows(r.detail, client)]
    from app.clients.erasure import client_fields

    terms = client_terms([getattr(client, name) for name in (*client_fields(), "client_number")
                          if isinstance(getattr(client, name), str)])
    return [ExportRow(r.id, r.at, r.actor, r.path, _report_detail(r.detail, terms, _matches))
            for r in sorted(rows, key=lambda r: (r.at, r.id))]


class ExportRow:
    __slots__ = ("id", "at", "actor", "path", "detail")

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values):
            setattr(self, name, value)


def _query_pairs(detail):
    _path, _mark, query = (detail or "").partition("?")
    return [piece.partition("=")[::2] for piece in query.split("&") if piece]


def _partner_filter_allows(detail, client):
    from urllib.parse import unquote_plus

    chosen = [unquote_plus(v).strip() for k, v in _query_pairs(detail) if k == "partner"]
    return not chosen or all(v in ("", "all", client.partner.code) for v in chosen)


def _report_detail(detail, terms, matches):
    if not detail or "?" not in detail:
        return detail
    path, _mark, query = detail.partition("?")
    pieces = []
    for piece in query.split("&"):
        name, eq, value = piece.partition("=")
        hidden = (name not in _PLAIN_FILTERS and any(h in name.lower() for h in _PERSONAL_HINTS)
                  and value and not matches(value, terms))
        pieces.append(f"{name}={HIDDEN_FILTER}" if hidden else piece)
    return f"{path}?{'&'.join(pieces)}"


def _is_letter(path):
    return path.startswith("/cases/") and path.endswith("/confirmation.pdf")


def _letter_case(path):
    middle = path[len("/cases/"):-len("/confirmation.pdf")]
    return int(middle) if middle.isdigit() else None


def record_production(session, client, fmt, language=None):
    """Audit the production of the report (committed now, before anything is sent)."""
    scope = current_scope(session)
    session.execute(insert(AuditEvent.__table__).values(
        at=utcnow(), user_id=scope.user_id, actor=(scope.label or "system")[:100], action="art15",
        table_name="client", record_id=str(client.id), partner_id=client.partner_id,
        old_values=None, new_values={"format": fmt, **({"language": language} if language else {})},
        request_id=request_id(),
    ))
    session.commit()


SECTION_TITLES = {
    "client": _l("Personal data"), "consents": _l("Consents"), "cases": _l("Cases and contacts"),
    "letters": _l("Letters produced"), "events": _l("Changes (audit trail)"),
    "referrals": _l("Passed on to other partners (referrals)"),
    "access_log": _l("Who displayed the data (read-access log)"),
    "exports": _l("Exports with names of the partner's clients"),
}

