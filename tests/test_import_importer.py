"""Importer: formats, notations, and that every bad input names row/column and writes nothing."""
import io
import zipfile
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.cases.models import Case, Contact
from app.clients.models import Client
from app.core.enums import ENQUIRERS, GENDERS
from app.partners.models import Partner
from app.transfer.importer import import_file
from app.transfer.readers import FileRefused
from tests.transfer_files import csv_bytes, row, xlsx_bytes


def counts(session):
    return tuple(session.execute(select(func.count()).select_from(m)).scalar() for m in (Client, Case, Contact))


def partner_id(session, code="migra"):
    return session.execute(select(Partner.id).where(Partner.code == code)).scalar()


def run(session, data, filename="cases.csv", dry_run=False, partner="migra"):
    return import_file(session, filename, data, partner_id(session, partner), dry_run=dry_run)


@pytest.mark.parametrize("delimiter,bom", [(";", True), (";", False), (",", True), (",", False)])
def test_csv_with_and_without_bom_and_either_delimiter(ctx, delimiter, bom):
    data = csv_bytes([row(1), row(2)], delimiter=delimiter, bom=bom)
    result = run(ctx, data)
    assert result.ok and result.committed, [str(e) for e in result.errors]
    assert counts(ctx) == (2, 2, 0)
    names = set(ctx.execute(select(Client.first_name)).scalars())
    assert names == {"Amina1", "Amina2"}  # the BOM did not stick to the first header


def test_xlsx_with_date_cells_and_text_dates(ctx):
    data = xlsx_bytes([row(1, Geburtsdatum=date(1980, 5, 17), Beratungsbeginn=date(2013, 3, 14)),
                       row(2, Geburtsdatum="1979-01-02", Beratungsbeginn="02.04.2012")])
    result = run(ctx, data, "cases.xlsx")
    assert result.ok and result.committed, [str(e) for e in result.errors]
    cases = ctx.execute(select(Case).order_by(Case.opened_on)).scalars().all()
    assert [c.opened_on for c in cases] == [date(2012, 4, 2), date(2013, 3, 14)]
    assert {c.client.birth_date for c in cases} == {date(1980, 5, 17), date(1979, 1, 2)}
    assert {c.funding_period.code for c in cases} == {"2012", "2013"}


def test_german_and_iso_dates(ctx):
    result = run(ctx, csv_bytes([row(1, Geburtsdatum="1980-05-17", Beratungsbeginn="14.03.2013",
                                      Abschluss="2013-06-30")]))
    assert result.ok, [str(e) for e in result.errors]
    case = ctx.execute(select(Case)).scalar_one()
    assert (case.client.birth_date, case.opened_on, case.closed_on) == (date(1980, 5, 17), date(2013, 3, 14),
                                                                        date(2013, 6, 30))
    assert case.status == "closed"


def test_labels_and_names_are_accepted_like_keys(ctx):
    with force_locale("de"):
        gender_de = str(GENDERS._labels["male"])
    with force_locale("en"):
        enquirer_en = str(ENQUIRERS._labels["jobcenter"])
    rows = [row(1, Geschlecht=gender_de, **{"Anfragende Stelle": enquirer_en, "Staatsangehörigkeit": "Syrien",
                                           "Land der Qualifikation": "Ukraine", "Referenzberuf": "Arzt/Ärztin"}),
            row(2, Geschlecht="MALE", **{"Anfragende Stelle": "jobcenter", "Staatsangehörigkeit": "syria",
                                         "Land der Qualifikation": "ua", "Referenzberuf": "arzt"})]
    result = run(ctx, csv_bytes(rows))
    assert result.ok, [str(e) for e in result.errors]
    cases = ctx.execute(select(Case)).scalars().all()
    for case in cases:
        assert (case.client.gender, case.enquirer, case.client.citizenship) == ("male", "jobcenter", "SY")
        assert case.qualification_country == "UA"
        assert case.reference_occupation.key == "arzt"
        # Prefilled from the catalogue because the file left them empty.
        assert case.regulated is True and case.legal_basis == "federal_specific_law"
        assert case.competent_body is not None


def test_rows_of_the_same_person_become_one_client(ctx):
    rows = [row(1, Beratungsbeginn="01.02.2012"), row(1, Beratungsbeginn="01.02.2013"),
            row(1, Vorname="AMINA1", Beratungsbeginn="01.02.2014"), row(2)]
    result = run(ctx, csv_bytes(rows))
    assert result.ok, [str(e) for e in result.errors]
    assert counts(ctx)[:2] == (2, 4)
    assert result.clients == 2 and result.cases == 4


def test_client_number_attaches_to_an_existing_client(ctx, factories):
    existing = factories.client(first_name="Olena", last_name="Koval")
    headers = ["Klientennummer", "Beratungsbeginn", "Ergebnis"]
    data = csv_bytes([{"Klientennummer": existing.client_number, "Beratungsbeginn": "05.05.2014",
                       "Ergebnis": "on_hold"}], headers=headers)
    result = run(ctx, data)
    assert result.ok, [str(e) for e in result.errors]
    case = ctx.execute(select(Case)).scalar_one()
    assert case.client_id == existing.id and counts(ctx)[0] == 1


def test_client_number_of_another_partner_is_not_found(ctx, factories):
    foreign = factories.client(partner="genres")
    headers = ["Klientennummer", "Beratungsbeginn"]
    data = csv_bytes([{"Klientennummer": foreign.client_number, "Beratungsbeginn": "05.05.2014"}], headers=headers)
    before = counts(ctx)
    result = run(ctx, data)
    assert [(e.row, e.column) for e in result.errors] == [(2, "Klientennummer")]
    assert counts(ctx) == before


def test_channel_column_records_a_first_contact(ctx):
    result = run(ctx, csv_bytes([row(1, **{"Kanal Erstkontakt": "phone"})]))
    assert result.ok, [str(e) for e in result.errors]
    contact = ctx.execute(select(Contact)).scalar_one()
    assert (contact.kind, contact.channel, contact.date) == ("first_contact", "phone", date(2013, 3, 14))


BAD_CELLS = [
    ({"Ergebnis": "great"}, "Ergebnis", "Unknown value"),
    ({"Geschlecht": "x"}, "Geschlecht", "Unknown value"),
    ({"Geburtsdatum": "31.02.1980"}, "Geburtsdatum", "is not a date"),
    ({"Beratungsbeginn": "2013/03/14"}, "Beratungsbeginn", "is not a date"),
    ({"Staatsangehörigkeit": "Atlantis"}, "Staatsangehörigkeit", "Unknown country"),
    ({"Referenzberuf": "Zauberer"}, "Referenzberuf", "Unknown reference occupation"),
    ({"Beratungsbeginn": "01.01.2015"}, "Beratungsbeginn", "outside the programme window"),
    ({"Beratungsbeginn": "30.06.2011"}, "Beratungsbeginn", "outside the programme window"),
    ({"Nachname": ""}, "Nachname", "required"),
    ({"Geburtsdatum": "17.05.2005"}, "Beratungsbeginn", "counselling is for ages 15 to 80"),
    ({"Abschluss": "01.01.2013"}, "Abschluss", "closed before it was opened"),
]


@pytest.mark.parametrize("overrides,column,message", BAD_CELLS)
def test_bad_cell_names_row_and_column_and_writes_nothing(ctx, overrides, column, message):
    data = csv_bytes([row(1), row(2, **overrides), row(3)])
    before = counts(ctx)
    result = run(ctx, data)
    assert not result.ok and not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert message in str(result.errors[0].message)
    assert counts(ctx) == before


def test_errors_of_several_rows_are_all_reported(ctx):
    data = csv_bytes([row(1, Ergebnis="nope"), row(2), row(3, Geburtsdatum="gestern", Staatsangehörigkeit="??")])
    result = run(ctx, data)
    assert sorted((e.row, e.column) for e in result.errors) == [
        (2, "Ergebnis"), (4, "Geburtsdatum"), (4, "Staatsangehörigkeit")]
    assert counts(ctx) == (0, 0, 0)


def test_client_and_case_errors_of_one_row_are_reported_together(ctx):
    bad = dict(row(1, Qualifikation="x" * 301), **{"E-Mail": "no-at-sign"})
    result = run(ctx, csv_bytes([bad]))
    assert sorted((e.row, e.column) for e in result.errors) == [(2, "E-Mail"), (2, "Qualifikation")]
    assert counts(ctx) == (0, 0, 0)


def test_model_errors_in_rows_before_a_parse_error_are_reported_too(ctx):
    data = csv_bytes([row(1, Beratungsbeginn="01.01.2015"), row(2, Ergebnis="nope")])
    result = run(ctx, data)
    assert [(e.row, e.column) for e in result.errors] == [(2, "Beratungsbeginn"), (3, "Ergebnis")]
    assert counts(ctx) == (0, 0, 0)


def test_dry_run_writes_nothing(ctx):
    result = run(ctx, csv_bytes([row(1), row(2)]), dry_run=True)
    assert result.ok and not result.committed and result.cases == 2
    assert counts(ctx) == (0, 0, 0)


def test_partner_comes_from_the_caller_not_from_the_file(ctx):
    rows = [dict(row(1), Partner="genres")]
    result = run(ctx, csv_bytes(rows), partner="migra")
    assert result.ok, [str(e) for e in result.errors]
    assert set(ctx.execute(select(Case.partner_id)).scalars()) == {partner_id(ctx, "migra")}
    assert set(ctx.execute(select(Client.partner_id)).scalars()) == {partner_id(ctx, "migra")}


def _zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return buffer.getvalue()


def _refused(ctx, data, filename, message):
    before = counts(ctx)
    with pytest.raises(FileRefused) as info:
        run(ctx, data, filename)
    assert message in str(info.value)
    assert counts(ctx) == before


def test_zip_bomb_is_refused_before_openpyxl_opens_it(ctx):
    data = _zip_bomb()
    assert len(data) < 200 * 1024
    _refused(ctx, data, "bomb.xlsx", "zip bomb")


def test_xlsx_unpacking_too_large_is_refused(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNCOMPRESSED", 1024)
    _refused(ctx, xlsx_bytes([row(1)]), "cases.xlsx", "unpacks to more than")


def test_too_large_file_is_refused(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    data = csv_bytes([row(i, Notizen="x" * 1000) for i in range(1100)])
    _refused(ctx, data, "cases.csv", "larger than 1 MB")


@pytest.mark.parametrize("filename,make", [("cases.csv", csv_bytes), ("cases.xlsx", xlsx_bytes)])
def test_too_many_rows_are_refused(app, ctx, monkeypatch, filename, make):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    _refused(ctx, make([row(i) for i in range(4)]), filename, "more than 3 data rows")


@pytest.mark.parametrize("filename,data,message", [
    ("cases.pdf", b"%PDF-1.4 garbage", "Unsupported file format"),
    ("cases", b"Vorname;Nachname", "Unsupported file format"),
    ("cases.xlsx", b"this is no zip at all", "not a valid Excel"),
    ("cases.csv", b"PK\x03\x04\x00\x00garbage", "not a text CSV"),
    ("cases.csv", "Vorname;Nachname\nJosé;Müller\n".encode("cp1252"), "not UTF-8"),
    ("cases.csv", b"\xef\xbb\xbf", "no header row"),
    ("cases.csv", "Vorname;Nachname;Geburtsdatum;Staatsangehörigkeit;Beratungsbeginn\n".encode(), "no data rows"),
])
def test_wrong_format_or_garbage_is_refused(ctx, filename, data, message):
    _refused(ctx, data, filename, message)


def test_valid_zip_that_is_no_workbook_is_refused(ctx):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    _refused(ctx, buffer.getvalue(), "cases.xlsx", "not a valid Excel")


def test_unknown_and_missing_columns_are_refused(ctx):
    _refused(ctx, csv_bytes([dict(row(1), Lieblingsfarbe="blau")]), "cases.csv", "Unknown columns: Lieblingsfarbe")
    rows = [{k: v for k, v in row(1).items() if k != "Geburtsdatum"}]
    _refused(ctx, csv_bytes(rows), "cases.csv", "Required columns are missing: Geburtsdatum")


def test_5000_rows_with_one_bad_row_refused_whole_then_accepted_when_fixed(ctx):
    rows = [row(i, Vorname=f"Person{i}") for i in range(5000)]
    rows[3456]["Staatsangehörigkeit"] = "Narnia"
    result = run(ctx, csv_bytes(rows))
    assert [(e.row, e.column) for e in result.errors] == [(3458, "Staatsangehörigkeit")]
    assert counts(ctx) == (0, 0, 0)

    rows[3456]["Staatsangehörigkeit"] = "SY"
    rows[4999]["Beratungsbeginn"] = "01.01.2016"  # a model-layer (not parsing) error, found at flush time
    result = run(ctx, csv_bytes(rows))
    assert [(e.row, e.column) for e in result.errors] == [(5001, "Beratungsbeginn")]
    assert counts(ctx) == (0, 0, 0)

    rows[4999]["Beratungsbeginn"] = "01.01.2014"
    result = run(ctx, csv_bytes(rows))
    assert result.ok and result.committed, [str(e) for e in result.errors[:3]]
    assert counts(ctx)[:2] == (5000, 5000)


@pytest.mark.parametrize("refused,message", [
    ("integrity", "The record conflicts with an existing one (for example a duplicate code)."),
    ("data", "A value is out of range or has an invalid format."),
])
def test_a_write_the_database_refuses_is_reported_like_every_refused_write(ctx, monkeypatch, refused, message):
    """The message comes from app.core.refusals (as in the forms and the API), never the driver's text."""
    from sqlalchemy.exc import DataError, IntegrityError

    error = {"integrity": IntegrityError, "data": DataError}[refused]("INSERT INTO client", {}, Exception("uq_x"))

    def flush(*args, **kwargs):
        raise error

    monkeypatch.setattr(ctx, "flush", flush)
    result = run(ctx, csv_bytes([row(1), row(2)]))
    monkeypatch.undo()
    assert not result.ok and not result.committed
    assert [(e.row, str(e.message)) for e in result.errors] == [(None, message)]
    assert counts(ctx) == (0, 0, 0)
