"""The partner scope as the views show it, and the UI in German and English."""
from app.clients.models import Client
from tests.conftest import post_form


def test_staff_sees_only_its_partners_clients(login_as, client, factories):
    own = factories.client(partner="migra", last_name="Eigene")
    other = factories.client(partner="vsp", last_name="Fremde")
    login_as("t_staff", "Staff", ("migra",))

    html = client.get("/clientview/list/").get_data(as_text=True)
    assert "Eigene" in html and "Fremde" not in html
    assert client.get(f"/clientview/show/{own.id}").status_code == 200
    assert client.get(f"/clientview/show/{other.id}").status_code == 404
    assert client.get(f"/clientview/edit/{other.id}").status_code == 404
    assert client.get(f"/caseview/options/client?q={other.client_number}").get_json()["results"] == []


def test_editing_another_partners_client_is_not_found_and_changes_nothing(login_as, client, ctx, factories):
    other = factories.client(partner="vsp", last_name="Fremde")
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, f"/clientview/edit/{other.id}", {"last_name": "Geändert", "version": "1"},
                         form_url="/clientview/add")
    assert response.status_code == 404
    ctx.expire_all()
    assert ctx.get(Client, other.id).last_name == "Fremde"


def test_related_cases_of_a_client_are_listed_on_its_page(login_as, client, factories):
    case = factories.case(partner="migra", qualification_title="Krankenpflegerin")
    login_as("t_staff", "Staff", ("migra",))
    html = client.get(f"/clientview/show/{case.client_id}").get_data(as_text=True)
    assert f"/caseview/show/{case.id}" in html


def test_partner_page_lists_only_the_partners_own_records(login_as, client, factories):
    mine = factories.client(partner="migra", last_name="Eigene")
    factories.client(partner="genres", last_name="Andere")
    login_as("t_admin", "Admin", ())
    html = client.get(f"/partnerview/show/{mine.partner_id}").get_data(as_text=True)
    assert "Eigene" in html and "Andere" not in html


def test_language_switch_is_offered_and_changes_the_ui(german_default, login_as, client, factories):
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/clientview/list/").get_data(as_text=True)
    assert 'href="/lang/en"' in html  # FAB's language menu offers the other language
    # German is the default: FAB's own German strings
    assert "Abmelden" in html and "Neuen Eintrag hinzufügen" in html

    assert client.get("/lang/en").status_code == 302
    english = client.get("/clientview/list/").get_data(as_text=True)
    assert "Logout" in english and "Add a new record" in english and "Abmelden" not in english
    assert 'href="/lang/de"' in english

    client.get("/lang/de")
    german = client.get("/clientview/add").get_data(as_text=True)
    assert "Speichern" in german and "Abmelden" in german


def test_enumeration_and_country_choices_follow_the_language(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    client.get("/lang/en")
    english = client.get("/clientview/add").get_data(as_text=True)
    assert '<option value="SY">Syria</option>' in english
    assert '<option selected value="not_stated">not stated</option>' in english  # the column's default
    client.get("/lang/de")
    german = client.get("/clientview/add").get_data(as_text=True)
    assert '<option value="SY">Syrien</option>' in german


def test_menu_groups_the_views(login_as, client):
    login_as("t_admin", "Admin", ())
    client.get("/lang/en")
    html = client.get("/clientview/list/").get_data(as_text=True)
    for category in ("Counselling", "Network", "Catalogues", "Administration"):
        assert f'{category}<b class="caret"></b>' in html, category
    for route in ("clientview", "caseview", "contactview", "partnerview", "fundingperiodview", "fundingview",
                  "trainingview", "referenceoccupationview", "competentbodyview", "countryview", "auditeventview"):
        assert f'href="/{route}/list/"' in html, route


def test_staff_menu_has_no_administration(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/clientview/list/").get_data(as_text=True)
    assert 'href="/clientview/list/"' in html
    assert 'href="/auditeventview/list/"' not in html and 'href="/fundingview/list/"' not in html


def test_our_catalogue_translates_the_ui(german_default, login_as, client):
    """German by default from translations/de (not just FAB's own strings), English on request."""
    from config import Config

    assert Config.BABEL_DEFAULT_LOCALE == "de"
    login_as("t_staff", "Staff", ("migra",))
    german = client.get("/clientview/list/").get_data(as_text=True)
    assert "Beratung" in german and "Ratsuchende" in german
    client.get("/lang/en")
    english = client.get("/clientview/list/").get_data(as_text=True)
    assert "Counselling" in english and "Clients" in english and "Ratsuchende" not in english
