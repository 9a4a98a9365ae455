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

LANGUAGES = ("de", "en", "ru", "ar")
RTL = {"ar"}
MAX_DATES = 60  # bounds the letter to one page


def letter_languages(requested, counselling_language):
    """The languages of the letters in the document, the chosen one first, German always included."""
    lang = (requested or counselling_language or "de").lower()
    if lang not in LANGUAGES:
        lang = "de"
    return [lang] if lang == "de" else [lang, "de"]


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
    }


def confirmation_link(case_id, label=None):
    """A button linking to the case's letter, for CaseView's show page (a Jinja global):
    ``{{ confirmation_link(pk) }}``. Users without the Cases read permission get 403 from the link.
    """
    from flask_babel import gettext as _

    url = url_for("ConfirmationView.confirmation", pk=case_id)
    text = label or _("Counselling confirmation (PDF)")
    return Markup(f'<a class="btn btn-default btn-sm" href="{escape(url)}">'
                  f'<i class="fa fa-file-pdf-o"></i> {escape(text)}</a>')
