"""The management summary as protected tables and charts, built from the SQL aggregates.

Only aggregated rows (a few hundred at most, whatever the number of cases) reach Python here.
Call inside ``flask_babel.force_locale`` so that every label is in the report's language.
"""
from functools import partial

from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from app.catalogues.models import CompetentBody, Country, ReferenceOccupation
from app.core.enums import (CHANNELS, ENQUIRERS, FUNDERS, GENDERS, NOTICE_RESULTS, OUTCOMES,
                            QUALIFICATION_TYPES, REFERRAL_SOURCES, TARGET_INSTITUTIONS)
from app.reports import queries
from app.reports.charts import bar_chart
from app.reports.tables import Table, bar_values, shown_value

TOP = 10


def build_summary(session, scope, locale):
    """Everything the summary template and the dashboard show, for one scope and language."""
    figures = queries.fetch_distributions(session, scope)
    cases, persons, clients, contacts = (figures[k] for k in ("cases", "persons", "clients", "contacts"))
    total_cases = sum(v[0] for v in cases["quarter"].values())
    total_clients = sum(v[0] for v in clients["gender_age"].values())
    fmt = partial(format_decimal, locale=locale)
    not_stated = _("not stated")

    key = _key_figures(scope, cases["quarter"], persons["quarter"], contacts["quarter_kind"], total_cases,
                       total_clients)
    tables = {
        "key": key,
        "gender_age": _gender_age(clients["gender_age"]),
        "citizenship": _countries(session, _("Citizenship (persons)"), clients["citizenship"], locale),
        "country": _countries(session, _("Country where the qualification was obtained (cases)"),
                              cases["country"], locale),
        "qualification": _qualification(cases["qualification"]),
        "occupation": _occupations(session, cases["occupation"], locale),
        "enquirer": _enum_table(_("Who enquired (cases)"), ENQUIRERS, cases["enquirer"], not_stated),
        "referral": _enum_table(_("How the office was found (cases)"), REFERRAL_SOURCES, cases["referral"],
                                not_stated),
        "channel": _enum_table(_("Counselling channel (contacts)"), CHANNELS, contacts["channel"], not_stated),
        "outcome": _enum_table(_("Outcome (cases)"), OUTCOMES, cases["outcome"], not_stated),
        "notice": _enum_table(_("Notices of the competent bodies (cases)"), NOTICE_RESULTS, cases["notice"],
                              _("no notice yet")),
    }
    if scope.several_partners:
        tables["partners"] = _partners(scope, cases["partner"], persons["partner"], contacts["partner_kind"],
                                       total_clients)
    charts = {
        "quarters": bar_chart(_("Cases per quarter"), bar_values(key, 2), fmt),
        "gender": bar_chart(_("Persons by gender"), [
            (label, shown_value(cells[-1])) for label, cells in tables["gender_age"].rows
        ], fmt),
        "outcome": bar_chart(_("Outcome (cases)"), bar_values(tables["outcome"]), fmt, "#7a9a3a"),
        "channel": bar_chart(_("Counselling channel (contacts)"), bar_values(tables["channel"]), fmt, "#9a6a2a"),
    }
    return {
        "tables": tables,
        "charts": charts,
        "trainings": _trainings(queries.training_figures(session, scope)),
        "funding": _funding(scope, queries.funding_figures(session, scope)),
        "total_cases": total_cases,
    }


def _quarters(scope):
    year, quarter = scope.start.year, (scope.start.month + 2) // 3
    last = scope.end.year * 10 + (scope.end.month + 2) // 3
    while year * 10 + quarter <= last:
        yield year * 10 + quarter
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def _key_figures(scope, case_rows, person_rows, contact_rows, total_cases, total_clients):
    table = Table(_("Key figures per quarter"),
                  [_("First contacts"), _("Follow-ups"), _("Cases opened"), _("Persons (distinct)")])
    for key in _quarters(scope):
        table.add(_("Q%(q)s/%(year)s", q=key % 10, year=key // 10),
                  [contact_rows.get((key, "first_contact"), (0,))[0],
                   contact_rows.get((key, "follow_up"), (0,))[0], case_rows.get((key,), (0,))[0],
                   person_rows.get((key,), (0,))[0]])
    table.add_total(_("Total"), [None, None, total_cases, total_clients])
    return table.protect()


def _gender_age(rows):
    bands = [_("under 25"), _("25–34"), _("35–44"), _("45–54"), _("55 and over")]
    table = Table(_("Persons by gender and age band"), bands + [_("Total")])
    for gender in GENDERS.keys:
        values = [rows.get((gender, band), (0,))[0] for band in queries.AGE_BANDS]
        table.add(GENDERS.label(gender), values + [sum(values)])
    table.add_total(_("Total"))
    return table.protect(row_totals=True)


def _enum_table(title, enumeration, rows, none_label):
    table = Table(title, [_("Number")])
    for key in enumeration.keys:
        table.add(enumeration.label(key), [rows.get((key,), (0,))[0]])
    if rows.get((None,)):
        table.add(none_label, [rows[(None,)][0]])
    table.add_total(_("Total"))
    return table.protect()


def _countries(session, title, rows, locale):
    """Top 10 countries, the rest as one row, and EU / third-country subtotals."""
    counts = {code: values[0] for (code,), values in rows.items()}
    known = {c.code: c for c in session.execute(
        select(Country).where(Country.code.in_([c for c in counts if c]))).scalars()}
    ranked = sorted((c for c in counts if c), key=lambda c: (-counts[c], c))
    name = (lambda c: known[c].name_de) if locale.startswith("de") else (lambda c: known[c].name_en)
    table = Table(title, [_("Number")])
    for code in ranked[:TOP]:
        table.add(name(code), [counts[code]])
    rest = sum(counts[c] for c in ranked[TOP:]) + counts.get(None, 0)
    if rest:
        table.add(_("other countries or not stated"), [rest])
    table.add_total(_("Total"))
    table.protect()
    split = Table(title, [_("Number")])
    split.add(_("EU member states"), [sum(counts[c] for c in ranked if known[c].is_eu)])
    split.add(_("Third countries"), [sum(counts[c] for c in ranked if not known[c].is_eu)])
    if counts.get(None):
        split.add(_("not stated"), [counts[None]])
    split.add_total(_("Total"))
    table.subtotals = split.protect()
    return table


def _qualification(rows):
    table = Table(_("Type of qualification and regulated occupation (cases)"),
                  [_("regulated"), _("not regulated"), _("not stated"), _("Total")])
    for key in QUALIFICATION_TYPES.keys + [None]:
        values = [rows.get((key, flag), (0,))[0] for flag in (True, False, None)]
        if key is not None or any(values):
            table.add(QUALIFICATION_TYPES.label(key) or _("not stated"), values + [sum(values)])
    table.add_total(_("Total"))
    return table.protect(row_totals=True)


def _occupations(session, rows, locale):
    """Top 10 reference occupations, each with the competent body named most often for it."""
    per_occupation, bodies = {}, {}
    for (occupation_id, body_id), values in rows.items():
        per_occupation[occupation_id] = per_occupation.get(occupation_id, 0) + values[0]
        if body_id is not None and values[0] > bodies.get(occupation_id, (None, 0))[1]:
            bodies[occupation_id] = (body_id, values[0])
    ranked = sorted((o for o in per_occupation if o), key=lambda o: (-per_occupation[o], o))[:TOP]
    names = {o.id: (o.name_de if locale.startswith("de") else o.name_en) for o in session.execute(
        select(ReferenceOccupation).where(ReferenceOccupation.id.in_(ranked))).scalars()}
    body_ids = [bodies[o][0] for o in ranked if o in bodies]
    body_names = dict(session.execute(
        select(CompetentBody.id, CompetentBody.name).where(CompetentBody.id.in_(body_ids))).all())
    table = Table(_("Top 10 reference occupations (cases)"), [_("Number")])
    for occupation_id in ranked:
        table.add(names[occupation_id], [per_occupation[occupation_id]])
        table.bodies.append(body_names.get(bodies.get(occupation_id, (None,))[0], ""))
    rest = sum(v for o, v in per_occupation.items() if o not in ranked)
    if rest:
        table.add(_("other or not yet determined"), [rest])
        table.bodies.append("")
    table.add_total(_("Total"))
    return table.protect()


def _partners(scope, case_rows, person_rows, contact_rows, total_clients):
    table = Table(_("Comparison of partners"),
                  [_("Cases opened"), _("Persons (distinct)"), _("First contacts"), _("Follow-ups")])
    for partner in scope.partners:
        table.add(partner.name, [case_rows.get((partner.id,), (0,))[0], person_rows.get((partner.id,), (0,))[0],
                                 contact_rows.get((partner.id, "first_contact"), (0,))[0],
                                 contact_rows.get((partner.id, "follow_up"), (0,))[0]])
    # A person counselled by two partners is in both rows: the distinct total is counted apart.
    table.add_total(_("Total"), [None, total_clients, None, None])
    return table.protect()


def _trainings(rows):
    """Trainings are events with staff of institutions, not clients: shown without suppression."""
    result = [(TARGET_INSTITUTIONS.label(key), events, hours or 0, female or 0, male or 0, diverse or 0)
              for key, events, hours, female, male, diverse in rows]
    totals = [sum(r[i] for r in result) for i in range(1, 6)]
    return {"rows": result, "totals": totals}


def _funding(scope, rows):
    """Planned and spent funds per partner and funder (amounts are not personal data)."""
    names = {p.id: p.name for p in scope.partners}
    result = sorted(((names.get(pid, ""), FUNDERS.label(funder), planned or 0, spent or 0)
                     for pid, funder, planned, spent in rows if pid in names))
    return {"rows": result, "planned": sum(r[2] for r in result), "spent": sum(r[3] for r in result)}
