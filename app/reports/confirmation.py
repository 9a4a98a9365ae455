"""Counselling confirmation (Beratungsbescheinigung): the facts one letter needs, read in scope.

The case is loaded through the partner scope, so another partner's case is simply not found (404).
The letter is written in the requested language, or the client's counselling language; a letter
in another language than German is followed by the German original, which is the binding text.
"""
from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app.cases.models import Case, Contact
from app.catalogues.models import Country
from app.core.errors import DomainError
from app.core.languages import LETTER_LANGUAGES, letter_language, letter_language_choices

LANGUAGES = LETTER_LANGUAGES
RTL = {"ar"}
MAX_DATES = 60  # bounds the letter to one page


def letter_languages(requested, counselling_language):
    """The languages of the letters in the document, the chosen one first, German always included."""
    lang = (requested or "").lower()
    if lang not in LANGUAGES:
        lang = letter_language(counselling_language)
    return [lang] if lang == "de" else [lang, "de"]


def country_name_in(country, lang):
    """The country's name in the letter's language: the catalogue's German and English names, CLDR's
    (Babel) for the other letter languages; the German name where CLDR has none."""
    if country is None:
        return ""
    if lang == "en":
        return country.name_en
    if lang != "de":
        from babel import Locale

        return Locale.parse(lang).territories.get(country.code) or country.name_de
    return country.name_de


def occupation_name_in(occupation, lang):
    """The reference occupation in the letter's language. The catalogue has German and English
    names; Russian and Arabic letters name the German occupation (the official designation the
    competent body uses) with the English name beside it."""
    if occupation is None:
        return ""
    if lang == "de":
        return occupation.name_de
    if lang == "en":
        return occupation.name_en or occupation.name_de
    if occupation.name_en and occupation.name_en != occupation.name_de:
        return f"{occupation.name_de} ({occupation.name_en})"
    return occupation.name_de


def load_confirmation(session, case_id):
    """The case (in scope) and what the letter states about it; NotFound outside the scope."""
    case = session.execute(select(Case).where(Case.id == case_id)).unique().scalar_one_or_none()
    if case is None:
        raise NotFound()
    if case.client.erased_at is not None:
        raise DomainError(_l("The client has been erased (anonymised); a letter can no longer be produced."))
    dates = session.execute(
        select(Contact.date).where(Contact.case_id == case.id).distinct().order_by(Contact.date)
    ).scalars().all()
    country = session.get(Country, case.qualification_country) if case.qualification_country else None
    occupation = case.reference_occupation
    body = case.competent_body or (occupation.competent_body_for(case.partner.state) if occupation else None)
    return {
        "case": case,
        "client": case.client,
        "partner": case.partner,
        "dates": dates[:MAX_DATES],
        "more_dates": max(0, len(dates) - MAX_DATES),
        "country": country,
        "occupation": occupation,
        "competent_body": body,
        "counsellor": case.counsellor,
        "today": date.today(),
        "country_name_in": country_name_in,
        "occupation_name_in": occupation_name_in,
    }


def confirmation_link(case_id, counselling_language=None, label=None):
    """The case's letter, for CaseView's show page (a Jinja global): a GET form with a select of the
    letters' languages (default: the client's counselling language where a letter exists in it, else
    German) and the button: ``{{ confirmation_link(pk, case.client.counselling_language) }}``. Users
    without the Cases read permission get 403 from the link.
    """
    from flask_babel import gettext as _

    url = url_for("ConfirmationView.confirmation", pk=case_id)
    text = label or _("Counselling confirmation (PDF)")
    caption = _("Letter language")
    chosen = letter_language(counselling_language)
    options = "".join(
        f'<option value="{escape(code)}"{" selected" if code == chosen else ""}>{escape(name)}</option>'
        for code, name in letter_language_choices())
    return Markup(
        f'<form id="iq-letter" class="form-inline" method="get" action="{escape(url)}" '
        f'style="display: inline-block; margin-left: 5px">'
        f'<label for="iq-letter-lang" class="control-label" style="font-weight: normal">'
        f'{escape(caption)}</label> '
        f'<select id="iq-letter-lang" name="lang" class="form-control input-sm">{options}</select> '
        f'<button id="iq-letter-submit" type="submit" class="btn btn-default btn-sm" style="float: none">'
        f'<i class="fa fa-file-pdf-o"></i> {escape(text)}</button></form>')
