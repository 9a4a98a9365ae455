"""Export of cases as Excel-friendly CSV or XLSX, scoped, filtered and streamed in batches.

Rows are read with ``yield_per`` so a large export never holds all cases in memory. The partner
scope (app.security.scoping) restricts the query like every other ORM query: no export code
decides which partners a user may see. Two column sets exist: the personal one for users who may
read clients, and a pseudonymous one for Management (client number instead of names, age band
instead of birth date, no free text, no contact data).
"""
import csv
import io
from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.cases.models import Case
from app.catalogues.countries import country_name
from app.core.enums import (CASE_STATUSES, ENQUIRERS, GENDERS, LEGAL_BASES, NOTICE_RESULTS, OUTCOMES,
                            QUALIFICATION_TYPES, REFERRAL_SOURCES)
from app.funding.models import FundingPeriod
from app.partners.models import Partner

BATCH = 1000
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


def _age_band(case):
    birth = case.client.birth_date
    age = case.opened_on.year - birth.year - ((case.opened_on.month, case.opened_on.day) < (birth.month, birth.day))
    for upper, band in ((24, "15–24"), (34, "25–34"), (44, "35–44"), (54, "45–54")):
        if age <= upper:
            return band
    return "55+"


def _quarter(day):
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _country(code):
    return country_name(code, str(get_locale() or "de")) if code else ""


def _yes_no(value):
    return "" if value is None else (_("yes") if value else _("no"))


def _occupation(case):
    return case.reference_occupation.name if case.reference_occupation else ""


def _body(case):
    return case.competent_body.name if case.competent_body else ""


_COMMON_HEAD = [
    ("Partner", lambda c: c.partner.code),
    ("Fallnummer", lambda c: c.id),
    ("Klientennummer", lambda c: c.client.client_number),
]
_CASE_FACTS = [
    ("Anfragende Stelle", lambda c: ENQUIRERS.label(c.enquirer)),
    ("Zugangsweg", lambda c: REFERRAL_SOURCES.label(c.referral_source)),
]
_QUALIFICATION = [
    ("Art der Qualifikation", lambda c: QUALIFICATION_TYPES.label(c.qualification_type)),
    ("Land der Qualifikation", lambda c: _country(c.qualification_country)),
    ("Abschlussjahr", lambda c: c.qualification_year),
    ("Referenzberuf", _occupation),
    ("Reglementiert", lambda c: _yes_no(c.regulated)),
    ("Rechtsgrundlage", lambda c: LEGAL_BASES.label(c.legal_basis)),
    ("Zuständige Stelle", _body),
    ("Ergebnis", lambda c: OUTCOMES.label(c.outcome)),
    ("Bescheid", lambda c: NOTICE_RESULTS.label(c.notice_result)),
]

PERSONAL_COLUMNS = _COMMON_HEAD + [
    ("Vorname", lambda c: c.client.first_name),
    ("Nachname", lambda c: c.client.last_name),
    ("Geburtsdatum", lambda c: c.client.birth_date),
    ("Geschlecht", lambda c: GENDERS.label(c.client.gender)),
    ("Staatsangehörigkeit", lambda c: _country(c.client.citizenship)),
    ("Förderperiode", lambda c: c.funding_period.code),
    ("Beratungsbeginn", lambda c: c.opened_on),
    ("Abschluss", lambda c: c.closed_on),
    ("Status", lambda c: CASE_STATUSES.label(c.status)),
] + _CASE_FACTS + [("Qualifikation", lambda c: c.qualification_title)] + _QUALIFICATION + [
    ("Notizen", lambda c: c.notes),
]

PSEUDONYMOUS_COLUMNS = _COMMON_HEAD + [
    ("Geschlecht", lambda c: GENDERS.label(c.client.gender)),
    ("Altersgruppe", _age_band),
    ("Staatsangehörigkeit", lambda c: _country(c.client.citizenship)),
    ("Förderperiode", lambda c: c.funding_period.code),
    ("Quartal", lambda c: _quarter(c.opened_on)),
    ("Status", lambda c: CASE_STATUSES.label(c.status)),
] + _CASE_FACTS + _QUALIFICATION


def case_query(session, period="all", partner="all", state="all", list_filters=None):
    """Cases matching the summary filters (codes or ``all``) and FAB list filters, oldest first."""
    query = session.query(Case).options(joinedload(Case.reference_occupation), joinedload(Case.competent_body))
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
    return query.order_by(Case.id).yield_per(BATCH)


def rows(query, columns):
    for case in query:
        yield [neutralise(getter(case)) for _, getter in columns]


def _csv_value(value):
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else value


def csv_chunks(query, columns):
    """UTF-8 with BOM and ``;`` so that Excel opens it directly; yielded in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([header for header, _ in columns])
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
    sheet.append([header for header, _ in columns])
    for values in rows(query, columns):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(target)
