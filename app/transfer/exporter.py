"""Export of cases as Excel-friendly CSV or XLSX, scoped, filtered and streamed in batches.

Rows are read as plain column tuples (no ORM objects, so the identity map does not grow and no
relationship is lazy-loaded per row), ``BATCH`` at a time with ``yield_per``. The statement is still
an ORM query over ``Case``, so the partner scope (app.security.scoping, ``do_orm_execute`` ->
``with_loader_criteria``, also on the joined aliases) restricts it like every other query: no export
code decides which partners a user may see. Two column sets exist: the personal one for users who
may read clients, and a pseudonymous one for Management (client number instead of names, age band
instead of birth date, no free text, no contact data); only the fields a set shows are selected.
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


def csv_chunks(query, columns):
    """UTF-8 with BOM and ``;`` so that Excel opens it directly; yielded in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([column.header for column in columns])
    for number, values in enumerate(rows(query, columns), start=1):
        writer.writerow([_csv_value(v) for v in values])
        if number % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(query, columns, target):
    """A write-only workbook (rows go to disk as they come) saved into the file object ``target``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Cases"))
    sheet.append([column.header for column in columns])
    for values in rows(query, columns):
        # Only dates need a cell of their own (for the number format); plain values are cheaper.
        sheet.append([_date_cell(sheet, WriteOnlyCell, v) if isinstance(v, date) else v for v in values])
    workbook.save(target)


def _date_cell(sheet, cell_class, value):
    cell = cell_class(sheet, value=value)
    cell.number_format = "DD.MM.YYYY"
    return cell
