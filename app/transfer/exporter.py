"""Export of cases as Excel-friendly CSV or XLSX, scoped, filtered and streamed in constant memory.

The rows come from one SELECT of plain columns (no ORM objects), built as an ORM query over
``Case``, so the partner scope (app.security.scoping: the ``with_loader_criteria`` of every
partner-owned model, also on the joined aliases, and PostgreSQL's row-level security) restricts it
like every other query: no export code decides which partners a user may see. Two column sets
exist: the personal one for users who may read clients, and a pseudonymous one for Management
(client number instead of names, age band instead of birth date, no free text, no contact data);
only the fields a set shows are selected.

Both formats are streamed (the response starts at once and never holds the file):

- on PostgreSQL the database formats each row (CSV line or XLSX ``<row>``) and sends it with COPY
  (``streams.copy_rows``): 1M cases in about 10 s, where formatting in Python managed ~20,000
  rows/s (CSV) and openpyxl ~3,500 rows/s (XLSX);
- elsewhere (SQLite) Python formats the rows, ``BATCH`` at a time with ``yield_per``.

Both paths yield the same bytes (a test on PostgreSQL compares them).
"""
import csv
import io
from datetime import date
from functools import lru_cache

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.cases.models import Case
from app.catalogues.countries import country_name
from app.catalogues.models import CompetentBody, ReferenceOccupation
from app.clients.models import Client
from app.core.enums import (CASE_STATUSES, ENQUIRERS, GENDERS, LEGAL_BASES, NOTICE_RESULTS, OUTCOMES,
                            QUALIFICATION_TYPES, REFERRAL_SOURCES)
from app.funding.models import FundingPeriod
from app.partners.models import Partner
from app.transfer import streams

BATCH = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Columns of the case list that can filter an export like FAB's list filters (``_flt_<op>_<col>``).
FILTER_COLUMNS = ["opened_on", "closed_on", "status", "enquirer", "referral_source", "qualification_type",
                  "qualification_country", "reference_occupation", "regulated", "outcome", "notice_result",
                  "funding_period", "partner", "client"]


class ExportFilterError(ValueError):
    """A summary filter (period, partner, state) names nothing that exists."""


def neutralise(value):
    """Spreadsheet formula injection: a text cell starting with = + - @ (or tab/CR) is made literal."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


_AGE_BAND_CELLS = {"under_25": "15–24", "25_34": "25–34", "35_44": "35–44", "45_54": "45–54", "55_plus": "55+"}


def _age_band(band):
    """The case's stored age band at its opening (kept when the client is erased)."""
    return _AGE_BAND_CELLS.get(band, "")


def _quarter(day):
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _country(code):
    return country_name(code, str(get_locale() or "de")) if code else ""


def _yes_no(value):
    return "" if value is None else (_("yes") if value else _("no"))


def _plain(value):
    return value


def _or_blank(value):
    return "" if value is None else value


def _occupation(name_de, name_en):
    """ReferenceOccupation.name, from the two selected columns (the property cannot be selected)."""
    if name_de is None:
        return ""
    return name_en if str(get_locale() or "de").startswith("en") else name_de


@lru_cache(maxsize=1)
def _fields():
    """The selectable fields by name: Case and the aliases joined in ``case_query``.

    Built on first use, not at import, so that aliasing does not configure the mappers early."""
    partner, client, period = aliased(Partner), aliased(Client), aliased(FundingPeriod)
    occupation, body = aliased(ReferenceOccupation), aliased(CompetentBody)
    fields = {
        "partner": partner.code, "id": Case.id, "client_number": client.client_number,
        "first_name": client.first_name, "last_name": client.last_name, "birth_date": client.birth_date,
        "street": client.street, "postcode": client.postcode, "city": client.city,
        "gender": client.gender, "citizenship": client.citizenship, "period": period.code,
        "opened_on": Case.opened_on, "closed_on": Case.closed_on, "status": Case.status,
        "enquirer": Case.enquirer, "referral_source": Case.referral_source,
        "qualification_title": Case.qualification_title, "qualification_type": Case.qualification_type,
        "qualification_country": Case.qualification_country, "qualification_year": Case.qualification_year,
        "occupation_de": occupation.name_de, "occupation_en": occupation.name_en, "regulated": Case.regulated,
        "legal_basis": Case.legal_basis, "body": body.name, "outcome": Case.outcome,
        "notice_result": Case.notice_result, "notes": Case.notes, "age_band": Case.age_band,
    }
    joins = {"partner": (partner, partner.id == Case.partner_id), "client": (client, client.id == Case.client_id),
             "period": (period, period.id == Case.funding_period_id),
             "occupation": (occupation, occupation.id == Case.reference_occupation_id),
             "body": (body, body.id == Case.competent_body_id)}
    return fields, joins


class Column:
    """One export column: header, the fields it reads, how they become a cell.

    ``coded`` columns (enum labels, countries, yes/no) take few distinct values, so their text is
    computed once per value and export instead of once per row.
    """

    def __init__(self, header, fields, format=_plain, coded=False):
        self.header = header
        self.fields = (fields,) if isinstance(fields, str) else tuple(fields)
        self.format = format
        self.coded = coded


_COMMON_HEAD = [
    Column("Partner", "partner"),
    Column("Fallnummer", "id"),
    Column("Klientennummer", "client_number"),
]
_CASE_FACTS = [
    Column("Anfragende Stelle", "enquirer", ENQUIRERS.label, coded=True),
    Column("Zugangsweg", "referral_source", REFERRAL_SOURCES.label, coded=True),
]
_QUALIFICATION = [
    Column("Art der Qualifikation", "qualification_type", QUALIFICATION_TYPES.label, coded=True),
    Column("Land der Qualifikation", "qualification_country", _country, coded=True),
    Column("Abschlussjahr", "qualification_year"),
    Column("Referenzberuf", ("occupation_de", "occupation_en"), _occupation),
    Column("Reglementiert", "regulated", _yes_no, coded=True),
    Column("Rechtsgrundlage", "legal_basis", LEGAL_BASES.label, coded=True),
    Column("Zuständige Stelle", "body", _or_blank),
    Column("Ergebnis", "outcome", OUTCOMES.label, coded=True),
    Column("Bescheid", "notice_result", NOTICE_RESULTS.label, coded=True),
]

PERSONAL_COLUMNS = _COMMON_HEAD + [
    Column("Vorname", "first_name"),
    Column("Nachname", "last_name"),
    Column("Geburtsdatum", "birth_date"),
    Column("Geschlecht", "gender", GENDERS.label, coded=True),
    Column("Staatsangehörigkeit", "citizenship", _country, coded=True),
    Column("Straße", "street"),
    Column("PLZ", "postcode"),
    Column("Ort", "city"),
    Column("Förderperiode", "period"),
    Column("Beratungsbeginn", "opened_on"),
    Column("Abschluss", "closed_on"),
    Column("Status", "status", CASE_STATUSES.label, coded=True),
] + _CASE_FACTS + [Column("Qualifikation", "qualification_title")] + _QUALIFICATION + [
    Column("Notizen", "notes"),
]

PSEUDONYMOUS_COLUMNS = _COMMON_HEAD + [
    Column("Geschlecht", "gender", GENDERS.label, coded=True),
    Column("Altersgruppe", "age_band", _age_band, coded=True),
    Column("Staatsangehörigkeit", "citizenship", _country, coded=True),
    Column("Förderperiode", "period"),
    Column("Quartal", "opened_on", _quarter),
    Column("Status", "status", CASE_STATUSES.label, coded=True),
] + _CASE_FACTS + _QUALIFICATION


def case_query(session, columns, period="all", partner="all", state="all", list_filters=None):
    """Rows (tuples of the fields ``columns`` read) of the cases matching the summary filters (codes or
    ``all``) and FAB list filters, oldest first, fetched ``BATCH`` at a time."""
    query = session.query(Case)
    if period not in (None, "", "all"):
        period_id = session.execute(select(FundingPeriod.id).where(FundingPeriod.code == period)).scalar()
        if period_id is None:
            raise ExportFilterError(_("Unknown funding period “%(code)s”.", code=period))
        query = query.filter(Case.funding_period_id == period_id)
    if partner not in (None, "", "all"):
        partner_id = session.execute(select(Partner.id).where(Partner.code == partner)).scalar()
        if partner_id is None:
            raise ExportFilterError(_("Unknown partner “%(code)s”.", code=partner))
        query = query.filter(Case.partner_id == partner_id)
    if state not in (None, "", "all"):
        if state not in ("MV", "ST"):
            raise ExportFilterError(_("Unknown state “%(code)s”.", code=state))
        query = query.filter(Case.partner_id.in_(select(Partner.id).where(Partner.state == state)))
    if list_filters is not None:
        query = list_filters.apply_all(query)
    names = _field_names(columns)
    fields, joins = _fields()
    query = query.with_entities(*(fields[name].label(name) for name in names))
    for join in ("partner", "client", "period"):
        query = query.join(*joins[join])
    query = query.outerjoin(*joins["occupation"]).outerjoin(*joins["body"])
    return query.order_by(Case.id).yield_per(BATCH)


def _field_names(columns):
    names = []
    for column in columns:
        names.extend(name for name in column.fields if name not in names)
    return names


def rows(query, columns):
    """Cell values per case; coded columns are formatted once per distinct value."""
    names = _field_names(columns)
    plan = []
    for column in columns:
        positions = tuple(names.index(name) for name in column.fields)
        plan.append((positions, column.format, {} if column.coded else None))
    for row in query:
        values = []
        for positions, format, memo in plan:
            if len(positions) == 1:
                raw = row[positions[0]]
                if memo is None:
                    value = raw if format is _plain else format(raw)
                else:
                    value = memo.get(raw)
                    if value is None:
                        value = memo[raw] = format(raw)
            else:
                value = format(*(row[p] for p in positions))
            values.append(neutralise(value))
        yield values


def _csv_value(value):
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else value


def _on_postgresql(query):
    return query.session.get_bind().dialect.name == "postgresql"


def csv_chunks(query, columns):
    """UTF-8 with BOM and ``;`` so that Excel opens it directly; yielded in batches."""
    yield ("\ufeff" + ";".join(streams.csv_field(c.header) for c in columns) + "\r\n").encode("utf-8")
    if _on_postgresql(query):
        plan = database_rows(columns, "csv")
        if plan is not None:
            yield from streams.copy_rows(query.session, query.statement, plan, BATCH)
            return
    yield from python_csv_chunks(query, columns)


def python_csv_chunks(query, columns):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for number, values in enumerate(rows(query, columns), start=1):
        writer.writerow([_csv_value(v) for v in values])
        if number % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(query, columns):
    """A one-sheet workbook, streamed: dates are date cells (DD.MM.YYYY), numbers numbers, text
    inline strings (a formula is never written: text starting with = + - @ is neutralised)."""
    return streams.xlsx_chunks(_("Cases"), _xlsx_rows(query, columns))


def _xlsx_rows(query, columns):
    yield streams.xlsx_row([column.header for column in columns]).encode("utf-8")
    if _on_postgresql(query):
        plan = database_rows(columns, "xlsx")
        if plan is not None:
            yield from streams.copy_rows(query.session, query.statement, plan, BATCH)
            return
    yield from python_xlsx_rows(query, columns)


def python_xlsx_rows(query, columns):
    batch = []
    for values in rows(query, columns):
        batch.append(streams.xlsx_row(values))
        if len(batch) >= BATCH:
            yield "".join(batch).encode("utf-8")
            batch = []
    yield "".join(batch).encode("utf-8")


# --- the same cells, formatted by PostgreSQL ----------------------------------------------------------

def _domain(format):
    """The keys a coded column can hold, and whether an unknown key is shown as itself."""
    owner = getattr(format, "__self__", None)
    if owner is not None and getattr(format, "__name__", "") == "label" and hasattr(owner, "keys"):
        return owner.keys, True  # Enumeration.label: an unknown key is shown as it is
    if format is _country:
        from app.catalogues.countries import _territories

        return list(_territories()), True  # country_name: an unknown code is shown as it is
    if format is _yes_no:
        return [True, False], False
    if format is _age_band:
        return list(_AGE_BAND_CELLS), False
    raise streams.Unsupported(format)


def _key(value):
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def database_rows(columns, kind):
    """The outer SELECT that formats ``columns`` as ``rows`` + ``neutralise`` + the writer would
    (``kind`` "csv" or "xlsx"), or None if a column's format is not known here (Python then)."""
    from sqlalchemy import Date, Integer, String, Text

    fields, _joins = _fields()
    row = streams.SqlRow(kind)
    english = str(get_locale() or "de").startswith("en")
    try:
        for column in columns:
            refs = [f'q."{name}"' for name in column.fields]
            format = column.format
            if column.coded:
                keys, raw_fallback = _domain(format)
                row.coded(refs[0], {_key(k): neutralise(format(k)) for k in keys}, neutralise(format(None)),
                          raw_fallback)
            elif format is _occupation:
                chosen = refs[1] if english else refs[0]
                row.add(f"(CASE WHEN {refs[0]} IS NULL THEN NULL ELSE {chosen} END)", "text")
            elif format is _quarter:
                day = refs[0]
                row.add(f"(extract(year FROM {day})::int::text || '-Q' || extract(quarter FROM {day})::int::text)",
                        "text")
            elif format in (_plain, _or_blank):
                kind_of = fields[column.fields[0]].type
                if isinstance(kind_of, Integer):
                    row.add(refs[0], "int")
                elif isinstance(kind_of, Date):
                    row.add(refs[0], "date")
                elif isinstance(kind_of, (String, Text)):
                    row.add(refs[0], "text")
                else:
                    raise streams.Unsupported(kind_of)
            else:
                raise streams.Unsupported(format)
    except streams.Unsupported:
        return None
    return row
