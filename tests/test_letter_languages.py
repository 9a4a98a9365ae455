"""Letters in the client's language (issue 9, item 7): the counselling language is an ISO 639-1 code
chosen from a select (the letters' languages first), the case page offers the letter language next to
the button, and the letter names occupation and country in its language."""
import io
from datetime import date

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select, text, update

from app.catalogues.models import ReferenceOccupation
from app.clients.models import Client
from app.core.errors import DomainError
from app.core.languages import LETTER_LANGUAGES, language_choices, language_code, language_name
from app.reports.confirmation import LANGUAGES
from tests.conftest import logout, post_form


def _pdf_text(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# --- codes and names ------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, code", [("Arabisch", "ar"), ("arabic", "ar"), ("AR", "ar"), ("العربية", "ar"),
                                         ("Russisch", "ru"), ("русский", "ru"), ("English", "en"),
                                         ("Deutsch", "de"), ("Farsi", "fa"), (" türkisch ", "tr"),
                                         ("Kurmandschi", "ku"), ("Dari", None), ("Klingonisch", None)])
def test_language_names_are_read_as_codes(typed, code):
    assert language_code(typed) == code


def test_letter_languages_are_the_templates():
    assert LANGUAGES == LETTER_LANGUAGES == ("de", "en", "ru", "ar")


def test_names_are_shown_in_the_ui_language_with_their_own(app):
    with app.test_request_context(), force_locale("de"):
        assert language_name("ar") == "Arabisch (العربية)" and language_name("de") == "Deutsch"
        assert language_name("Kurmandschi-Dialekt") == "Kurmandschi-Dialekt"  # stored text, shown as is
        groups = language_choices("Dari")
        [letters, others, stored] = groups.values()
        assert [code for code, _name in letters] == list(LETTER_LANGUAGES)
        assert "tr" in dict(others) and "uk" in dict(others) and stored == [("Dari", "Dari")]
        assert list(groups) == ["Briefe gibt es auf", "Weitere Sprachen", "Gespeicherter Wert"]
    with app.test_request_context(), force_locale("en"):
        assert language_name("ar") == "Arabic (العربية)" and language_name("en") == "English"


# --- model rule -----------------------------------------------------------------------------------
def test_model_stores_codes_and_refuses_an_unknown_new_language(factories, ctx):
    person = factories.client(counselling_language="Arabisch")
    assert person.counselling_language == "ar"
    with pytest.raises(DomainError) as refused:
        person.counselling_language = "Klingonisch"
    assert refused.value.field == "counselling_language"
    with force_locale("de"):
        assert "ist keine Sprache der Liste" in str(refused.value)


def test_a_stored_free_text_value_survives_other_edits(factories, ctx):
    person = factories.client()
    ctx.execute(update(Client).where(Client.id == person.id).values(counselling_language="Dari"))
    ctx.commit()
    ctx.expire_all()
    person = ctx.get(Client, person.id)
    person.counselling_language = "Dari"  # a form sends the stored value back unchanged
    person.phone = "0381 1"
    ctx.commit()
    assert ctx.get(Client, person.id).counselling_language == "Dari"
    person.counselling_language = "fa"
    ctx.commit()
    assert person.counselling_language == "fa"


def test_api_and_import_read_names(client, api_token, ctx):
    headers = api_token("t_staff", "Staff", ("migra",))
    payload = {"birth_date": "1985-02-11", "gender": "female", "citizenship": "SY", "counselling_language": "Arabisch"}
    response = client.post("/api/v1/client/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["counselling_language"] == "ar"
    response = client.post("/api/v1/client/", json=dict(payload, counselling_language="Klingonisch"), headers=headers)
    assert response.status_code == 422 and "counselling_language" in str(response.get_json())


# --- forms ----------------------------------------------------------------------------------------
def test_client_form_has_a_language_select_keeping_a_stored_value(login_as, factories, ctx):
    person = factories.client()
    ctx.execute(update(Client).where(Client.id == person.id).values(counselling_language="Dari"))
    ctx.commit()
    web = login_as("t_staff", "Staff", ("migra",))
    web.get("/lang/de")
    page = web.get("/clientview/add").get_data(as_text=True)
    assert '<select' in page and 'name="counselling_language"' in page
    assert '<optgroup label="Briefe gibt es auf">' in page and '<option selected value="de">Deutsch</option>' in page
    page = web.get(f"/clientview/edit/{person.id}").get_data(as_text=True)
    assert '<option selected value="Dari">Dari</option>' in page
    assert "Dari" in web.get(f"/clientview/show/{person.id}").get_data(as_text=True)
    response = post_form(web, f"/clientview/edit/{person.id}",
                         {"first_name": person.first_name, "last_name": person.last_name, "birth_date": "17.05.1980",
                          "gender": "female", "citizenship": "SY", "counselling_language": "Dari",
                          "phone": "0381 2", "version": str(ctx.get(Client, person.id).version)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    ctx.expire_all()
    assert ctx.get(Client, person.id).counselling_language == "Dari"
    response = post_form(web, f"/clientview/edit/{person.id}",
                         {"first_name": person.first_name, "last_name": person.last_name, "birth_date": "17.05.1980",
                          "gender": "female", "citizenship": "SY", "counselling_language": "ar",
                          "version": str(ctx.get(Client, person.id).version)})
    assert response.status_code == 302
    ctx.expire_all()
    assert ctx.get(Client, person.id).counselling_language == "ar"
    shown = web.get(f"/clientview/show/{person.id}").get_data(as_text=True)
    assert "Arabisch (العربية)" in shown


def test_quick_entry_offers_the_language_select(login_as):
    web = login_as("t_staff", "Staff", ("migra",))
    web.get("/lang/de")
    page = web.get("/entry/").get_data(as_text=True)
    assert '<select' in page and 'id="counselling_language"' in page and "Arabisch (العربية)" in page


# --- the case page's letter button ------------------------------------------------------------------
@pytest.mark.parametrize("counselling, chosen", [("ru", "ru"), ("ar", "ar"), ("tr", "de"), ("de", "de")])
def test_case_page_offers_the_letter_language(login_as, factories, counselling, chosen):
    case = factories.case(client=factories.client(counselling_language=counselling))
    web = login_as("t_staff", "Staff", ("migra",))
    web.get("/lang/de")
    page = web.get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/confirmation.pdf"' in page and 'id="iq-letter-lang"' in page
    assert '<label for="iq-letter-lang"' in page and "Briefsprache" in page
    assert f'<option value="{chosen}" selected>' in page
    offered = [code for code in LETTER_LANGUAGES if f'<option value="{code}"' in page]
    assert offered == list(LETTER_LANGUAGES)


# --- the letter in its language ------------------------------------------------------------------------
@pytest.mark.parametrize("lang, country, occupation", [
    ("de", "Polen", "name_de"), ("en", "Poland", "name_en"), ("ru", "Польша", "name_de"),
    ("ar", "بولندا", "name_de")])
def test_letter_names_occupation_and_country_in_its_language(login_as, factories, ctx, lang, country, occupation):
    reference = ctx.scalars(select(ReferenceOccupation).where(ReferenceOccupation.name_en.is_not(None),
                                                              ReferenceOccupation.name_en != ReferenceOccupation.name_de)
                            .order_by(ReferenceOccupation.id)).first()
    person = factories.client(counselling_language="de", street="Lange Straße 12a", postcode="18055", city="Rostock")
    case = factories.case(client=person, qualification_country="PL", reference_occupation=reference)
    factories.contact(case)
    web = login_as("t_staff", "Staff", ("migra",))
    text = _pdf_text(web.get(f"/cases/{case.id}/confirmation.pdf?lang={lang}"))
    first_page = text.split("Beratungsbescheinigung")[0] if lang != "de" else text
    assert "Lange Straße 12a" in text and "18055 Rostock" in text
    if lang == "ar":  # pypdf gives right-to-left words in visual order; compare without spaces and order
        assert "".join(country.split()) in "".join(first_page.split()) or country[::-1] in first_page
    else:
        assert country in first_page
    assert getattr(reference, occupation).split()[0] in first_page
    if lang in ("ru", "ar"):  # no Russian/Arabic catalogue names: German designation with the English one
        assert reference.name_en.split()[0] in first_page
    if lang != "de":
        assert "Polen" in text  # the German original follows


def test_letter_defaults_to_the_counselling_language_and_ignores_unknown_lang(login_as, factories):
    case = factories.case(client=factories.client(counselling_language="ru"), qualification_country="PL")
    factories.contact(case)
    web = login_as("t_staff", "Staff", ("migra",))
    assert "Польша" in _pdf_text(web.get(f"/cases/{case.id}/confirmation.pdf"))
    assert "Польша" in _pdf_text(web.get(f"/cases/{case.id}/confirmation.pdf?lang=xx"))
    assert "Польша" not in _pdf_text(web.get(f"/cases/{case.id}/confirmation.pdf?lang=de"))


@pytest.mark.parametrize("role, partners, status", [("Staff", ("genres",), 404), ("Management", ("migra",), 403)])
def test_letter_in_any_language_is_refused_outside_the_scope(login_as, factories, role, partners, status):
    case = factories.case(client=factories.client(counselling_language="ar", street="Geheimweg 7"))
    web = login_as(f"t_{role.lower()}", role, partners)
    for lang in ("", "?lang=ar", "?lang=en"):
        response = web.get(f"/cases/{case.id}/confirmation.pdf{lang}")
        assert response.status_code in (status, 302 if status == 403 else status), lang
        assert response.headers["Content-Type"] != "application/pdf"


# --- migration a9b0c1d2e3f4 ------------------------------------------------------------------------------
def test_migration_turns_language_names_into_codes(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    application = create_app(TestConfig(f"sqlite:///{tmp_path}/languages.db"))
    with application.app_context():
        upgrade(revision="f7a8b9c0d1e2")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO country (code, name_de, name_en, is_eu) VALUES ('SY', 'Syrien', 'Syria', 0)"))
            conn.execute(text(
                "INSERT INTO partner (id, code, name, city, state, role, active, created_at, updated_at) "
                "VALUES (1, 'migra', 'migra e.V.', 'Rostock', 'MV', 'coordinator', 1, '2013-01-01', '2013-01-01')"))
            stored = ["Arabisch", "arabic", "AR", "ar", "Russisch", "Farsi", "Dari", "kurd.", "de"]
            for pk, value in enumerate(stored, start=1):
                conn.execute(text(
                    "INSERT INTO client (id, partner_id, client_number, birth_date, gender, citizenship, "
                    "counselling_language, version, created_at, updated_at) VALUES (:pk, 1, :number, '1980-01-01', "
                    "'female', 'SY', :value, 1, '2013-01-01', '2013-01-01')"),
                    {"pk": pk, "number": f"MIGR-{pk:07d}", "value": value})
        upgrade()
        with db.engine.connect() as conn:
            found = conn.execute(text("SELECT counselling_language FROM client ORDER BY id")).scalars().all()
        db.session.remove()
    assert found == ["ar", "ar", "ar", "ar", "ru", "fa", "Dari", "kurd.", "de"]


def test_own_language_names_equal_cldr_without_keeping_every_locale_loaded():
    """app.core.languages reads each language's own name from its CLDR file: the same names as
    ``Locale(code).languages[code]``, without leaving ~180 merged locales (≈100 MB) in Babel's cache."""
    from babel import Locale, localedata

    from app.core import languages

    languages._own_names.cache_clear()
    before = set(localedata._cache)
    names = languages._own_names()
    assert len(set(localedata._cache) - before) < 10
    for code in sorted(languages.ISO_639_1):
        try:
            expected = Locale.parse(code).languages.get(code)
        except Exception:
            expected = None
        assert names.get(code) == expected, code
    assert names["ar"] == "العربية" and names["de"] == "Deutsch"
