"""Keyboard-friendly fields of the quick entry form: type a name, the browser completes it.

Countries and reference occupations are short catalogues (250 and ~100 rows), so they are offered
as a ``<datalist>`` in the UI language and resolved on the server from the typed name (or code).
Clients are many, so they are searched as you type (app.core.forms.AjaxRelatedField).
"""
from flask_babel import get_locale, gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import ValidationError

from app.catalogues.countries import country_name, country_rows
from app.catalogues.models import ReferenceOccupation
from app.clients.models import Client
from app.core.dates import DateInputError, parse_date
from app.core.forms import AJAX_RESULTS, RelatedSource
from app.core.models import format_date
from app.extensions import db


def german():
    return str(get_locale() or "de").startswith("de")


def country_names():
    """(code, name in the UI language), sorted by name."""
    index = 1 if german() else 2
    return sorted(((row[0], row[index]) for row in country_rows()), key=lambda pair: pair[1])


class DatalistInput:
    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        attributes = " ".join(f'{key.rstrip("_")}="{escape(value)}"' for key, value in kwargs.items())
        return Markup(f'<input type="text" name="{escape(field.name)}" list="{escape(field.datalist)}" '
                      f'value="{escape(field._value())}" autocomplete="off" {attributes}>')


class CountryField(StringField):
    """An ISO 3166 code typed as the country's name (German or English) or as the code itself."""

    datalist = "iq-countries"
    widget = DatalistInput()

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            wanted = self.raw.casefold()
            for code, de, en, _eu in country_rows():
                if wanted in (code.casefold(), de.casefold(), en.casefold()):
                    self.data = code
                    break

    def pre_validate(self, form):
        if getattr(self, "raw", "") and self.data is None:
            raise ValidationError(_("Unknown country “%(name)s”.", name=self.raw))

    def _value(self):
        if getattr(self, "raw", None) and self.data is None:
            return self.raw
        return country_name(self.data, "de" if german() else "en") if self.data else ""


class OccupationField(StringField):
    """A reference occupation typed by its name in either language."""

    datalist = "iq-occupations"
    widget = DatalistInput()

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            wanted = self.raw.casefold()
            # ~100 rows: compared in Python, as SQLite's lower() folds ASCII letters only.
            self.data = next((occupation for occupation in occupations()
                              if wanted in (occupation.name_de.casefold(), occupation.name_en.casefold())), None)

    def pre_validate(self, form):
        if getattr(self, "raw", "") and self.data is None:
            raise ValidationError(_("“%(name)s” is not in the catalogue of reference occupations.",
                                    name=self.raw))

    def _value(self):
        if getattr(self, "raw", None) and self.data is None:
            return self.raw
        return self.data.name if self.data is not None else ""


def occupations():
    return db.session.execute(select(ReferenceOccupation).order_by(ReferenceOccupation.name_de)).scalars().all()


def client_label(client):
    """"MIGR-… – Nachname, Vorname (TT.MM.JJJJ)"; an anonymous client is its number (and birth date)."""
    person = ", ".join(part for part in (client.last_name, client.first_name) if part)
    born = f"({format_date(client.birth_date)})" if client.birth_date else ""
    return " ".join(part for part in (client.client_number, "–" if person else "", person, born) if part)


class ClientSearch(RelatedSource):
    """The user's clients (the scope filters the query) by name, client number or birth date."""

    def __init__(self):
        super().__init__(Client, ["client_number", "last_name", "first_name"], text=client_label,
                         order_by=Client.last_name)

    def _query(self):
        # An erased client takes no new case (app/clients/erasure.py), so it is not offered.
        return select(Client).where(Client.erased_at.is_(None))

    def search(self, term):
        term = (term or "").strip()
        try:
            born = parse_date(term)
        except DateInputError:
            return super().search(term)
        if born is None:
            return super().search(term)
        rows = db.session.execute(self._query().where(Client.birth_date == born)
                                  .order_by(Client.last_name).limit(AJAX_RESULTS)).scalars()
        return [{"id": row.id, "text": self.text(row)} for row in rows]


CLIENT_SEARCH = ClientSearch()
