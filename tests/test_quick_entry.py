"""The "New counselling" form: client, case and first contact in one go, or nothing at all."""
from datetime import date
from types import SimpleNamespace

from app.cases.models import Case, Contact
from app.clients.models import Client
from tests.conftest import post_form

URL = "/entry/"
NEW_CASE = {"opened_on": "14.05.2013", "channel": "phone", "minutes": "45", "first_name": "Olena",
            "last_name": "Kovalenko", "birth_date": "02.03.1986", "gender": "female", "citizenship": "Ukraine",
            "counselling_language": "uk", "qualification_title": "Лікар", "qualification_type": "academic",
            "qualification_country": "UA", "reference_occupation": "Arzt/Ärztin", "regulated": "yes",
            "outcome": "application_help",
               "counselling_consent": "y", "consent_text_version": "2026-1", "consent_given_how": "signed_form"}


def _rows(ctx):
    ctx.expire_all()
    return ctx.query(Client).count(), ctx.query(Case).count(), ctx.query(Contact).count()


def _occupation(ctx):
    from app.catalogues.models import ReferenceOccupation
    return ctx.query(ReferenceOccupation).filter(ReferenceOccupation.regulated.is_(True)).order_by(
        ReferenceOccupation.id).first()


def test_new_client_case_and_first_contact_in_one_go(login_as, client, ctx):
    occupation = _occupation(ctx)
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, URL, {**NEW_CASE, "reference_occupation": occupation.name_de})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    case = ctx.query(Case).one()
    assert response.headers["Location"].endswith(f"/caseview/show/{case.id}")
    person, contact = case.client, ctx.query(Contact).one()
    assert (person.first_name, person.birth_date, person.citizenship) == ("Olena", date(1986, 3, 2), "UA")
    assert person.partner.code == "genres" and case.partner_id == person.partner_id
    assert case.funding_period.code == "2013" and case.counsellor.username == "t_staff"
    assert case.reference_occupation_id == occupation.id and case.regulated is True
    assert (contact.case_id, contact.kind, contact.channel, contact.minutes) == (case.id, "first_contact", "phone", 45)
    assert contact.date == date(2013, 5, 14) and contact.counsellor.username == "t_staff"


def test_save_and_next_keeps_date_and_channel_for_an_existing_client(login_as, client, ctx, factories):
    person = factories.client(partner="genres")
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, URL, {"opened_on": "2012-09-03", "channel": "email", "client": str(person.id),
                                       "save_next": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    assert _rows(ctx) == (1, 1, 1)
    page = client.get(URL).get_data(as_text=True)
    assert 'value="03.09.2012"' in page or 'value="2012-09-03"' in page
    assert '<option selected value="email">' in page


def test_errors_keep_the_input_and_write_nothing(login_as, client, ctx):
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, URL, {**NEW_CASE, "reference_occupation": "", "opened_on": "14.05.2016"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "outside the programme window" in page and 'value="Kovalenko"' in page
    assert _rows(ctx) == (0, 0, 0)
    # A client too young for counselling: the client is refused with the case, not half-saved.
    response = post_form(client, URL, {**NEW_CASE, "reference_occupation": "", "birth_date": "01.01.2005"})
    assert response.status_code == 200 and "counselling is for ages 15 to 80" in response.get_data(as_text=True)
    assert _rows(ctx) == (0, 0, 0)


def test_unknown_country_and_missing_client_are_refused(login_as, client, ctx):
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, URL, {**NEW_CASE, "reference_occupation": "", "citizenship": "Atlantis"})
    assert "Unknown country “Atlantis”." in response.get_data(as_text=True)
    response = post_form(client, URL, {"opened_on": "14.05.2013", "channel": "phone"})
    assert "Choose an existing client or enter" in response.get_data(as_text=True)
    assert _rows(ctx) == (0, 0, 0)


def test_another_partners_client_cannot_be_chosen(login_as, client, ctx, factories):
    foreign = factories.client(partner="vsp")
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, URL, {"opened_on": "14.05.2013", "channel": "phone", "client": str(foreign.id)})
    assert response.status_code == 200
    assert "does not exist or is not accessible" in response.get_data(as_text=True)
    response = post_form(client, URL, {**NEW_CASE, "reference_occupation": "", "use_client": str(foreign.id)})
    assert response.status_code == 404
    response = post_form(client, URL, {**NEW_CASE, "reference_occupation": "",
                                       "partner": str(factories.partner("vsp").id)})
    assert response.status_code == 404
    assert _rows(ctx) == (1, 0, 0)
    assert client.get("/entry/options/client?q=" + foreign.client_number[:6]).get_json() == {"results": []}


def test_duplicate_is_shown_and_the_existing_client_can_be_used(login_as, client, ctx, factories):
    existing = factories.client(partner="genres", first_name="Olena", last_name="KOVALENKO",
                                birth_date=date(1986, 3, 2))
    login_as("t_staff", "Staff", ("genres",))
    data = {**NEW_CASE, "reference_occupation": "", "last_name": "Коваленко"}
    response = post_form(client, URL, data)
    assert response.status_code == 200 and 'id="iq-duplicates"' in response.get_data(as_text=True)
    assert existing.client_number in response.get_data(as_text=True) and _rows(ctx) == (1, 0, 0)
    response = post_form(client, URL, {**data, "use_client": str(existing.id)})
    assert response.status_code == 302
    assert _rows(ctx) == (1, 1, 1) and ctx.query(Case).one().client_id == existing.id
    response = post_form(client, URL, {**data, "create_anyway": "y"})
    assert response.status_code == 302 and _rows(ctx) == (2, 2, 2)


def test_management_may_not_enter_cases(login_as, client):
    login_as("t_mgmt", "Management", ("genres",))
    assert client.get(URL).status_code in (302, 403)


def test_client_search_by_name_number_and_birth_date_within_the_partner(login_as, client, factories):
    own = factories.client(partner="genres", last_name="Petrenko", birth_date=date(1979, 4, 1))
    factories.client(partner="vsp", last_name="Petrenko", birth_date=date(1979, 4, 1))
    login_as("t_staff", "Staff", ("genres",))
    for term in ("Petr", own.client_number, "01.04.1979", "1979-04-01"):
        results = client.get("/entry/options/client", query_string={"q": term}).get_json()["results"]
        assert [r["id"] for r in results] == [own.id], term
    assert client.get("/entry/options/partner?q=a").status_code == 404


def test_client_search_offers_no_erased_client_and_labels_anonymous_ones(login_as, client, ctx, factories):
    """An erased client takes no new case, so the search does not offer it; a client without names
    (anonymous counselling) is its number, never "None, None"."""
    from app.clients.erasure import erase_client

    erased = factories.client(partner="genres", last_name="Petrenko", birth_date=date(1979, 4, 1))
    kept = factories.client(partner="genres", last_name="Petrenkova", birth_date=date(1979, 4, 1))
    erase_client(ctx, erased)
    ctx.commit()
    login_as("t_staff", "Staff", ("genres",))
    for term in ("Petr", "01.04.1979"):
        results = client.get("/entry/options/client", query_string={"q": term}).get_json()["results"]
        assert [r["id"] for r in results] == [kept.id], term
    results = client.get("/entry/options/client", query_string={"q": erased.client_number}).get_json()["results"]
    assert results == []

    from app.entry.fields import client_label

    anonymous = SimpleNamespace(client_number="GENR-ANON001", first_name=None, last_name=None, birth_date=None)
    assert client_label(anonymous) == "GENR-ANON001"
    anonymous.birth_date = date(1979, 4, 1)
    assert client_label(anonymous) == "GENR-ANON001 (01.04.1979)"
    anonymous.last_name = "Petrenko"
    assert client_label(anonymous) == "GENR-ANON001 – Petrenko (01.04.1979)"
