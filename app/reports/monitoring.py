"""The quarterly monitoring workbook for the funders (XLSX), in the structure of the national IQ
documentation of recognition counselling (the f-bb "Auswertungsbericht"): one sheet per table.

Columns: each partner of the report, each state (the sum of its partners) and the total (the sum of
the states), each as a count and a column percentage. Small cells are hidden by the management
summary's one rule (``Table.protect`` in app/reports/tables.py), applied down every column and along
every sum across a row (partners → state, states → total), so no hidden cell follows from a total.
The workbook is written by openpyxl in write-only mode into a temporary file, never held in memory.
Call inside ``flask_babel.force_locale``.
"""
import tempfile
from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy import func, select
from werkzeug.exceptions import BadRequest, NotFound

from app.catalogues.models import Country, ReferenceOccupation
from app.cases.models import AGE_BANDS
from app.core.enums import (CHANNELS, CONTACT_KINDS, ENQUIRERS, GENDERS, NOTICE_RESULTS, OUTCOMES,
                            REFERRAL_SOURCES, STATES)
from app.core.models import format_date
from app.funding.models import FundingPeriod
from app.partners.models import Partner
from app.reports import monitoring_queries as queries
from app.reports.scope import resolve_scope
from app.reports.tables import HIDDEN_SECONDARY, Cell, Table
from app.transfer.exporter import neutralise

TOP = 10
GERMANY = "DE"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class MonitoringScope:
    report: object  # ReportScope, its start and end narrowed to the quarter
    quarter: int | None
    whole_network: bool = False  # the report covers every partner of the network


def resolve_monitoring(session, args):
    """The request's parameters → MonitoringScope; every bad value is a translated 400.

    A partner code that is unknown or outside the user's (aggregate) partners gets the same answer,
    so the workbook never tells whether another partner exists.
    """
    period = (args.get("period") or "all").strip()
    quarter = (args.get("quarter") or "all").strip().lower()
    state = (args.get("state") or "all").strip().upper()
    cutoff = (args.get("cutoff") or "").strip()
    found = None
    if period != "all":
        found = session.execute(select(FundingPeriod).where(FundingPeriod.code == period)).scalar()
        if found is None:
            raise BadRequest(_("Unknown funding period “%(code)s”.", code=period[:20]))
    if quarter != "all" and quarter not in ("1", "2", "3", "4"):
        raise BadRequest(_("The quarter must be 1, 2, 3, 4 or “all”."))
    if state != "ALL" and state not in STATES:
        raise BadRequest(_("The state must be MV, ST or “all”."))
    if cutoff:
        try:
            date.fromisoformat(cutoff)
        except ValueError:
            raise BadRequest(_("The cut-off date must be given as YYYY-MM-DD."))
    try:
        scope = resolve_scope(session, period, args.get("partner"), state, cutoff or None)
    except NotFound:
        raise BadRequest(_("No partner with this code among the partners whose figures you may see."))
    whole_network = scope.state is None and len(scope.partners) == session.execute(
        select(func.count(Partner.id))).scalar()
    if quarter == "all":
        return MonitoringScope(scope, None, whole_network)
    if found is None or found.start.year != found.end.year:
        raise BadRequest(_("A quarter can only be chosen together with a funding period of one calendar year."))
    number = int(quarter)
    first = date(found.start.year, 3 * number - 2, 1)
    last = (date(first.year + 1, 1, 1) if number == 4 else date(first.year, 3 * number + 1, 1)) - timedelta(days=1)
    if last < found.start or first > found.end:
        raise BadRequest(_("Quarter %(q)s is not part of the funding period %(period)s.", q=number, period=found.name))
    return MonitoringScope(replace(scope, start=max(first, scope.start), end=min(last, scope.end)), number,
                           whole_network)


# ---------------------------------------------------------------- columns and tables


@dataclass(frozen=True)
class Columns:
    labels: list
    members: list  # per column: the partner ids it sums
    lines: list  # [(part column indices, total column index)]: sums across a row


def report_columns(scope, whole_network=False):
    """Each partner; with several partners each state; with both states the total."""
    partners = list(scope.partners)
    labels = [p.name for p in partners]
    members = [{p.id} for p in partners]
    lines = []
    if len(partners) > 1:
        states = [s for s in STATES.keys if any(p.state == s for p in partners)]
        state_columns = []
        for state in states:
            parts = [i for i, p in enumerate(partners) if p.state == state]
            labels.append(STATES.label(state))
            members.append({partners[i].id for i in parts})
            state_columns.append(len(labels) - 1)
            lines.append((parts, len(labels) - 1))
        if len(states) > 1:
            labels.append(_("Network total") if whole_network else _("Total"))
            members.append({p.id for p in partners})
            lines.append((state_columns, len(labels) - 1))
    return Columns(labels, members, lines)


class Tables:
    """Builds protected tables from ``{(partner id, *key): count}`` rows for the report's columns."""

    def __init__(self, columns):
        self.columns = columns

    def values(self, rows, match):
        """Per column: the sum of the counts whose key (without the partner) ``match``es."""
        per_partner = {}
        for (partner_id, *key), n in rows.items():
            if match(tuple(key)):
                per_partner[partner_id] = per_partner.get(partner_id, 0) + int(n or 0)
        return [sum(per_partner.get(pid, 0) for pid in ids) for ids in self.columns.members]

    def table(self, title, unit, rows, categories, total_label=None):
        """``categories``: [(label, match)] in order, or ``(label, [(label, match), ...])`` for a
        subtotal row followed by its parts; rows that are all zero stay (a stable layout)."""
        table = Table(title, list(self.columns.labels))
        table.unit = unit
        totals = [0] * len(self.columns.labels)
        for label, match in categories:
            parts = match if isinstance(match, list) else None
            if parts is None:
                values = self.values(rows, match)
                table.add(label, values)
                totals = [a + b for a, b in zip(totals, values)]
                continue
            subtotal = len(table.rows)
            table.add(label, [0] * len(totals))
            for part_label, part_match in parts:
                values = self.values(rows, part_match)
                table.add(part_label, values)
                totals = [a + b for a, b in zip(totals, values)]
            table.groups.append((list(range(subtotal + 1, len(table.rows))), subtotal))
            sums = [sum(table.rows[p][1][i].value for p in table.groups[-1][0]) for i in range(len(totals))]
            table.rows[subtotal] = (label, [Cell(v) for v in sums])
        table.add_total(total_label or _("Total"), totals)
        return table.protect(row_lines=self.columns.lines)

    def enum_table(self, title, unit, rows, enumeration, none_label):
        categories = [(enumeration.label(k), _is(k)) for k in enumeration.keys]
        if any(key[1] is None and n for key, n in rows.items()):
            categories.append((none_label, _is(None)))
        return self.table(title, unit, rows, categories)


def _is(*values):
    return lambda key: key[0] in values


def build_sheets(session, monitoring, figures):
    """[(sheet name, [Table | (label, [values]) info lines])] in the order of the Auswertungsbericht."""
    columns = report_columns(monitoring.report, monitoring.whole_network)
    t = Tables(columns)
    cases, persons, contacts = figures["cases"], figures["persons"], figures["contacts"]
    not_stated = _("not stated")
    unit_persons, unit_cases, unit_contacts = _("persons"), _("cases"), _("contacts")
    sheets = []

    sheets.append((_("Persons"), [t.table(
        _("Persons counselled"), unit_persons, persons["new"],
        [(_("with first counselling in the reporting period"), _is(1)),
         (_("with follow-up counselling of an earlier counselling only"), _is(0))],
        _("Persons counselled, total"))]))

    channel_rows, kind_rows = _summed(contacts, 0, 2), _summed(contacts, 0, 1)
    other_channels = tuple(k for k in CHANNELS.keys if k not in ("face_to_face", "phone", "email"))
    sheets.append((_("Contacts"), [
        t.table(_("Counselling contacts by channel"), unit_contacts, channel_rows,
                [(_("face-to-face"), _is("face_to_face")), (_("phone"), _is("phone")),
                 (_("email"), _is("email")),
                 (_("other (group, mobile outreach)"), _is(*other_channels))]),
        t.table(_("Counselling contacts by kind"), unit_contacts, kind_rows,
                [(CONTACT_KINDS.label(k), _is(k)) for k in CONTACT_KINDS.keys]),
    ]))

    sheets.append((_("Enquirers"), [t.enum_table(_("Who enquired (cases)"), unit_cases, cases["enquirer"],
                                                 ENQUIRERS, not_stated)]))
    sheets.append((_("Access"), [t.enum_table(_("How the office was found (cases)"), unit_cases,
                                              cases["referral"], REFERRAL_SOURCES, not_stated)]))

    bands = dict(zip(AGE_BANDS, [_("under 25"), _("25–34"), _("35–44"), _("45–54"), _("55 and over")]))
    categories = []
    for gender in GENDERS.keys:
        for band in AGE_BANDS:
            categories.append((_("%(gender)s, %(age)s", gender=GENDERS.label(gender), age=bands[band]),
                               _is_pair(gender, band)))
        if any(key[1] == gender and key[2] is None and n for key, n in persons["gender_age"].items()):
            categories.append((_("%(gender)s, %(age)s", gender=GENDERS.label(gender), age=_("age not stated")),
                               _is_pair(gender, None)))
    sheets.append((_("Gender and age"), [t.table(_("Persons by gender and age band"), unit_persons,
                                                 persons["gender_age"], categories)]))

    sheets.append((_("Citizenship"), _citizenship(session, t, persons["citizenship"], unit_persons)))

    entry = [(_("up to 2 years since entry"), "up_to_2"), (_("3 to 5 years since entry"), "3_to_5"),
             (_("more than 5 years since entry"), "over_5"), (_("year of entry unknown"), "unknown")]
    sheets.append((_("Residence and entry"), [t.table(
        _("Place of residence and years since entry (persons)"), unit_persons, persons["residence"],
        [(_("living in Germany"), [(_("in Germany: %(years)s", years=label), _is(key)) for label, key in entry]),
         (_("living abroad"), _is("abroad")), (_("place of residence not stated"), _is(None))])]))

    sheets.append((_("Qualification"), [t.table(
        _("Type of qualification (persons)"), unit_persons, persons["qualification"],
        [(_("academic only"), _is("academic")), (_("vocational only (incl. master craftsman)"), _is("vocational")),
         (_("academic and vocational"), _is("both")), (_("school only"), _is("school")),
         (not_stated, _is(None))])]))

    sheets.append((_("Reference occupations"), _occupations(session, t, cases, unit_cases)))

    sheets.append((_("Outcomes"), [
        t.enum_table(_("Outcome and referrals (cases)"), unit_cases, cases["outcome"], OUTCOMES,
                     _("no outcome yet")),
        t.enum_table(_("Notices of the competent bodies (cases)"), unit_cases, cases["notice"], NOTICE_RESULTS,
                     _("no notice yet")),
    ]))
    return columns, sheets


def _summed(rows, *positions):
    """Counts ``{key: n}`` summed over the key positions not named."""
    result = {}
    for key, n in rows.items():
        sub = tuple(key[p] for p in positions)
        result[sub] = result.get(sub, 0) + n
    return result


def _german():
    return str(get_locale() or "de").startswith("de")


def _is_pair(gender, band):
    return lambda key: key == (gender, band)


def _citizenship(session, t, rows, unit):
    """German; EU member states and third countries, each with its most frequent countries (the
    ten most frequent foreign citizenships overall) and the rest, under a subtotal row."""
    totals = {}
    for (_p, code), n in rows.items():
        totals[code] = totals.get(code, 0) + n
    known = {c.code: c for c in session.execute(select(Country).where(Country.code.in_(list(totals)))).scalars()}
    name = (lambda c: known[c].name_de) if _german() else (lambda c: known[c].name_en)
    foreign = [c for c in totals if c != GERMANY]
    ranked = sorted(foreign, key=lambda c: (-totals[c], c))[:TOP]
    eu = {c for c, country in known.items() if country.is_eu and c != GERMANY}

    def section(members, rest_label):
        top = [c for c in ranked if c in members]
        return ([(name(c), _is(c)) for c in top]
                + [(rest_label, lambda key: key[0] in members and key[0] not in top)])

    third = {c for c in foreign if c not in eu}
    return [t.table(_("Citizenship (persons)"), unit, rows, [
        (_("German"), _is(GERMANY)),
        (_("EU member states (without Germany)"), section(eu, _("other EU member states"))),
        (_("third countries"), section(third, _("other third countries"))),
    ])]


def _occupations(session, t, cases, unit):
    rows = cases["occupation"]
    totals = {}
    for (_p, occupation), n in rows.items():
        if occupation is not None:
            totals[occupation] = totals.get(occupation, 0) + n
    ranked = sorted(totals, key=lambda o: (-totals[o], o))[:TOP]
    names = {o.id: (o.name_de if _german() else o.name_en) for o in session.execute(
        select(ReferenceOccupation).where(ReferenceOccupation.id.in_(ranked))).scalars()}
    distinct = [len({o for (p, o), n in rows.items() if o is not None and n and p in ids})
                for ids in t.columns.members]
    top = t.table(_("The %(n)s most frequent reference occupations (cases)", n=TOP), unit, rows,
                  [(names[o], _is(o)) for o in ranked]
                  + [(_("other reference occupations"), lambda key: key[0] is not None and key[0] not in ranked),
                     (_("reference occupation not yet determined"), _is(None))])
    regulated = t.table(_("Regulated and not regulated reference occupations (cases)"), unit, cases["regulated"],
                        [(_("regulated"), _is(True)), (_("not regulated"), _is(False)), (_("not stated"), _is(None))])
    return [(_("Number of different reference occupations"), distinct), top, regulated]


# ---------------------------------------------------------------- workbook


def percentages(table, column):
    """Column percentages (one decimal) of the rows, or None where the cell or its total is hidden."""
    total = table.total[1][column]
    result = []
    for _label, cells in table.rows:
        cell = cells[column]
        if cell.hidden or total.hidden or not total.value:
            result.append(None)
        else:
            result.append(round(100.0 * cell.value / total.value, 1))
    return result


def cover_lines(monitoring, created):
    scope = monitoring.report
    quarter = (_("Q%(q)s/%(year)s", q=monitoring.quarter, year=scope.start.year) if monitoring.quarter
               else _("all quarters"))
    partners = ", ".join(p.name for p in scope.partners) or "–"
    return [
        (_("Funding period"), scope.period.name if scope.period else _("All funding periods")),
        (_("Quarter"), quarter),
        (_("Reporting window"), f"{format_date(scope.start)} – {format_date(scope.end)}"),
        (_("Cut-off date"), format_date(scope.cutoff)),
        (_("State"), STATES.label(scope.state) if scope.state else _("Both states")),
        (_("Partners"), partners),
        (_("Created on"), format_date(created)),
    ]


def method_lines():
    return [
        _("Structure: the tables of the national IQ documentation of recognition counselling "
          "(f-bb Auswertungsbericht), one sheet per table; columns per partner, per state (sum of its "
          "partners) and in total (sum of the states), each as a number and a column percentage."),
        _("Cases counselled in the reporting window: cases opened in the window (first counselling) and "
          "cases opened earlier with a counselling contact dated in the window (follow-up of an earlier "
          "counselling). Persons counselled: the clients of these cases, each counted once."),
        _("Cut-off date: records dated after the cut-off date are not counted — cases by their opening "
          "date, contacts by their contact date. Attributes of a case (outcome, notice) are counted as "
          "recorded when the workbook is created."),
        _("Contacts: all counselling contacts dated in the reporting window. Persons: gender and citizenship "
          "as recorded; the age band of the person's earliest counselled case; years since entry: the year "
          "of the end of the reporting window minus the year of entry."),
        _("Type of qualification per person from the qualifications of its counselled cases: "
          "vocational includes master craftsman."),
        _("Statistical confidentiality (the same rule as in the management summary): counts of 1 or 2 are "
          "shown as “.”; further cells are shown as “x” so that no hidden cell can be computed from the total "
          "of its column, a subtotal or a sum across a row (partners to their state, states to the total), "
          "nor from all of these sums together. Percentages of hidden cells are not shown."),
        _("“.”: 1 or 2 persons or cases, not shown for statistical confidentiality."),
        _("“x”: not shown so that the hidden cells of its row or column cannot be computed from the total "
          "(secondary suppression); the true value may be of any size."),
    ]


def write_workbook(session, monitoring, figures, created=None):
    """The workbook in a temporary file (the caller sends and closes it)."""
    created = created or date.today()
    columns, sheets = build_sheets(session, monitoring, figures)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)

    def styled(sheet, value, font=None, wrap=False):
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        if font:
            cell.font = font
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    cover = workbook.create_sheet(_("Cover sheet"))
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 110
    cover.append([styled(cover, _("Quarterly monitoring of recognition counselling"), title_font)])
    cover.append([_("IQ Network MV/ST")])
    cover.append([])
    for label, value in cover_lines(monitoring, created):
        cover.append([styled(cover, label, bold), neutralise(value)])
    cover.append([])
    cover.append([styled(cover, _("Method"), bold)])
    for line in method_lines():
        cover.append(["", styled(cover, line, wrap=True)])

    scope_text = monitoring.report.describe()
    for name, blocks in sheets:
        sheet = workbook.create_sheet(name[:31])
        sheet.column_dimensions["A"].width = 48
        sheet.append([styled(sheet, name, title_font)])
        sheet.append([neutralise(scope_text)])
        for block in blocks:
            sheet.append([])
            if isinstance(block, Table):
                _write_table(sheet, block, columns, styled, bold)
            else:
                label, values = block
                sheet.append([styled(sheet, label, bold)] + [v for value in values for v in (value, None)])
        sheet.append([])
        sheet.append([_("“.”: 1 or 2 persons or cases, not shown for statistical confidentiality.")])
        sheet.append([_("“x”: not shown so that the hidden cells of its row or column cannot be computed from "
                        "the total (secondary suppression); the true value may be of any size.")])
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle


def _write_table(sheet, table, columns, styled, bold):
    sheet.append([styled(sheet, table.title, bold)])
    heading = [styled(sheet, table.unit, bold)]
    for label in columns.labels:
        heading += [styled(sheet, neutralise(label), bold), None]
    sheet.append(heading)
    sheet.append([""] + [text for _label in columns.labels for text in (_("Number"), "%")])
    shares = [percentages(table, i) for i in range(len(columns.labels))]
    for position, (label, cells) in enumerate(table.rows):
        row = [neutralise(label)]
        for i, cell in enumerate(cells):
            share = shares[i][position]
            if cell.hidden:
                share = cell.marker
            elif table.total[1][i].hidden:
                share = HIDDEN_SECONDARY  # a shown count and its share would give the hidden total
            row += [cell.marker if cell.hidden else cell.value, share]
        sheet.append(row)
    label, cells = table.total
    row = [styled(sheet, label, bold)]
    for cell in cells:
        row += [cell.marker if cell.hidden else cell.value,
                cell.marker if cell.hidden else (100.0 if cell.value else None)]
    sheet.append(row)

