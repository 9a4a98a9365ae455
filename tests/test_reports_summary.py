"""Management summary PDF: numbers equal independent counts, small cells are suppressed, scope holds."""
import io
from datetime import date

import pytest
from flask import template_rendered
from pypdf import PdfReader
from sqlalchemy import func, select

from app.cases.models import Case, Contact


def pdf_text(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def line(text, label, after=None):
    """The numbers printed after ``label`` on its line (first such line after the heading ``after``)."""
    if after is not None:
        text = text[text.index(after):]
    for row in text.splitlines():
        if row.startswith(label + " ") or row == label:
            return row[len(label):].split()
    raise AssertionError(f"no line {label!r} in:\n{text}")


@pytest.fixture
def dataset(factories):
    """migra: 9 cases (Q1 2013: 5, Q2 2013: 4), agsa: 2 cases (a small cell), plus a 2012 case."""
    outcomes = ["application_help"] * 5 + ["no_procedure"] * 3 + ["language_course"]
    for i, outcome in enumerate(outcomes):
        opened = date(2013, 2, 1 + i) if i < 5 else date(2013, 5, i)
        case = factories.case(partner="migra", opened_on=opened, outcome=outcome,
                              client=factories.client(partner="migra", gender="male" if i < 4 else "female"))
        factories.contact(case)
        factories.contact(case, kind="follow_up", channel="phone", date=opened.replace(day=28))
    for i in range(2):
        case = factories.case(partner="agsa", opened_on=date(2013, 3, 3 + i), outcome="application_help")
        factories.contact(case)
    factories.case(partner="migra", opened_on=date(2012, 6, 1))
    factories.training(partner="migra")
    factories.funding(partner="migra", period="2013", funder="BMAS", planned_amount=120000, spent_amount=90000)


def test_summary_numbers_equal_database_counts(login_as, ctx, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "agsa"))
    text, reader = pdf_text(client.get("/reports/summary.pdf?period=2013&partner=all&state=all&lang=en"))
    cases_2013 = ctx.execute(select(func.count(Case.id)).where(Case.opened_on.between(date(2013, 1, 1), date(2013, 12, 31)))).scalar()
    q1 = ctx.execute(select(func.count(Case.id)).where(Case.opened_on.between(date(2013, 1, 1), date(2013, 3, 31)))).scalar()
    first_q1 = ctx.execute(select(func.count(Contact.id)).where(
        Contact.kind == "first_contact", Contact.date.between(date(2013, 1, 1), date(2013, 3, 31)))).scalar()
    assert (cases_2013, q1, first_q1) == (11, 7, 7)
    # Key figures: first contacts, follow-ups, cases opened, persons.
    assert line(text, "Q1/2013") == [str(first_q1), "5", str(q1), str(q1)]
    assert line(text, "Q2/2013") == ["4", "4", "4", "4"]
    assert line(text, "Q3/2013") == ["–", "–", "–", "–"]
    # Outcomes: 7 × help, 3 × no procedure, 1 × language course → the 1 is hidden, and so is the
    # smallest other cell (3), so that the total does not reveal it.
    assert line(text, "help with the application") == ["7"]
    assert line(text, "no procedure advised") == ["x"]  # secondary suppression has its own marker
    assert line(text, "referred to language course") == ["."]
    # Partner comparison: agsa has 2 cases, persons and first contacts (hidden), migra 9 each;
    # the totals (11) would reveal agsa's 2, so migra's cells are hidden too; follow-ups 9 and 0 show.
    assert line(text, "migra e.V.") == ["x", "x", "x", "9"]
    flat = " ".join(text.split())
    assert "“x”: not shown so that the hidden cells of its row or column cannot be computed" in flat
    assert "“.”: 1 or 2 persons or cases" in flat
    assert line(text, "Total", after="Comparison of partners") == ["11", "11", "11", "9"]
    assert "Page 1 of" in text
    # Trainings (8 female, 5 male, 6 hours) and funding (planned 120,000, spent 90,000) in full.
    assert line(text, "Jobcenter", after="Trainings in intercultural competence") == ["1", "6", "8", "5", "0"]
    assert line(text, "migra e.V. BMAS", after="Funding: planned and spent") == ["120,000.00", "90,000.00", "75"]
    assert "Nachname" not in text and "Vorname" not in text  # no personal data


def test_summary_in_german_is_the_default(app, login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra",))
    languages = []
    with template_rendered.connected_to(lambda sender, template, context: languages.append(context["locale"]), app):
        text, _ = pdf_text(client.get("/reports/summary.pdf?period=2013&partner=migra&state=all"))
        pdf_text(client.get("/reports/summary.pdf?period=2013&lang=en"))
        pdf_text(client.get("/reports/summary.pdf?period=2013&lang=xx"))
    assert languages == ["de", "en", "de"]
    assert "31.12.2013" in text  # German date format of the cut-off date
    assert "migra e.V." in text and "Auslandsgesellschaft" not in text


def test_summary_for_a_partner_outside_the_scope_is_not_found(login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra",))
    assert client.get("/reports/summary.pdf?period=2013&partner=agsa").status_code == 404
    text, _ = pdf_text(client.get("/reports/summary.pdf?period=2013&partner=all&lang=en"))
    # Only migra's 9 cases of 2013, although the network has 11.
    assert line(text, "Total", after="Key figures")[:3] == ["9", "9", "9"]


def test_summary_needs_the_reports_permission(login_as, dataset):
    client = login_as("t_staff", "Staff", partners=("migra",))
    assert client.get("/reports/summary.pdf?period=2013").status_code == 403


def test_pdfa_variant(login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra",))
    response = client.get("/reports/summary.pdf?period=2013&pdfa=1")
    _, reader = pdf_text(response)
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata and b'pdfaid:conformance="B"' in metadata


def test_dashboard_shows_the_same_figures(login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "agsa"))
    html = client.get("/reports/dashboard?period=2013").get_data(as_text=True)
    assert "<svg" in html and "Q1/2013" in html
    assert "Vorname" not in html
    # agsa's 2 cases are hidden ("."), migra's 9 only by secondary suppression ("x"); the legend says so.
    assert '<td class="n">.</td>' in html and '<td class="n">x</td>' in html
    assert "“x”: not shown so that the hidden cells of its row or column cannot be computed" in html


def test_case_list_pdf(login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("agsa",))
    text, reader = pdf_text(client.get("/reports/cases.pdf?period=2013&lang=en"))
    assert text.count("AGSA-") == 2 and "MIGR-" not in text


def test_cutoff_date_limits_the_figures(login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("migra", "agsa"))
    text, _ = pdf_text(client.get("/reports/summary.pdf?period=2013&cutoff=2013-03-31&lang=en"))
    assert line(text, "Total", after="Key figures")[:3] == ["7", "5", "7"]
    assert "Q2/2013" not in text and "31.03.2013" in text
    assert client.get("/reports/summary.pdf?cutoff=31.03.2013").status_code == 400
    assert client.get("/reports/summary.pdf?period=1999").status_code == 404


def test_dashboard_is_scoped(login_as, dataset):
    client = login_as("t_mgmt", "Management", partners=("agsa",))
    html = client.get("/reports/dashboard?period=2013").get_data(as_text=True)
    assert "Auslandsgesellschaft" in html and "migra e.V." not in html
    assert client.get("/reports/dashboard?partner=migra").status_code == 404


def test_confirmation_link_for_the_case_page(app):
    from app.reports.confirmation import confirmation_link

    with app.test_request_context():
        html = str(confirmation_link(42))
    # A GET form (it only reads) with the letter language beside the button.
    assert 'method="get" action="/cases/42/confirmation.pdf"' in html
    assert "<select" in html


def test_reports_menu_for_management_only(app, make_user):
    from flask import g
    from flask_login import login_user

    def menu_for(username, role):
        user_id = make_user(username, role, ("migra",))
        with app.test_request_context("/"):
            g.user = app.appbuilder.sm.get_user_by_id(user_id)
            login_user(g.user)
            return {item["name"]: item for item in app.appbuilder.menu.get_data()}

    exports = {"/exports/cases.csv", "/exports/cases.xlsx"}
    reports = menu_for("t_mgmt", "Management")["Reports"]
    assert {child["url"] for child in reports["childs"]} == {"/reports/dashboard", "/reports/summary.pdf",
                                                             "/reports/monitoring"} | exports
    staff_reports = menu_for("t_staff", "Staff")["Reports"]
    assert {child["url"] for child in staff_reports["childs"]} == exports


def test_state_filter_and_network_wide_admin(login_as, dataset):
    client = login_as("t_admin", "Admin", partners=())
    text, _ = pdf_text(client.get("/reports/summary.pdf?period=all&state=all&lang=en"))
    assert line(text, "Total", after="Key figures")[:3] == ["11", "9", "12"]  # the 2012 case has no contact
    text, _ = pdf_text(client.get("/reports/summary.pdf?period=2013&state=ST&lang=en"))
    assert line(text, "Total", after="Key figures") == [".", "–", ".", "."]  # agsa's 2 cases only
    assert client.get("/reports/summary.pdf?state=XX").status_code == 404
