"""A save with several cross-field errors reports all of them at once, not one per save (the UI
forms, "New counselling" and the API alike; the model layer collects them, app.core.field_labels.Refusals)."""
from datetime import date
from html import unescape

from app.cases.models import Case, Contact
from app.clients.models import Client
from tests.conftest import post_form
from tests.test_quick_entry import NEW_CASE
from tests.test_save_messages import form_values

WINDOW = "liegt außerhalb der Programmlaufzeit"
AGE = "14 Jahre alt"


def test_case_edit_reports_window_age_and_year_at_once(german_default, login_as, client, ctx, factories):
    person = factories.client(birth_date=date(1997, 1, 1))
    case = factories.case(client=person, opened_on=date(2013, 3, 14))
    login_as("t_xf_staff", "Staff", ["migra"])
    values = form_values(client.get(f"/caseview/edit/{case.id}").get_data(as_text=True))
    values.update(opened_on="01.03.2011", qualification_year="2015")
    html = unescape(post_form(client, f"/caseview/edit/{case.id}", values).get_data(as_text=True))
    assert WINDOW in html and AGE in html
    assert "Das Abschlussjahr der Qualifikation ist nicht plausibel" in html
    assert 'value="01.03.2011"' in html  # the input stays
    ctx.expire_all()
    assert ctx.get(Case, case.id).opened_on == date(2013, 3, 14)


def test_quick_entry_reports_window_and_age_at_once(german_default, login_as, client, ctx):
    login_as("t_xf_staff", "Staff", ["genres"])
    html = unescape(post_form(client, "/entry/", {**NEW_CASE, "reference_occupation": "", "opened_on": "01.03.2011",
                                                  "birth_date": "01.01.1997"}).get_data(as_text=True))
    assert WINDOW in html and AGE in html
    ctx.expire_all()
    assert ctx.query(Client).count() == 0 and ctx.query(Case).count() == 0


def test_api_reports_window_and_age_at_once(api_token, client, ctx, factories, german_default):
    person = factories.client(partner="migra", birth_date=date(1997, 1, 1))
    case = factories.case(client=person, opened_on=date(2013, 3, 14))
    headers = api_token("t_xf_api", "Staff", ("migra",))
    response = client.put(f"/api/v1/case/{case.id}", headers={**headers, "Accept-Language": "de"},
                          json={"opened_on": "2011-03-01", "version": case.version})
    assert response.status_code == 422
    message = response.get_json()["message"]
    assert WINDOW in message and AGE in message, message
    ctx.expire_all()
    assert ctx.get(Case, case.id).opened_on == date(2013, 3, 14)


def test_contact_reports_window_and_before_opening_at_once(german_default, login_as, client, ctx, factories):
    case = factories.case(opened_on=date(2013, 3, 14))
    contact = factories.contact(case)
    login_as("t_xf_staff", "Staff", ["migra"])
    values = form_values(client.get(f"/contactview/edit/{contact.id}").get_data(as_text=True))
    values.update(date="01.03.2011")
    html = unescape(post_form(client, f"/contactview/edit/{contact.id}", values).get_data(as_text=True))
    assert WINDOW in html and "vor der Eröffnung des Beratungsfalls" in html
    ctx.expire_all()
    assert ctx.get(Contact, contact.id).date == date(2013, 3, 14)


def test_the_same_refusal_of_two_records_is_said_once(app):
    import pytest

    from app.core.errors import DomainError
    from app.core.field_labels import DomainErrors, Refusals

    refused = Refusals()
    refused.add("Das Datum liegt außerhalb.", field="opened_on")
    refused.add("Das Datum liegt außerhalb.", field="date")
    with pytest.raises(DomainError) as once:
        refused.raise_any()
    assert not isinstance(once.value, DomainErrors) and once.value.field == "opened_on"
    refused.add("Zu jung.", field="opened_on")
    with pytest.raises(DomainErrors) as both:
        refused.raise_any()
    assert [str(e.message) for e in both.value.errors] == ["Das Datum liegt außerhalb.", "Zu jung."]
    assert Refusals().raise_any() is None
