"""Required fields are marked, all errors of a save come at once, and every message names the field's label."""
import re

from app.cases.models import Case
from app.clients.models import Client
from tests.conftest import post_form

CLIENT_FORM = {"first_name": "Amina", "last_name": "Haddad", "birth_date": "03.02.1985", "gender": "female",
               "citizenship": "SY", "counselling_language": "ar"}


def _label_row(html, field_id):
    match = re.search(rf'<label for="{field_id}"[^>]*>(.*?)</label>', html, re.S)
    assert match, f"no label for {field_id}"
    return match.group(1)


def _control(html, field_id):
    match = re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"[^>]*>', html)
    assert match, f"no control {field_id}"
    return match.group(0)


def test_required_fields_are_marked_in_the_client_form(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/clientview/add").get_data(as_text=True)
    for name in ("birth_date", "gender", "citizenship"):
        assert "&#42;" in _label_row(html, name), name
        control = _control(html, name)
        assert 'aria-required="true"' in control, name
        # No native check: it would stop at the first field, in the browser's language.
        assert not re.search(r"\srequired(\s|>|=)", control), name
    # Names are optional: without a counselling consent the client is counselled anonymously.
    for name in ("first_name", "last_name", "second_citizenship", "district", "phone", "consent_given_on"):
        assert "&#42;" not in _label_row(html, name), name
        assert "aria-required" not in _control(html, name), name


def test_required_fields_are_marked_in_case_and_contact_forms(login_as, client, factories):
    case = factories.case(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    edit = client.get(f"/caseview/edit/{case.id}").get_data(as_text=True)
    assert "&#42;" in _label_row(edit, "opened_on") and "&#42;" not in _label_row(edit, "closed_on")
    assert "&#42;" not in _label_row(edit, "notes")
    contact = client.get(f"/contactview/add?_flt_0_case={case.id}").get_data(as_text=True)
    for name in ("date", "kind", "channel"):
        assert "&#42;" in _label_row(contact, name) and 'aria-required="true"' in _control(contact, name)
    assert "&#42;" not in _label_row(contact, "minutes")


def test_all_missing_fields_at_once_with_their_labels(german_default, login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/clientview/add", {**CLIENT_FORM, "first_name": "", "birth_date": "",
                                                     "gender": "", "citizenship": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for label in ("Geburtsdatum", "Geschlecht", "Staatsangehörigkeit"):
        # at the field and in the list on top of the page
        assert html.count(f"Das Feld „{label}“ ist erforderlich.") == 2, label
    assert "Das Feld gender" not in html and "„gender“" not in html and "„citizenship“" not in html
    assert 'value="Haddad"' in html  # what was typed stays
    ctx.expire_all()
    assert ctx.query(Client).count() == 0


def test_model_refusals_of_several_fields_at_once_with_labels(german_default, login_as, client, ctx, factories):
    case = factories.case(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, f"/caseview/edit/{case.id}",
                         {"opened_on": "14.03.2013", "version": str(case.version), "enquirer": "alien",
                          "notes": "x" * 10001, "qualification_title": "Bauingenieur"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unbekannter Wert „alien“ für das Feld „Anfragende(r)“." in html
    assert "Das Feld „Notizen“ ist länger als 10000 Zeichen." in html
    assert "Das Feld notes" not in html and "enquirer" not in re.sub(r'"[^"]*"', "", html)
    ctx.expire_all()
    stored = ctx.get(Case, case.id)
    assert stored.notes is None and stored.enquirer == "self"


def test_api_and_model_messages_name_the_label(api_token, client, ctx):
    headers = api_token("t_api", "Staff", ("migra",))
    response = client.post("/api/v1/client/", headers=headers,
                           json={"first_name": "A", "last_name": "B", "birth_date": "1985-02-03",
                                 "gender": "martian", "citizenship": "SY"})
    assert response.status_code == 422
    assert response.get_json() == {"field": "gender", "message": "Unknown value “martian” for Gender."}


def test_outside_a_view_messages_use_the_registered_label(app):
    """Import and CLI: no view handles the request, the label declared by the views is used."""
    import pytest
    from flask_babel import force_locale

    from app.core.enums import GENDERS
    from app.core.errors import DomainError
    from app.core.models import check_enum, check_length

    with app.test_request_context(), force_locale("de"):
        with pytest.raises(DomainError) as refused:
            check_enum(GENDERS, "gender", "martian")
        assert str(refused.value) == "Unbekannter Wert „martian“ für das Feld „Geschlecht“."
        with pytest.raises(DomainError) as refused:
            check_length("notes", "x" * 11, 10)
        assert str(refused.value) == "Das Feld „Notizen“ ist länger als 10 Zeichen."
        with pytest.raises(DomainError) as refused:
            check_length("no_such_column", None, 10, nullable=False)
        assert str(refused.value) == "Das Feld „no_such_column“ ist erforderlich."


def test_form_errors_without_a_label_of_their_own_are_named_on_top(german_default, login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/clientview/add", {**CLIENT_FORM, "last_name": "x" * 101, "birth_date": "31.02.1985"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    flashed = re.findall(r'<div class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', html, re.S)
    text = " ".join(re.sub(r"<[^>]+>|&times;", " ", item) for item in flashed)
    assert "Nachname: " in text and "100" in text  # wtforms' length message, named by the label
    assert "Geburtsdatum: „31.02.1985“ ist kein gültiges Datum (TT.MM.JJJJ)." in text
    ctx.expire_all()
    assert ctx.query(Client).count() == 0
