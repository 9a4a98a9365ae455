"""Quarterly monitoring workbook: every cell equals an independent SQL count, column percentages add up,
no hidden cell can be computed from the totals, the scope holds, bad parameters are a 400."""
import io
from datetime import date
from fractions import Fraction

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from app.catalogues.models import ReferenceOccupation
from app.core.enums import ENQUIRERS, GENDERS, NOTICE_RESULTS, OUTCOMES, REFERRAL_SOURCES
from app.reports.tables import Table

Q3 = "/reports/monitoring.xlsx?period=2013&quarter=3&partner=all&state=all&cutoff=2013-09-15&lang=en"
WINDOW = {"s": date(2013, 7, 1), "e": date(2013, 9, 15)}
MARKERS = (".", "x")


# ---------------------------------------------------------------- data


@pytest.fixture
def occupations(ctx):
    regulated = ctx.execute(select(ReferenceOccupation).where(ReferenceOccupation.regulated.is_(True))
                            .order_by(ReferenceOccupation.id)).scalars().first()
    free = ctx.execute(select(ReferenceOccupation).where(ReferenceOccupation.regulated.is_(False))
                       .order_by(ReferenceOccupation.id)).scalars().first()
    return regulated.id, free.id


@pytest.fixture
def dataset(factories, occupations):
    """migra and vsp (MV), agsa (ST); window Q3/2013 up to the cut-off 2013-09-15."""
    regulated, free = occupations
    f = factories

    def counselled(partner, opened, first=True, **fields):
        client_fields = {k: fields.pop(k) for k in ("gender", "citizenship", "residence_state", "year_of_entry",
                                                     "birth_date") if k in fields}
        client = fields.pop("client", None) or f.client(partner=partner, **client_fields)
        case = f.case(client=client, opened_on=opened, **fields)
        if first:
            f.contact(case)
        return case

    # migra: 6 new cases in Q3 …
    for i in range(6):
        case = counselled(
            "migra", date(2013, 7, 1 + i), gender="female" if i < 4 else "male",
            citizenship="SY" if i < 4 else "PL", residence_state="abroad" if i == 5 else "MV",
            year_of_entry=None if i == 5 else (2012 if i < 3 else 2009),
            enquirer="self" if i < 4 else "jobcenter", referral_source="internet" if i < 3 else "friends",
            qualification_type="academic" if i < 3 else "vocational",
            reference_occupation_id=regulated if i < 4 else free, regulated=i < 4,
            outcome="application_help" if i < 5 else "language_course")
        if i < 3:
            f.contact(case, kind="follow_up", channel="phone", date=date(2013, 8, 10))
        if i == 0:
            f.contact(case, kind="follow_up", channel="email", date=date(2013, 9, 25))  # after the cut-off
    # … 3 cases opened in Q2 with a follow-up in Q3 (follow-up persons) …
    for i in range(3):
        case = counselled("migra", date(2013, 5, 10 + i), gender="male", citizenship="UA", enquirer="employer",
                          qualification_type="vocational", outcome="on_hold")
        f.contact(case, kind="follow_up", channel="email", date=date(2013, 7, 15))
    # … one person with a new case in Q3 and a follow-up of an older case (counted once, "both") …
    person = f.client(partner="migra", gender="female", citizenship="SY", residence_state="MV", year_of_entry=2010)
    counselled("migra", date(2013, 7, 8), client=person, qualification_type="academic", outcome="application_filed")
    older = counselled("migra", date(2013, 4, 2), client=person, qualification_type="vocational", outcome=None)
    f.contact(older, kind="follow_up", channel="group", date=date(2013, 7, 9))
    # … and cases that do not count: Q2 without a Q3 contact, one opened after the cut-off.
    counselled("migra", date(2013, 5, 12))
    counselled("migra", date(2013, 9, 20))
    # vsp: 4 new cases.
    for i in range(4):
        counselled("vsp", date(2013, 8, 1 + i), gender="male", citizenship="DE" if i == 0 else "UA",
                   residence_state="MV", year_of_entry=2000, enquirer="employment_agency",
                   referral_source="chamber", qualification_type="academic", reference_occupation_id=regulated,
                   regulated=True, outcome="referred_competent_body", notice_result="full" if i < 3 else "partial")
    # agsa: 5 new cases and 3 follow-ups of Q1 cases; a Q4 and a 2012 case.
    for i in range(5):
        counselled("agsa", date(2013, 7, 20 + i), gender="female" if i < 3 else "diverse", citizenship="SY",
                   residence_state="ST", year_of_entry=2013, enquirer="self", qualification_type="school",
                   outcome="no_procedure")
    for i in range(3):
        early = counselled("agsa", date(2013, 2, 1 + i), gender="male", citizenship="IR", enquirer="other")
        f.contact(early, kind="follow_up", channel="phone", date=date(2013, 8, 1 + i))
    counselled("agsa", date(2013, 10, 5))
    counselled("agsa", date(2012, 8, 5))


# ---------------------------------------------------------------- reading the workbook


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def tables_of(sheet):
    """{title: {"columns": [...], "rows": {label: [(count, pct), ...]}, "total": [...]}} and info lines."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    blocks, block = [], []
    for row in rows[2:]:
        if not any(v not in (None, "") for v in row):
            if block:
                blocks.append(block)
            block = []
        else:
            block.append(row)
    if block:
        blocks.append(block)
    tables, info = {}, {}
    for block in blocks:
        if len(block) >= 3 and block[2][1] in ("Number", "Anzahl"):
            columns = [v for v in block[1][1::2] if v is not None]
            pairs = [[(r[1 + 2 * i], r[2 + 2 * i]) for i in range(len(columns))] for r in block[3:]]
            tables[block[0][0]] = {"title": block[0][0], "columns": columns, "rows": {r[0]: p for r, p in zip(block[3:-1], pairs[:-1])},
                                   "total": pairs[-1], "total_label": block[-1][0]}
        elif len(block) == 1:
            info[block[0][0]] = block[0][1::2]
    return tables, info


def column_members(ctx, labels, codes=("migra", "vsp", "agsa")):
    """Which partner codes each column sums, worked out from the partner table (not the app)."""
    partners = ctx.execute(text("SELECT code, name, state FROM partner")).all()
    states = {"MV": "Mecklenburg-Vorpommern", "ST": "Sachsen-Anhalt"}
    result = []
    for label in labels:
        by_name = [c for c, n, s in partners if n == label and c in codes]
        by_state = [c for c, n, s in partners if states.get(s) == label and c in codes]
        result.append(by_name or by_state or list(codes))
    return result


# ---------------------------------------------------------------- independent SQL

COUNSELLED = """
WITH cc AS (
  SELECT c.* FROM counselling_case c
  WHERE (c.opened_on BETWEEN :s AND :e)
     OR (c.opened_on < :s AND EXISTS (SELECT 1 FROM contact k WHERE k.case_id = c.id AND k.date BETWEEN :s AND :e))
), pc AS (
  SELECT cc.client_id, MAX(CASE WHEN cc.opened_on >= :s THEN 1 ELSE 0 END) AS new,
         MIN(cc.age_band) AS band,
         MAX(CASE WHEN cc.qualification_type = 'academic' THEN 1 ELSE 0 END) AS aca,
         MAX(CASE WHEN cc.qualification_type IN ('vocational', 'master_craftsman') THEN 1 ELSE 0 END) AS voc,
         MAX(CASE WHEN cc.qualification_type = 'school' THEN 1 ELSE 0 END) AS sch
  FROM cc GROUP BY cc.client_id
), persons AS (SELECT cl.*, pc.new, pc.band, pc.aca, pc.voc, pc.sch FROM client cl JOIN pc ON pc.client_id = cl.id)
"""

BANDS = {"under_25": "under 25", "25_34": "25–34", "35_44": "35–44", "45_54": "45–54", "55_plus": "55 and over"}


def enum(enumeration, none="not stated"):
    """A key's English label (the workbook's row label); labels are not counts, so the app's are used."""
    return lambda key: none if key is None else enumeration.label(key)


SPECS = [
    # (sheet, table title, SQL returning (partner code, row label), label of a key)
    ("Persons", "Persons counselled",
     "SELECT p.code, x.new, COUNT(*) FROM persons x JOIN partner p ON p.id = x.partner_id GROUP BY p.code, x.new",
     {1: "with first counselling in the reporting period", 0: "with follow-up counselling of an earlier counselling only"}.get),
    ("Contacts", "Counselling contacts by channel",
     "SELECT p.code, CASE WHEN k.channel IN ('face_to_face', 'phone', 'email') THEN k.channel ELSE 'other' END, COUNT(*)"
     " FROM contact k JOIN partner p ON p.id = k.partner_id WHERE k.date BETWEEN :s AND :e GROUP BY 1, 2",
     {"face_to_face": "face-to-face", "phone": "phone", "email": "email", "other": "other (group, mobile outreach)"}.get),
    ("Contacts", "Counselling contacts by kind",
     "SELECT p.code, k.kind, COUNT(*) FROM contact k JOIN partner p ON p.id = k.partner_id"
     " WHERE k.date BETWEEN :s AND :e GROUP BY 1, 2",
     {"first_contact": "first contact", "follow_up": "follow-up"}.get),
    ("Enquirers", "Who enquired (cases)",
     "SELECT p.code, c.enquirer, COUNT(*) FROM cc c JOIN partner p ON p.id = c.partner_id GROUP BY 1, 2",
     enum(ENQUIRERS)),
    ("Access", "How the office was found (cases)",
     "SELECT p.code, c.referral_source, COUNT(*) FROM cc c JOIN partner p ON p.id = c.partner_id GROUP BY 1, 2",
     enum(REFERRAL_SOURCES)),
    ("Gender and age", "Persons by gender and age band",
     "SELECT p.code, x.gender || '/' || x.band, COUNT(*) FROM persons x JOIN partner p ON p.id = x.partner_id GROUP BY 1, 2",
     lambda key: "{}, {}".format(GENDERS.label(key.split("/")[0]), BANDS[key.split("/")[1]])),
    ("Citizenship", "Citizenship (persons)",
     "SELECT p.code, CASE WHEN x.citizenship = 'DE' THEN 'German' ELSE co.name_en END, COUNT(*) FROM persons x"
     " JOIN partner p ON p.id = x.partner_id JOIN country co ON co.code = x.citizenship GROUP BY 1, 2"
     " UNION ALL SELECT p.code, CASE WHEN co.is_eu THEN 'EU member states (without Germany)' ELSE 'third countries' END,"
     " COUNT(*) FROM persons x JOIN partner p ON p.id = x.partner_id JOIN country co ON co.code = x.citizenship"
     " WHERE x.citizenship <> 'DE' GROUP BY 1, 2", lambda key: key),
    ("Residence and entry", "Place of residence and years since entry (persons)",
     "SELECT p.code, CASE WHEN x.residence_state = 'abroad' THEN 'living abroad' WHEN x.residence_state IS NULL"
     " THEN 'place of residence not stated' WHEN x.year_of_entry IS NULL THEN 'in Germany: year of entry unknown'"
     " WHEN 2013 - x.year_of_entry <= 2 THEN 'in Germany: up to 2 years since entry'"
     " WHEN 2013 - x.year_of_entry <= 5 THEN 'in Germany: 3 to 5 years since entry'"
     " ELSE 'in Germany: more than 5 years since entry' END, COUNT(*)"
     " FROM persons x JOIN partner p ON p.id = x.partner_id GROUP BY 1, 2"
     " UNION ALL SELECT p.code, 'living in Germany', COUNT(*) FROM persons x JOIN partner p ON p.id = x.partner_id"
     " WHERE x.residence_state <> 'abroad' GROUP BY 1, 2", lambda key: key),
    ("Qualification", "Type of qualification (persons)",
     "SELECT p.code, CASE WHEN aca = 1 AND voc = 1 THEN 'academic and vocational' WHEN aca = 1 THEN 'academic only'"
     " WHEN voc = 1 THEN 'vocational only (incl. master craftsman)' WHEN sch = 1 THEN 'school only' ELSE 'not stated' END,"
     " COUNT(*) FROM persons x JOIN partner p ON p.id = x.partner_id GROUP BY 1, 2", lambda key: key),
    ("Reference occupations", "The 10 most frequent reference occupations (cases)",
     "SELECT p.code, COALESCE(o.name_en, 'reference occupation not yet determined'), COUNT(*) FROM cc c"
     " JOIN partner p ON p.id = c.partner_id LEFT JOIN reference_occupation o ON o.id = c.reference_occupation_id"
     " GROUP BY 1, 2", lambda key: key),
    ("Reference occupations", "Regulated and not regulated reference occupations (cases)",
     "SELECT p.code, CASE WHEN c.regulated IS NULL THEN 'not stated' WHEN c.regulated THEN 'regulated'"
     " ELSE 'not regulated' END, COUNT(*) FROM cc c JOIN partner p ON p.id = c.partner_id GROUP BY 1, 2",
     lambda key: key),
    ("Outcomes", "Outcome and referrals (cases)",
     "SELECT p.code, c.outcome, COUNT(*) FROM cc c JOIN partner p ON p.id = c.partner_id GROUP BY 1, 2", enum(OUTCOMES, "no outcome yet")),
    ("Outcomes", "Notices of the competent bodies (cases)",
     "SELECT p.code, c.notice_result, COUNT(*) FROM cc c JOIN partner p ON p.id = c.partner_id GROUP BY 1, 2",
     enum(NOTICE_RESULTS, "no notice yet")),
]


#: Tables with subtotal rows: their top-level rows, of which the named ones are subtotals of the rows
#: below them (down to the next top-level row).
TOP_LEVEL = {
    "Citizenship (persons)": ("German", "EU member states (without Germany)", "third countries"),
    "Place of residence and years since entry (persons)": ("living in Germany", "living abroad",
                                                             "place of residence not stated"),
}
SUBTOTALS = {"EU member states (without Germany)", "third countries", "living in Germany"}


def structure(title, labels):
    """(leaf row positions, [(part positions, subtotal position)]) of a table's rows."""
    top = TOP_LEVEL.get(title, ())
    groups = []
    for position, label in enumerate(labels):
        if label in top and label in SUBTOTALS:
            parts = []
            for later in range(position + 1, len(labels)):
                if labels[later] in top:
                    break
                parts.append(later)
            groups.append((parts, position))
    subtotal_rows = {row for _parts, row in groups}
    return [p for p in range(len(labels)) if p not in subtotal_rows], groups


def sql_counts(admin_engine, query, label, window=WINDOW):
    """{row label: {partner code: count}} from the raw tables, as the superuser (no app code, no scope)."""
    result = {}
    with admin_engine.connect() as conn:
        for code, key, n in conn.execute(text(COUNSELLED + query), window):
            row = result.setdefault(label(key), {})
            row[code] = row.get(code, 0) + n
    return result


def check_table(table, expected, members, rest=None):
    """Every shown cell equals the SQL count; a "." hides 1 or 2; no SQL category is missing.
    ``rest(label)``: the row ("other …") that holds a category not shown on its own (not in the top 10)."""
    rows = dict(table["rows"])
    for label in [label for label in expected if label not in rows and rest]:
        into = expected.setdefault(rest(label), {})
        for code, n in expected.pop(label).items():
            into[code] = into.get(code, 0) + n
    for label in expected:
        assert label in rows, (label, list(rows))
    leaves, _groups = structure(table["title"], list(rows))
    totals = [0] * len(members)
    for position, (label, cells) in enumerate(rows.items()):
        for i, (count, _pct) in enumerate(cells):
            want = sum(expected.get(label, {}).get(code, 0) for code in members[i])
            if position in leaves:
                totals[i] += want
            if count == ".":
                assert 1 <= want <= 2, (label, i, want)
            elif count == "x":
                assert want >= 0  # secondary: any value (a zero too)
            else:
                assert count == want, (table, label, i, count, want)
                assert not 1 <= want <= 2
    for i, (count, pct) in enumerate(table["total"]):
        if count not in MARKERS:
            assert count == totals[i]
            assert pct == (100.0 if totals[i] else None)
    return totals


# ---------------------------------------------------------------- the tests


def test_every_cell_equals_an_independent_sql_count(login_as, ctx, admin_engine, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "vsp", "agsa"))
    book = workbook(client.get(Q3))
    assert book.sheetnames == ["Cover sheet", "Persons", "Contacts", "Enquirers", "Access", "Gender and age",
                               "Citizenship", "Residence and entry", "Qualification", "Reference occupations",
                               "Outcomes"]
    checked = 0
    for sheet, title, query, label in SPECS:
        tables, _info = tables_of(book[sheet])
        table = tables[title]
        assert table["columns"] == ["VSP gGmbH", "migra e.V.", "Auslandsgesellschaft Sachsen-Anhalt e.V.",
                                    "Mecklenburg-Vorpommern", "Sachsen-Anhalt", "Total"]
        check_table(table, sql_counts(admin_engine, query, label), column_members(ctx, table["columns"]))
        checked += 1
    assert checked == len(SPECS)


def test_known_figures_of_the_fixture(login_as, dataset):
    """A few numbers worked out by hand, so that the SQL of the test is checked too."""
    client = login_as("t_mgmt", "Management", partners=("migra", "vsp", "agsa"))
    book = workbook(client.get(Q3))
    persons = tables_of(book["Persons"])[0]["Persons counselled"]
    # migra: 6 + 1 new persons, 3 follow-ups; vsp 4 new; agsa 5 new and 3 follow-ups.
    # Columns: VSP, migra (by state and name), agsa, the states, the total.
    assert [c for c, _p in persons["rows"]["with first counselling in the reporting period"]] == [4, 7, 5, 11, 5, 16]
    follow = [c for c, _p in persons["rows"]["with follow-up counselling of an earlier counselling only"]]
    assert follow == [0, 3, 3, 3, 3, 6]
    assert [p for _c, p in persons["rows"]["with follow-up counselling of an earlier counselling only"]] == [
        0.0, 30.0, 37.5, 21.4, 37.5, 27.3]
    gender = tables_of(book["Gender and age"])[0]["Persons by gender and age band"]
    assert gender["rows"]["diverse, 25–34"][2] == (".", ".")  # agsa's two diverse persons
    kinds = tables_of(book["Contacts"])[0]["Counselling contacts by kind"]
    # migra: 7 first contacts; 3 phone, 3 e-mail and 1 group follow-ups (the e-mail after the cut-off is not counted).
    assert kinds["rows"]["first contact"][1] == (7, 50.0)
    assert kinds["rows"]["follow-up"][1] == (7, 50.0)
    assert kinds["total"][1] == (14, 100.0)
    quali = tables_of(book["Qualification"])[0]["Type of qualification (persons)"]
    assert quali["rows"]["academic and vocational"][1][0] == "."  # the one person with two cases
    tables, info = tables_of(book["Reference occupations"])
    assert info["Number of different reference occupations"] == [1, 2, 0, 2, 0, 2]


def test_column_percentages_add_up_to_100(login_as, admin_engine, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "vsp", "agsa"))
    book = workbook(client.get(Q3))
    for sheet, title, query, label in SPECS:
        table = tables_of(book[sheet])[0][title]
        for i in range(len(table["columns"])):
            total, total_pct = table["total"][i]
            cells = [cells[i] for cells in table["rows"].values()]
            if total in MARKERS or not total:
                assert all(pct in MARKERS + (None,) for _c, pct in cells)
                continue
            for count, pct in cells:
                if count not in MARKERS:
                    assert pct == round(100.0 * count / total, 1)
            leaves, _groups = structure(title, list(table["rows"]))
            cells = [cells[p] for p in leaves]
            shown = [(c, p) for c, p in cells if c not in MARKERS]
            if len(shown) == len(cells):
                assert abs(sum(p for _c, p in shown) - 100.0) <= 0.05 * len(cells) + 1e-9, (title, i)
            # Hidden shares are hidden too, and the shown ones never exceed 100 together.
            assert all(p in MARKERS for c, p in cells if c in MARKERS)
            assert sum(p for _c, p in shown) <= 100.0 + 0.05 * len(cells)


def _rank(rows):
    rows = [list(r) for r in rows]
    rank, column = 0, 0
    width = len(rows[0]) if rows else 0
    while rank < len(rows) and column < width:
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            column += 1
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = Fraction(rows[r][column], rows[rank][column])
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank])]
        rank += 1
        column += 1
    return rank


def determined_hidden_cells(grid, lines, leaves=None, groups=(), values=None):
    """Hidden cells that a reader can compute from the shown ones: ``grid`` is a list of rows of cells
    ("." / "x" or a number), the last row the column totals; ``lines`` the sums across a row.

    Linear algebra over every published equation (column sums, partners → state → total): a hidden
    cell is determined iff its unit vector lies in the row space of the equations' coefficients."""
    unknown = {(r, c): n for r, row in enumerate(grid) for c, v in enumerate(row) if v in MARKERS
               for n in [None]}
    index = {cell: i for i, cell in enumerate(unknown)}
    equations = []

    def equation(parts, total):
        coefficients = [Fraction(0)] * len(index)
        for cell in parts:
            if cell in index:
                coefficients[index[cell]] += 1
        if total in index:
            coefficients[index[total]] -= 1
        if any(coefficients):
            equations.append(coefficients)

    last = len(grid) - 1
    leaves = range(last) if leaves is None else leaves
    for c in range(len(grid[0])):
        equation([(r, c) for r in leaves], (last, c))
        for parts, row in groups:
            equation([(r, c) for r in parts], (row, c))
    for r in range(len(grid)):
        for parts, total in lines:
            equation([(r, p) for p in parts], (r, total))
    base = _rank(equations) if equations else 0
    found = []
    for cell, i in index.items():
        unit = [Fraction(0)] * len(index)
        unit[i] = Fraction(1)
        if _rank(equations + [unit]) == base and (values is None or values[cell[0]][cell[1]]):
            found.append(cell)  # (a zero that follows from the sums singles nobody out)
    return found


def assert_protected(title, table, expected, members):
    """No hidden non-zero cell follows from the published sums (columns, subtotals, partners → state →
    total); ``expected`` the true counts from SQL (zeros that follow from the sums single nobody out)."""
    single = [i for i, m in enumerate(members) if len(m) == 1]
    states = [i for i, m in enumerate(members) if len(m) > 1 and m != max(members, key=len)]
    lines = [([p for p in single if members[p][0] in members[s]], s) for s in states]
    if len(states) > 1:
        lines.append((states, len(members) - 1))
    grid = [[c for c, _p in cells] for cells in table["rows"].values()] + [[c for c, _p in table["total"]]]
    values = [[sum(expected.get(row, {}).get(code, 0) for code in codes) for codes in members]
              for row in table["rows"]]
    leaves, groups = structure(title, list(table["rows"]))
    values.append([sum(values[r][i] for r in leaves) for i in range(len(members))])
    assert determined_hidden_cells(grid, lines, leaves, groups, values) == [], title
    return sum(v in MARKERS for row in grid for v in row)


def test_hidden_cells_cannot_be_computed_from_the_totals(login_as, ctx, admin_engine, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "vsp", "agsa"))
    book = workbook(client.get(Q3))
    # Columns: vsp, migra (MV), agsa (ST), MV, ST, total.
    lines = [([0, 1], 3), ([2], 4), ([3, 4], 5)]
    hidden_somewhere = 0
    for sheet, title, query, label in SPECS:
        table = tables_of(book[sheet])[0][title]
        grid = [[c for c, _p in cells] for cells in table["rows"].values()] + [[c for c, _p in table["total"]]]
        expected = sql_counts(admin_engine, query, label)
        members = column_members(ctx, table["columns"])
        values = [[sum(expected.get(row, {}).get(code, 0) for code in codes) for codes in members]
                  for row in table["rows"]]
        leaf_rows = structure(title, list(table["rows"]))[0]
        values.append([sum(values[r][i] for r in leaf_rows) for i in range(len(members))])
        hidden_somewhere += sum(v in MARKERS for row in grid for v in row)
        leaves, groups = structure(title, list(table["rows"]))
        assert determined_hidden_cells(grid, lines, leaves, groups, values) == [], title
    assert hidden_somewhere > 10  # the fixture has small cells to protect


def test_a_hidden_state_is_never_the_sum_of_shown_partners():
    """The case that needed the rule for hidden totals: agsa's 1 hides Sachsen-Anhalt; the network
    total then hides Mecklenburg-Vorpommern, which migra (3) and vsp (0) would give away."""
    table = Table("t", ["migra", "vsp", "agsa", "MV", "ST", "Total"])
    table.add("follow-ups", [3, 0, 1, 3, 1, 4])
    table.add("new", [7, 4, 5, 11, 5, 16])
    table.add_total("Total")
    table.protect(row_lines=[([0, 1], 3), ([2], 4), ([3, 4], 5)])
    grid = [[c.marker if c.hidden else c.value for c in cells] for _l, cells in table.rows + [table.total]]
    assert grid[0][2:5] == [".", "x", "."] and grid[0][0] == "x"
    values = [[c.value for c in cells] for _l, cells in table.rows + [table.total]]
    assert determined_hidden_cells(grid, [([0, 1], 3), ([2], 4), ([3, 4], 5)], values=values) == []


def test_the_rule_is_the_summary_one_for_row_totals():
    """``row_totals`` (the summary's two-way tables) and the equivalent ``row_lines`` protect alike."""
    def build(**kwargs):
        table = Table("t", ["a", "b", "c", "Total"])
        for values in ([1, 4, 6], [5, 2, 7], [3, 3, 9]):
            table.add("r", values + [sum(values)])
        table.add_total("Total")
        table.protect(**kwargs)
        return [[(c.hidden, c.secondary) for c in cells] for _l, cells in table.rows + [table.total]]

    assert build(row_totals=True) == build(row_lines=[([0, 1, 2], 3)])


def test_cut_off_date_excludes_later_records(login_as, admin_engine, ctx, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "vsp", "agsa"))
    later = workbook(client.get(Q3.replace("2013-09-15", "2013-09-30")))
    earlier = workbook(client.get(Q3))
    def first(book, sheet, title, row):
        return tables_of(book[sheet])[0][title]["rows"][row][1][0]  # migra's column
    # The case opened on 20 September and the e-mail of 25 September count only with the later cut-off.
    assert first(earlier, "Persons", "Persons counselled", "with first counselling in the reporting period") == 7
    assert first(later, "Persons", "Persons counselled", "with first counselling in the reporting period") == 8
    assert first(earlier, "Contacts", "Counselling contacts by kind", "follow-up") == 7
    assert first(later, "Contacts", "Counselling contacts by kind", "follow-up") == 8
    window = {"s": date(2013, 7, 1), "e": date(2013, 9, 30)}
    for sheet, title, query, label in SPECS:
        table = tables_of(later[sheet])[0][title]
        check_table(table, sql_counts(admin_engine, query, label, window), column_members(ctx, table["columns"]))


def test_quarter_selection(login_as, admin_engine, ctx, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "vsp", "agsa"))
    q4 = workbook(client.get("/reports/monitoring.xlsx?period=2013&quarter=4&cutoff=2013-12-31&lang=en"))
    persons = tables_of(q4["Persons"])[0]["Persons counselled"]
    assert persons["total"][2][0] == "."  # agsa's one Q4 case
    assert persons["total"][0][0] == 0
    year = workbook(client.get("/reports/monitoring.xlsx?period=2013&quarter=all&cutoff=2013-12-31&lang=en"))
    window = {"s": date(2013, 1, 1), "e": date(2013, 12, 31)}
    for sheet, title, query, label in SPECS:
        table = tables_of(year[sheet])[0][title]
        check_table(table, sql_counts(admin_engine, query, label, window), column_members(ctx, table["columns"]))
    cover = [r for r in year["Cover sheet"].iter_rows(values_only=True)]
    assert ("Quarter", "all quarters") in [tuple(r[:2]) for r in cover]
    assert ("Reporting window", "01.01.2013 – 31.12.2013") in [tuple(r[:2]) for r in cover]


def test_cover_sheet_in_german(app, german_default, login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "vsp", "agsa"))
    book = workbook(client.get(Q3.replace("&lang=en", "")))
    assert book.sheetnames[0] == "Deckblatt"
    cover = {r[0]: r[1] for r in book["Deckblatt"].iter_rows(values_only=True) if r and r[0]}
    assert cover["Förderperiode"] == "Förderperiode 2013"
    assert cover["Quartal"] == "Q3/2013"
    assert cover["Berichtszeitraum"] == "01.07.2013 – 15.09.2013"
    assert cover["Stichtag"] == "15.09.2013"
    assert cover["Partner"] == "VSP gGmbH, migra e.V., Auslandsgesellschaft Sachsen-Anhalt e.V."
    method = " ".join(str(r[1]) for r in book["Deckblatt"].iter_rows(values_only=True) if r and r[0] in (None, ""))
    assert "Stichtag" in method and "Eröffnungsdatum" in method and "Kontaktdatum" in method
    assert "„.“" in method and "„x“" in method
    assert "Personen" in book.sheetnames


def test_management_sees_only_its_partners(login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra",))
    book = workbook(client.get("/reports/monitoring.xlsx?period=2013&quarter=3&cutoff=2013-09-15&lang=en"))
    for sheet in book.sheetnames[1:]:
        for table in tables_of(book[sheet])[0].values():
            assert table["columns"] == ["migra e.V."]
    text_of_book = " ".join(str(v) for s in book for r in s.iter_rows(values_only=True) for v in r if v)
    assert "Auslandsgesellschaft" not in text_of_book and "VSP" not in text_of_book
    persons = tables_of(book["Persons"])[0]["Persons counselled"]
    assert persons["total"][0][0] == 10
    # Another partner's code answers exactly like an unknown one: a 400 that names nobody.
    foreign = client.get("/reports/monitoring.xlsx?period=2013&partner=agsa&lang=en")
    unknown = client.get("/reports/monitoring.xlsx?period=2013&partner=nosuch&lang=en")
    assert foreign.status_code == unknown.status_code == 400
    message = "No partner with this code among the partners whose figures you may see."
    assert message in foreign.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert "Auslandsgesellschaft" not in foreign.get_data(as_text=True)
    assert client.get("/reports/monitoring.xlsx?period=2013&state=ST&lang=en").status_code == 200


@pytest.mark.parametrize("role", ["Staff", "PartnerAdmin"])
def test_other_roles_are_refused(login_as, dataset, role):
    client = login_as("t_other", role, partners=("migra",))
    assert client.get(Q3).status_code == 403
    assert client.get("/reports/monitoring").status_code == 403


def test_admin_gets_the_network(login_as, dataset):
    client = login_as("t_admin", "Admin", partners=())
    book = workbook(client.get(Q3))
    columns = tables_of(book["Persons"])[0]["Persons counselled"]["columns"]
    assert columns[-1] == "Network total" and len(columns) == 8 + 2 + 1


@pytest.mark.parametrize("query, message", [
    ("period=1999", "Unknown funding period “1999”."),
    ("period=2013&quarter=5", "The quarter must be 1, 2, 3, 4 or “all”."),
    ("period=2013&quarter=x", "The quarter must be 1, 2, 3, 4 or “all”."),
    ("period=all&quarter=3", "A quarter can only be chosen together with a funding period of one calendar year."),
    ("period=2011&quarter=1", "Quarter 1 is not part of the funding period Förderperiode 2011."),
    ("period=2013&cutoff=2013-13-01", "The cut-off date must be given as YYYY-MM-DD."),
    ("period=2013&cutoff=15.09.2013", "The cut-off date must be given as YYYY-MM-DD."),
    ("period=2013&state=BY", "The state must be MV, ST or “all”."),
])
def test_bad_parameters_are_a_translated_400(login_as, query, message):
    client = login_as("t_mgmt", "Management", partners=("migra",))
    response = client.get(f"/reports/monitoring.xlsx?{query}&lang=en")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_bad_parameter_in_german(german_default, login_as):
    client = login_as("t_mgmt", "Management", partners=("migra",))
    response = client.get("/reports/monitoring.xlsx?period=2013&quarter=5")
    assert response.status_code == 400
    assert "Das Quartal muss 1, 2, 3, 4 oder „all“ sein." in response.get_data(as_text=True)


def test_form_page_and_links(login_as):
    client = login_as("t_mgmt", "Management", partners=("migra",))
    page = client.get("/reports/monitoring").get_data(as_text=True)
    assert 'action="/reports/monitoring.xlsx"' in page and 'method="get"' in page
    for name in ("period", "quarter", "partner", "state", "cutoff"):
        assert f'name="{name}"' in page
    assert "agsa" not in page  # only the user's partners are offered
    dashboard = client.get("/reports/dashboard").get_data(as_text=True)
    assert "/reports/monitoring" in dashboard


#: The README's "Done when": the workbook for Q3/2013 as Management of the network (a demo account).
README_URL = "/reports/monitoring.xlsx?period=2013&quarter=3&partner=all&state=all&cutoff=2013-12-31"


def test_demo_network_management_downloads_q3_2013(app, ctx, client, admin_engine):
    """Also every cell of the network workbook against the SQL counts, on the demo's 8 partners."""
    from app.setup.demo import load_demo
    from app.setup.demo_instance import ALL_PARTNERS, demo_accounts, demo_login
    from tests.conftest import post_form

    load_demo(ctx, clients=300, cases=800)
    ctx.commit()
    account = next(a for a in demo_accounts() if a[1] == "Management" and a[2] == ALL_PARTNERS)
    assert account[0] == "network-management"
    try:
        password = demo_login(ctx, app.appbuilder.sm, *account)
        response = post_form(client, "/login/", {"username": account[0], "password": password})
        assert response.status_code == 302
        book = workbook(client.get(README_URL))
        persons = tables_of(book["Personen"])[0]["Beratene Personen"]  # German, the default
        assert persons["columns"][-3:] == ["Mecklenburg-Vorpommern", "Sachsen-Anhalt", "Netzwerk gesamt"]
        assert len(persons["columns"]) == 8 + 3
        with admin_engine.connect() as conn:
            counselled = conn.execute(text(COUNSELLED + "SELECT COUNT(*) FROM persons"),
                                      {"s": date(2013, 7, 1), "e": date(2013, 9, 30)}).scalar()
        assert counselled > 20  # Q3/2013 has demo data
        assert persons["total"][-1] == (counselled, 100.0)
        english = workbook(client.get(README_URL + "&lang=en"))
        codes = tuple(ctx.execute(text("SELECT code FROM partner")).scalars())
        with admin_engine.connect() as conn:
            eu = dict(conn.execute(text("SELECT name_en, is_eu FROM country")).all())
        rests = {"Citizenship (persons)": lambda label: "other EU member states" if eu[label] else "other third countries",
                 "The 10 most frequent reference occupations (cases)": lambda label: "other reference occupations"}
        window = {"s": date(2013, 7, 1), "e": date(2013, 9, 30)}
        for sheet, title, query, label in SPECS:
            table = tables_of(english[sheet])[0][title]
            expected = sql_counts(admin_engine, query, label, window)
            members = column_members(ctx, table["columns"], codes)
            check_table(table, expected, members, rests.get(title))
            assert_protected(title, table, expected, members)
        cover = {r[0]: r[1] for r in book["Deckblatt"].iter_rows(values_only=True) if r and r[0]}
        assert cover["Quartal"] == "Q3/2013" and cover["Berichtszeitraum"] == "01.07.2013 – 30.09.2013"
    finally:
        with admin_engine.begin() as conn:
            ids = "SELECT id FROM ab_user WHERE username = 'network-management'"
            conn.execute(text(f"DELETE FROM membership WHERE user_id IN ({ids})"))
            conn.execute(text(f"DELETE FROM ab_user_role WHERE user_id IN ({ids})"))
            conn.execute(text("DELETE FROM ab_user WHERE username = 'network-management'"))
