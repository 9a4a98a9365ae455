"""Buttons around the case list and page, and the duplicate check of the client form."""
from datetime import date

from app.clients.models import Client
from tests.conftest import post_form

CLIENT_FORM = {"first_name": "Ayşe", "last_name": "Öztürk", "birth_date": "1984-03-09", "gender": "female",
               "citizenship": "TR", "counselling_language": "tr",
               "counselling_consent": "y", "consent_text_version": "2026-1", "consent_given_how": "signed_form"}


def test_case_list_offers_export_with_its_filters(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    page = client.get("/caseview/list/?_flt_0_status=open").get_data(as_text=True)
    assert 'href="/exports/cases.csv?_flt_0_status=open"' in page
    assert 'href="/exports/cases.xlsx?_flt_0_status=open"' in page


def test_case_list_embedded_in_a_client_page_has_no_export(login_as, client, factories):
    person = factories.client(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    page = client.get(f"/clientview/show/{person.id}").get_data(as_text=True)
    assert "iq-export-buttons" not in page and "CaseView" in page  # the embedded list is there


def test_case_page_links_follow_up_and_confirmation(login_as, client, factories):
    case = factories.case(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    page = client.get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert f"/contactview/add?_flt_0_case={case.id}" in page
    assert f"/cases/{case.id}/confirmation.pdf" in page
    form = client.get(f"/contactview/add?_flt_0_case={case.id}").get_data(as_text=True)
    assert '<option selected value="follow_up">' in form


def test_follow_up_from_the_case_page_in_one_step(login_as, client, ctx, factories):
    from app.cases.models import Contact

    case = factories.case(partner="migra", opened_on=date(2013, 2, 1))
    login_as("t_staff", "Staff", ("migra",))
    url = f"/contactview/add?_flt_0_case={case.id}"
    response = post_form(client, url, {"date": "2013-02-15", "kind": "follow_up", "channel": "phone"})
    assert response.status_code == 302
    contact = ctx.query(Contact).one()
    assert (contact.case_id, contact.kind, contact.counsellor.username) == (case.id, "follow_up", "t_staff")


def test_partner_admin_reads_cases_but_gets_no_follow_up_button(login_as, client, factories):
    case = factories.case(partner="migra")
    login_as("t_padmin", "PartnerAdmin", ("migra",))
    page = client.get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert "/contactview/add" not in page and f"/cases/{case.id}/confirmation.pdf" in page


def test_client_form_asks_before_creating_a_likely_duplicate(login_as, client, ctx, factories):
    factories.client(partner="migra", first_name="Ayse", last_name="Oeztuerk", birth_date=date(1984, 3, 9))
    factories.client(partner="vsp", first_name="Ayşe", last_name="Öztürk", birth_date=date(1984, 3, 9))
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/clientview/add", CLIENT_FORM)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Possible duplicate of an existing client" in page
    assert "Oeztuerk" in page and 'value="Öztürk"' in page
    assert ctx.query(Client).count() == 2
    response = post_form(client, "/clientview/add", {**CLIENT_FORM, "create_anyway": "y"})
    assert response.status_code == 302
    ctx.expire_all()
    assert ctx.query(Client).filter_by(last_name="Öztürk").count() == 2  # vsp's and the new one
