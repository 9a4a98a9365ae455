"""Import page: Staff only, dry run shows per-row errors, import writes all rows or none."""
import io

from sqlalchemy import func, select

from app.cases.models import Case
from app.clients.models import Client
from app.partners.models import Partner
from tests.conftest import logout, post_form
from tests.transfer_files import csv_bytes, read_xlsx, row, xlsx_bytes


def cases(ctx):
    ctx.rollback()
    return ctx.execute(select(Case)).scalars().all()


def partner_id(ctx, code):
    return ctx.execute(select(Partner.id).where(Partner.code == code)).scalar()


def upload(client, ctx, data, filename, action, partner="migra"):
    return post_form(client, "/import/", {"partner": str(partner_id(ctx, partner)), "action": action,
                                          "upload": (io.BytesIO(data), filename)},
                     content_type="multipart/form-data")


def test_staff_sees_the_page_with_templates_and_column_help(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/import/").get_data(as_text=True)
    assert "/import/template.xlsx" in html and "/import/template.csv" in html
    assert "Staatsangehörigkeit" in html and "Klientennummer" in html


def test_templates_have_the_german_headers(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    response = client.get("/import/template.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    headers = response.data.decode("utf-8-sig").strip().split(";")
    assert headers[:4] == ["Klientennummer", "Vorname", "Nachname", "Geburtsdatum"]
    assert {"Beratungsbeginn", "Abschluss", "Anfragende Stelle", "Referenzberuf", "Ergebnis"} <= set(headers)
    xlsx = client.get("/import/template.xlsx")
    assert xlsx.status_code == 200 and read_xlsx(xlsx.data)[0] == headers


def test_management_may_not_import(login_as, client, ctx):
    login_as("t_boss", "Management", ("migra",))
    assert client.get("/import/").status_code == 403
    response = client.post("/import/", data={"upload": (io.BytesIO(csv_bytes([row(1)])), "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (400, 403)
    assert cases(ctx) == []


def test_dry_run_shows_row_errors_and_writes_nothing(login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    data = csv_bytes([row(1), row(2, Geburtsdatum="32.13.1980")])
    response = upload(client, ctx, data, "cases.csv", "check")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="import-error-table"' in html
    assert "<td>3</td><td>Geburtsdatum</td>" in html and "32.13.1980" in html
    assert cases(ctx) == []


def test_clean_dry_run_then_import(login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    data = xlsx_bytes([row(1), row(2)])
    html = upload(client, ctx, data, "cases.xlsx", "check").get_data(as_text=True)
    assert 'id="import-checked"' in html and cases(ctx) == []
    html = upload(client, ctx, data, "cases.xlsx", "import").get_data(as_text=True)
    assert 'id="import-done"' in html
    imported = cases(ctx)
    assert len(imported) == 2
    assert {c.partner.code for c in imported} == {"migra"}
    assert {c.counsellor.username for c in imported} == {"t_staff"}


def test_import_with_an_error_writes_nothing(login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    data = csv_bytes([row(1), row(2, Ergebnis="??")])
    html = upload(client, ctx, data, "cases.csv", "import").get_data(as_text=True)
    assert 'id="import-errors"' in html and "<td>3</td><td>Ergebnis</td>" in html
    assert cases(ctx) == []


def test_refused_file_shows_the_reason(login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    html = upload(client, ctx, b"garbage", "cases.docx", "import").get_data(as_text=True)
    assert 'id="import-refused"' in html
    assert cases(ctx) == []


def test_partner_is_one_of_the_users_partners_never_from_the_file(login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra", "genres"))
    data = csv_bytes([dict(row(1), Partner="vsp")])
    upload(client, ctx, data, "cases.csv", "import", partner="genres")
    assert {c.partner.code for c in cases(ctx)} == {"genres"}
    # A partner outside the user's set is not a valid choice: nothing is written.
    html = upload(client, ctx, csv_bytes([row(2)]), "cases.csv", "import", partner="vsp").get_data(as_text=True)
    assert 'id="import-done"' not in html
    assert len(cases(ctx)) == 1
    assert ctx.execute(select(func.count()).select_from(Client).where(
        Client.partner_id == partner_id(ctx, "vsp"))).scalar() == 0


def test_menu_offers_import_to_staff_and_exports_to_management(login_as, client, app):
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/import/").get_data(as_text=True)
    assert 'href="/import/"' in html and 'href="/exports/cases.xlsx"' in html
    logout(client)
    login_as("t_boss", "Management", ("migra",))
    html = client.get("/exports/cases.csv")
    assert html.status_code == 200
    page = client.get("/").get_data(as_text=True)
    assert 'href="/exports/cases.csv"' in page and 'href="/import/"' not in page
