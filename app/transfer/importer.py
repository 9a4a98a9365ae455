"""Import of clients and cases: every row is validated by the model layer, then all rows or none.

Each row becomes real ``Client``/``Case`` (and optionally first ``Contact``) objects, so the rules
are exactly those of the UI and the API (``@validates`` and ``validate()`` raising DomainError). The
objects are flushed in batches inside ONE transaction, which is committed only if no row has an
error and it is not a dry run; otherwise it is rolled back and nothing is written.

The owning partner is a parameter chosen from the user (``owning_partner_id`` in the UI,
``--partner`` in the CLI); a partner column in the file is ignored.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from app.cases.models import Case, Contact
from app.clients.consent_service import record_consent
from app.clients.duplicates import Candidates, check_new_client
from app.clients.models import Client
from app.core.errors import DomainError
from app.core.refusals import refusal_for
from app.partners.models import Partner
from app.transfer.columns import BY_HEADER, CLIENT_NUMBER, COLUMNS, IGNORED_HEADERS, normalise_header
from app.transfer.readers import FileRefused, read_upload
from app.transfer.values import CellError, Lookups

BATCH_SIZE = 500
_HEADER_OF_FIELD = {c.field: c.header for c in COLUMNS}
# Rules that concern a relation rather than one cell are shown at the cell that causes them.
_HEADER_OF_FIELD.update(funding_period="Beratungsbeginn", client=CLIENT_NUMBER, date="Beratungsbeginn")


class _Abort(Exception):
    """The transaction failed in the database; it is rolled back and no further row is read."""


@dataclass
class RowError:
    row: int | None
    column: str
    message: object

    def __str__(self):
        where = _l("row %(row)s", row=self.row) if self.row else _l("file")
        return f"{where}, {self.column or '-'}: {self.message}"


@dataclass
class RowHint:
    """A new client of the row was possibly counselled at another partner (app.clients.duplicates)."""

    row: int
    hint: object

    @property
    def partner(self):
        return self.hint.partner_name

    @property
    def message(self):
        return self.hint.message

    def __str__(self):
        return f"{_l('row %(row)s', row=self.row)}: {self.message}"


@dataclass
class ImportResult:
    rows: int = 0
    clients: int = 0
    cases: int = 0
    contacts: int = 0
    dry_run: bool = False
    committed: bool = False
    errors: list = field(default_factory=list)
    hints: list = field(default_factory=list)  # RowHint: shown, never blocking

    @property
    def ok(self):
        return not self.errors


def import_file(session, filename, data, partner_id, dry_run=False):
    """Read, validate and (unless ``dry_run`` or any error) commit; raises FileRefused for bad files."""
    sheet = read_upload(filename, data)
    return Importer(session, partner_id).run(sheet, dry_run)


class Importer:
    def __init__(self, session, partner_id):
        self.session = session
        self.partner = session.get(Partner, partner_id)
        if self.partner is None:
            raise FileRefused(_l("Unknown partner."))
        self.lookups = Lookups(session)
        self.result = ImportResult()
        self.clients_in_file = {}
        self.pending = []

    # --- the whole file ---------------------------------------------------------------------

    def run(self, sheet, dry_run):
        self.result.dry_run = dry_run
        columns = self._map_headers(sheet.headers)
        existing = self._existing_clients(columns, sheet.rows)
        self.candidates = self._duplicate_candidates(columns, sheet.rows)
        try:
            with self.session.no_autoflush:
                for number, values in sheet.rows:
                    self._import_row(number, self._cells(columns, values), existing)
                    if len(self.pending) >= BATCH_SIZE and self.result.ok:
                        self._flush()
            if self.result.ok:
                self._flush()
            else:
                for number, case in self.pending:  # rows read before the first error, not yet flushed
                    self._validate_case(number, case)
        except _Abort:
            return self.result
        except BaseException:
            self.session.rollback()
            raise
        self.result.errors.sort(key=lambda e: e.row or 0)
        if self.result.ok and not dry_run:
            self.session.commit()
            self.result.committed = True
        else:
            self.session.rollback()
        return self.result

    def _flush(self):
        """Flush the batch: the model's before-flush hook validates every case once.

        If the hook refuses one, the batch's cases are validated one by one to name every refused
        row; from then on each row is validated as it is read (nothing will be written anyway).
        Database constraints are checked too; a failure there refuses the whole file.
        """
        try:
            self.session.flush()
        except DomainError as error:
            found = sum(not self._validate_case(number, case) for number, case in self.pending)
            if not found:  # refused by a rule outside the cases of this batch
                self.result.errors.append(RowError(None, _HEADER_OF_FIELD.get(error.field, ""), error.message))
        except (IntegrityError, DataError) as error:  # worded like every refused write (app.core.refusals)
            self.session.rollback()
            self.result.errors.append(RowError(None, "", refusal_for(error, where="in an import").message))
            raise _Abort() from None
        self.pending = []

    def _validate_case(self, number, case):
        try:
            case.validate()
        except DomainError as error:
            self._error(number, _HEADER_OF_FIELD.get(error.field, ""), error.message)
            return False
        return True

    def _map_headers(self, headers):
        columns, unknown, seen = [], [], set()
        for header in headers:
            key = normalise_header(header)
            column = BY_HEADER.get(key)
            if column is None and key and key not in IGNORED_HEADERS:
                unknown.append(str(header))
            if column is not None:
                if column.field in seen:
                    raise FileRefused(_l("The column “%(column)s” appears twice.", column=column.header))
                seen.add(column.field)
            columns.append(column)
        if unknown:
            raise FileRefused(_l("Unknown columns: %(columns)s. Please use the template.",
                                 columns=", ".join(unknown)))
        required = {"opened_on"} | ({"birth_date", "citizenship"}
                                    if "client_number" not in seen else set())
        missing = [_HEADER_OF_FIELD[f] for f in sorted(required - seen)]
        if missing:
            raise FileRefused(_l("Required columns are missing: %(columns)s.", columns=", ".join(missing)))
        return columns

    @staticmethod
    def _cells(columns, values):
        return [(column, values[i] if i < len(values) else None)
                for i, column in enumerate(columns) if column is not None]

    def _existing_clients(self, columns, rows):
        """The clients named by number in the file, loaded in a few queries (not one per row)."""
        if not any(c is not None and c.field == "client_number" for c in columns):
            return {}
        index = next(i for i, c in enumerate(columns) if c is not None and c.field == "client_number")
        numbers = sorted({str(v[index]).strip() for _, v in rows if index < len(v) and v[index] not in (None, "")})
        found = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            query = select(Client).where(Client.partner_id == self.partner.id, Client.client_number.in_(chunk))
            found.update({c.client_number: c for c in self.session.execute(query).scalars()})
        return found

    def _duplicate_candidates(self, columns, rows):
        """The partner's clients that a new client of the file could duplicate (same birth date), read
        before anything is written: the file's own clients are not compared with each other."""
        index = next((i for i, c in enumerate(columns) if c is not None and c.field == "birth_date"), None)
        days = set()
        for _number, values in rows if index is not None else ():
            try:
                days.add(self.lookups.parse(columns[index], values[index] if index < len(values) else None))
            except CellError:
                pass
        return Candidates(self.session, self.partner.id, days)

    # --- one row ------------------------------------------------------------------------------

    def _import_row(self, number, cells, existing):
        self.result.rows += 1
        errors_before = len(self.result.errors)
        parsed = {"link": {}, "client": {}, "case": {}, "contact": {}, "consent": {}}
        for column, raw in cells:
            try:
                parsed[column.target][column.field] = self.lookups.parse(column, raw)
            except CellError as error:
                self._error(number, column.header, error.message)
        if len(self.result.errors) > errors_before:
            return
        client, is_new = self._client(number, parsed["link"].get("client_number"), parsed["client"], existing,
                                      parsed["consent"], bool(parsed["link"].get("create_anyway")))
        case = self._case(number, client, parsed["case"])  # built even without a client: all errors of the row
        contact = self._contact(number, case, parsed["contact"])
        if client is None or len(self.result.errors) > errors_before:
            return
        self.session.add(case)
        try:
            if is_new:
                client.validate()
            if contact is not None:
                contact.validate()
        except DomainError as error:
            self._error(number, _HEADER_OF_FIELD.get(error.field, ""), error.message)
            return
        if self.result.ok:
            self.pending.append((number, case))  # validated by the next batch flush
        elif not self._validate_case(number, case):
            return
        self.result.cases += 1
        self.result.clients += int(is_new)
        self.result.contacts += int(contact is not None)

    def _client(self, number, client_number, fields, existing, consent, create_anyway=False):
        if client_number:
            client = existing.get(client_number)
            if client is None:
                self._error(number, CLIENT_NUMBER,
                            _l("Your partner has no client with the number “%(number)s”.", number=client_number))
            return client, False
        key = (str(fields.get("first_name") or "").casefold(), str(fields.get("last_name") or "").casefold(),
               fields.get("birth_date"))
        named = bool(key[0] or key[1])  # anonymous rows are different people, never merged
        if named and key in self.clients_in_file:
            return self.clients_in_file[key], False
        client = Client(partner=self.partner, partner_id=self.partner.id)
        fields.setdefault("gender", None)
        fields["gender"] = fields["gender"] or "not_stated"
        for name in ("first_name", "last_name", "citizenship"):
            fields.setdefault(name, None)
        if not self._assign(number, client, fields) or not self._consent(number, client, consent):
            return None, False
        try:
            hints = check_new_client(self.session, client, confirmed=create_anyway, candidates=self.candidates)
        except DomainError as error:
            self._error(number, _HEADER_OF_FIELD[error.field], error.message)
            return None, False
        self.result.hints.extend(RowHint(number, hint) for hint in hints)
        if named:
            self.clients_in_file[key] = client
        return client, True

    def _consent(self, number, client, values):
        """The new client's counselling consent (columns "Einwilligung …"), recorded before the
        client's rules run, so that its names are accepted (app.clients.consent)."""
        if not values.get("given_on"):
            if values.get("given_how") or values.get("text_version"):
                self._error(number, _HEADER_OF_FIELD["given_on"], _l("The date of the consent is required."))
                return False
            return True
        if not values.get("given_how"):
            self._error(number, _HEADER_OF_FIELD["given_how"],
                        _l("Say how the consent was given (signed form, verbal or e-mail)."))
            return False
        try:
            consent = record_consent(self.session, client, "counselling", values["given_on"], values["given_how"],
                                     values.get("text_version"))
            with self.session.no_autoflush:
                consent.validate()
        except DomainError as error:
            self._error(number, _HEADER_OF_FIELD.get(error.field, _HEADER_OF_FIELD["given_on"]), error.message)
            return False
        return True

    def _case(self, number, client, fields):
        case = Case(partner=self.partner, partner_id=self.partner.id, client=client)  # counsellor: Counselled
        occupation = fields.get("reference_occupation")
        if occupation is not None:
            # The catalogue prefills what the file leaves empty, as the entry form does.
            if fields.get("regulated") is None:
                fields["regulated"] = occupation.regulated
            if fields.get("legal_basis") is None:
                fields["legal_basis"] = occupation.legal_basis
            case.competent_body = occupation.competent_body_for(self.partner.state)
        self._assign(number, case, fields)
        return case

    def _contact(self, number, case, fields):
        if not fields.get("channel"):
            return None
        contact = Contact(case=case, partner=self.partner, partner_id=self.partner.id, date=case.opened_on,
                          kind="first_contact")
        self._assign(number, contact, fields)
        return contact

    def _assign(self, number, obj, fields):
        """Set each field through the model's own validators, one error per refused cell."""
        ok = True
        for name, value in fields.items():
            try:
                setattr(obj, name, value)
            except DomainError as error:
                self._error(number, _HEADER_OF_FIELD.get(name, ""), error.message)
                ok = False
        return ok

    def _error(self, number, header, message):
        self.result.errors.append(RowError(number, header, message))
