"""Case exports: Excel-friendly CSV, XLSX with the same rows, formula escaping, scope, Management view."""
import csv
import io
from datetime import date

import pytest

from tests.transfer_files import read_xlsx


@pytest.fixture
def data(factories):
    """Two migra cases (one with hostile text), one genres case, in periods 2012 and 2013."""
    hostile = factories.client(first_name="=cmd|' /C calc'!A0", last_name="@SUM(A1)")
    migra_a = factories.case(client=hostile, notes="+49 381 123", qualification_title="-2+3",
                             opened_on=date(2012, 5, 2))
    migra_b = factories.case(partner="migra", opened_on=date(2013, 3, 14), closed_on=date(2013, 9, 1))
    genres = factories.case(partner="genres", opened_on=date(2013, 4, 4))
    return {"migra": {migra_a.id, migra_b.id}, "genres": {genres.id}, "hostile": migra_a.id}


def read_csv(response):
    assert response.status_code == 200, response.status_code
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def ids(rows):
    position = rows[0].index("Fallnummer")
    return {int(r[position]) for r in rows[1:]}


def as_dicts(rows):
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_staff_csv_is_excel_friendly_german_and_scoped(login_as, client, data):
    login_as("t_staff", "Staff", ("migra",))
    response = client.get("/exports/cases.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert b";" in response.data.split(b"\r\n")[0]
    rows = read_csv(response)
    assert rows[0][:6] == ["Partner", "Fallnummer", "Klientennummer", "Vorname", "Nachname", "Geburtsdatum"]
    assert ids(rows) == data["migra"]  # never genres' case
    assert all(r["Partner"] == "migra" for r in as_dicts(rows))


def test_formula_cells_are_neutralised(login_as, client, data):
    login_as("t_staff", "Staff", ("migra",))
    rows = as_dicts(read_csv(client.get("/exports/cases.csv")))
    hostile = next(r for r in rows if int(r["Fallnummer"]) == data["hostile"])
    assert hostile["Vorname"] == "'=cmd|' /C calc'!A0"
    assert hostile["Nachname"] == "'@SUM(A1)"
    assert hostile["Notizen"] == "'+49 381 123"
    assert hostile["Qualifikation"] == "'-2+3"
    assert hostile["Geburtsdatum"] == "17.05.1980" and hostile["Beratungsbeginn"] == "02.05.2012"


def test_staff_of_the_other_partner_sees_only_its_own_rows(login_as, client, data):
    login_as("t_other", "Staff", ("genres",))
    assert ids(read_csv(client.get("/exports/cases.csv"))) == data["genres"]
    # Asking for the other partner explicitly yields nothing, not its rows.
    assert ids(read_csv(client.get("/exports/cases.csv?partner=migra"))) == set()
    assert ids(read_xlsx(client.get("/exports/cases.xlsx?partner=migra").data)) == set()


def test_admin_sees_the_network_and_filters_apply(login_as, client, data):
    login_as("t_admin", "Admin", ())
    assert ids(read_csv(client.get("/exports/cases.csv"))) == data["migra"] | data["genres"]
    assert ids(read_csv(client.get("/exports/cases.csv?partner=genres"))) == data["genres"]
    assert ids(read_csv(client.get("/exports/cases.csv?period=2012"))) == {data["hostile"]}
    assert ids(read_csv(client.get("/exports/cases.csv?state=ST"))) == set()
    assert ids(read_csv(client.get("/exports/cases.csv?state=MV&period=2013"))) == (
        data["migra"] | data["genres"]) - {data["hostile"]}
    # The case list's filters, index for index (``_flt_0_status`` = "equal to", 1 = "not equal to").
    assert ids(read_csv(client.get("/exports/cases.csv?_flt_0_status=closed"))) == data["migra"] - {data["hostile"]}
    assert ids(read_csv(client.get("/exports/cases.csv?_flt_1_status=closed"))) == (
        data["migra"] | data["genres"]) - (data["migra"] - {data["hostile"]})
    assert client.get("/exports/cases.csv?period=1999").status_code == 400


def test_the_list_client_filter_narrows_the_export(login_as, client, factories, data):
    """The case list's "name or number starts with" filter (``_flt_0_client``), as the list's export
    button sends it: a name for Staff, never another partner's rows."""
    kept = factories.case(client=factories.client(last_name="Zyxwvutsrq"))
    login_as("t_staff", "Staff", ("migra",))
    listed = client.get("/caseview/list/?_flt_0_client=Zyxwvu")
    assert listed.status_code == 200 and "Zyxwvutsrq" in listed.get_data(as_text=True)
    assert ids(read_csv(client.get("/exports/cases.csv?_flt_0_client=Zyxwvu"))) == {kept.id}
    assert ids(read_xlsx(client.get("/exports/cases.xlsx?_flt_0_client=Zyxwvu").data)) == {kept.id}


def test_the_client_filter_finds_nothing_of_another_partner(login_as, client, factories, data):
    factories.case(client=factories.client(last_name="Zyxwvutsrq"))
    login_as("t_other", "Staff", ("genres",))
    assert ids(read_csv(client.get("/exports/cases.csv?_flt_0_client=Zyxwvu"))) == set()
    assert ids(read_csv(client.get("/exports/cases.csv"))) == data["genres"]


def test_management_export_has_no_personal_fields(login_as, client, data):
    login_as("t_boss", "Management", ("migra",))
    rows = read_csv(client.get("/exports/cases.csv"))
    for personal in ("Vorname", "Nachname", "Geburtsdatum", "Notizen", "Qualifikation", "Telefon", "E-Mail"):
        assert personal not in rows[0]
    assert {"Klientennummer", "Altersgruppe", "Quartal"} <= set(rows[0])
    assert ids(rows) == data["migra"]
    text = client.get("/exports/cases.csv").get_data(as_text=True)
    assert "cmd" not in text and "SUM" not in text and "1980" not in text and "+49" not in text
    dicts = as_dicts(rows)
    assert {r["Altersgruppe"] for r in dicts} == {"25–34"} and {r["Quartal"] for r in dicts} == {"2012-Q2", "2013-Q1"}
    workbook_rows = read_xlsx(client.get("/exports/cases.xlsx").data)
    assert workbook_rows[0] == rows[0]


def test_xlsx_opens_and_has_the_same_rows_as_the_csv(login_as, client, data):
    login_as("t_staff", "Staff", ("migra",))
    csv_rows = read_csv(client.get("/exports/cases.csv"))
    response = client.get("/exports/cases.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    xlsx_rows = read_xlsx(response.data)
    assert xlsx_rows[0] == csv_rows[0]
    assert ids(xlsx_rows) == ids(csv_rows) == data["migra"]
    hostile = next(dict(zip(xlsx_rows[0], r)) for r in xlsx_rows[1:] if r[1] == data["hostile"])
    assert hostile["Vorname"] == "'=cmd|' /C calc'!A0"  # text, not a formula
    assert hostile["Beratungsbeginn"].date() == date(2012, 5, 2)  # a real date cell


def test_the_sheet_is_a_zip64_entry_so_that_no_size_limit_applies():
    """The sheet's size is unknown while it streams: its local header carries the zip64 extra field
    (id 1) and its data descriptor 8-byte sizes, so a sheet beyond 4 GiB stays a valid file."""
    import struct
    import zipfile

    from app.transfer import streams

    data = b"".join(streams.xlsx_chunks("Fälle", iter([streams.xlsx_row(["a", 1]).encode()] * 3)))
    offset = 0  # the first local header; then from one to the next until the sheet
    while True:
        name_length, extra_length = struct.unpack("<HH", data[offset + 26:offset + 30])
        name = data[offset + 30:offset + 30 + name_length]
        if name == b"xl/worksheets/sheet1.xml":
            break
        offset = data.index(b"PK\x03\x04", offset + 4)
    extra = data[offset + 30 + name_length:offset + 30 + name_length + extra_length]
    assert struct.unpack("<H", extra[:2])[0] == 1  # zip64 extended information
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("xl/worksheets/sheet1.xml").count(b"<row") == 3
    assert read_xlsx(data) == [["a", 1]] * 3


def test_export_needs_a_login(client, data):
    response = client.get("/exports/cases.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_large_export_is_streamed_in_batches(app, login_as, client, factories):
    """More rows than one batch: the CSV arrives in several chunks and holds every row."""
    from app.transfer import exporter

    login_as("t_staff", "Staff", ("migra",))
    case = factories.case()
    for _ in range(4):
        factories.case(client=case.client, opened_on=date(2014, 2, 2))
    original = exporter.BATCH
    exporter.BATCH = 2
    try:
        response = client.get("/exports/cases.csv")
        assert response.is_streamed
        chunks = list(response.response)
        response.close()
    finally:
        exporter.BATCH = original
    assert len(chunks) >= 3
    text = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text), delimiter=";"))) == 6


def _statements_for(client, url, engine):
    """SQL statements the export issues (counted at the cursor), and the response body."""
    from sqlalchemy import event

    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        body = response.data
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return [s for s in statements if "counselling_case" in s], body


@pytest.mark.parametrize("url", ["/exports/cases.csv", "/exports/cases.xlsx"])
def test_export_reads_cases_in_one_statement_whatever_the_row_count(app, login_as, client, factories, url):
    """Rows come as column tuples of one joined select: no per-row load of client, partner or period."""
    from app.extensions import db

    login_as("t_staff", "Staff", ("migra",))
    factories.case(partner="migra")
    few, _ = _statements_for(client, url, db.engine)
    for _ in range(6):
        factories.case(partner="migra")
    many, body = _statements_for(client, url, db.engine)
    assert len(few) == len(many) == 1, many
    rows = read_csv_bytes(body) if url.endswith(".csv") else read_xlsx(body)
    assert len(rows) == 1 + 7


def test_export_is_not_cached(login_as, client, data):
    login_as("t_staff", "Staff", ("migra",))
    for url in ("/exports/cases.csv", "/exports/cases.xlsx"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]


def read_csv_bytes(raw):
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _postgresql(app):
    from app.extensions import db

    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _sheet_xml(data):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


@pytest.fixture
def awkward(factories):
    """Values that need quoting, escaping or neutralising, empty ones, and both column sets' fields."""
    odd = factories.client(first_name='Ann;a "Q"', last_name="<b>&amp</b>\x07", birth_date=date(1961, 2, 28),
                           gender="diverse", citizenship="XK", client_number="=HYPERLINK(1)")
    factories.case(client=odd, notes="zwei\r\nZeilen;\n\tTab", qualification_title="@Titel", qualification_year=1999,
                   closed_on=date(2013, 12, 31), regulated=True, notice_result="partial", qualification_country="UA")
    factories.case(client=factories.client(first_name=" lead", last_name="trail ", gender="not_stated"),
                   qualification_title="", regulated=False, enquirer="other")
    factories.case(partner="genres")


@pytest.mark.parametrize("personal", [True, False])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_database_formatting_equals_python_formatting(app, monkeypatch, awkward, personal, lang):
    """On PostgreSQL the rows are formatted by the database (COPY); byte for byte what Python writes."""
    if not _postgresql(app):
        pytest.skip("the database path exists on PostgreSQL only")
    from flask_babel import force_locale

    from app.extensions import db
    from app.security.scoping import partner_scope
    from app.transfer import exporter

    columns = exporter.PERSONAL_COLUMNS if personal else exporter.PSEUDONYMOUS_COLUMNS

    def export(fmt):
        with app.app_context(), partner_scope([db.session.execute(
                select_partner_id("migra")).scalar()]), force_locale(lang):
            query = exporter.case_query(db.session, columns)
            chunks = exporter.csv_chunks(query, columns) if fmt == "csv" else exporter.xlsx_chunks(query, columns)
            data = b"".join(chunks)
            db.session.rollback()
        return data if fmt == "csv" else _sheet_xml(data)

    assert exporter.database_rows(columns, "csv") is not None  # the database path is taken
    from_database = export("csv"), export("xlsx")
    monkeypatch.setattr(exporter, "database_rows", lambda columns, kind: None)
    from_python = export("csv"), export("xlsx")
    assert from_database[0] == from_python[0]
    assert from_database[1] == from_python[1]
    rows = read_csv_bytes(from_database[0])
    assert len(rows) == 1 + 2
    if personal:
        odd = next(dict(zip(rows[0], r)) for r in rows[1:] if r[3].startswith("Ann"))
        assert odd["Vorname"] == 'Ann;a "Q"' and odd["Klientennummer"] == "'=HYPERLINK(1)"
        assert odd["Notizen"] == "zwei\r\nZeilen;\n\tTab" and odd["Qualifikation"] == "'@Titel"


def select_partner_id(code):
    from sqlalchemy import select

    from app.partners.models import Partner

    return select(Partner.id).where(Partner.code == code)


def test_row_level_security_holds_while_the_export_streams(app, monkeypatch, login_as, client, awkward):
    """The COPY runs after the view returned (streamed): without the ORM criteria, PostgreSQL's
    row-level security of that transaction still keeps the other partner's rows out."""
    if not _postgresql(app):
        pytest.skip("row-level security exists on PostgreSQL only")
    from app.security import scoping

    login_as("t_other", "Staff", ("genres",))
    monkeypatch.setattr(scoping, "scope_options", lambda session: [])
    for url in ("/exports/cases.csv", "/exports/cases.xlsx"):
        response = client.get(url)
        assert response.status_code == 200
        rows = read_csv(response) if url.endswith(".csv") else read_xlsx(response.data)
        assert len(rows) == 2 and rows[1][0] == "genres", rows


def test_xlsx_is_streamed(login_as, client, awkward):
    login_as("t_staff", "Staff", ("migra",))
    response = client.get("/exports/cases.xlsx")
    assert response.status_code == 200 and response.is_streamed
    assert "Content-Length" not in response.headers
    rows = read_xlsx(response.data)
    assert len(rows) == 3 and {r[0] for r in rows[1:]} == {"migra"}
    odd = next(dict(zip(rows[0], r)) for r in rows[1:] if r[3] == 'Ann;a "Q"')
    assert odd["Nachname"] == "<b>&amp</b>" and odd["Notizen"] == "zwei\r\nZeilen;\n\tTab"  # control character dropped
    assert odd["Geburtsdatum"].date() == date(1961, 2, 28) and odd["Abschlussjahr"] == 1999
    other = next(dict(zip(rows[0], r)) for r in rows[1:] if r[3] != 'Ann;a "Q"')
    assert other["Qualifikation"] is None  # an empty value is an empty cell
