"""The columns of the import file: German headers, the model field each one fills, and its kind.

One table serves the importer (header → field and parser), the downloadable template and its
column documentation, so that the three can never disagree. Headers are part of the file format,
not of the UI, and therefore stay German whatever the UI language is.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.clients.consent import NEW_CONSENT_MANNERS_ENUM
from app.core.enums import (CHANNELS, EMPLOYMENT_STATUSES, ENQUIRERS, GENDERS, GERMAN_LEVELS,
                            LEGAL_BASES, NOTICE_RESULTS, OUTCOMES, QUALIFICATION_TYPES,
                            REFERRAL_SOURCES, RESIDENCE_STATES, RESIDENCE_STATUSES)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    target: str  # "client", "case", "contact", "consent" or "link" (attach to an existing client)
    kind: str  # text, date, int, bool, enum, country, occupation
    required: bool = False
    enumeration: object = None
    help: object = ""


CLIENT_NUMBER = "Klientennummer"

COLUMNS = [
    Column(CLIENT_NUMBER, "client_number", "link", "text",
           help=_l("Optional: attaches the case to an existing client of your partner; "
                   "the client columns may then stay empty.")),
    Column("Vorname", "first_name", "client", "text",
           help=_l("Names, contact data, postal address and district need the counselling consent (columns “Einwilligung "
                   "Beratung”); without it leave them empty: the client is counselled anonymously.")),
    Column("Nachname", "last_name", "client", "text"),
    Column("Geburtsdatum", "birth_date", "client", "date", True),
    Column("Geschlecht", "gender", "client", "enum", enumeration=GENDERS,
           help=_l("Empty means “not stated”.")),
    Column("Staatsangehörigkeit", "citizenship", "client", "country", True),
    Column("Zweite Staatsangehörigkeit", "second_citizenship", "client", "country"),
    Column("Geburtsland", "country_of_birth", "client", "country"),
    Column("Landkreis", "district", "client", "text"),
    Column("Wohnsitz", "residence_state", "client", "enum", enumeration=RESIDENCE_STATES),
    Column("Einreisejahr", "year_of_entry", "client", "int"),
    Column("Aufenthaltsstatus", "residence_status", "client", "enum", enumeration=RESIDENCE_STATUSES),
    Column("Deutschkenntnisse", "german_level", "client", "enum", enumeration=GERMAN_LEVELS),
    Column("Erwerbsstatus", "employment_status", "client", "enum", enumeration=EMPLOYMENT_STATUSES),
    Column("Beratungssprache", "counselling_language", "client", "text",
           help=_l("Language code, e.g. de, en, ar, ru.")),
    Column("Straße", "street", "client", "text",
           help=_l("Postal address for letters (street and house number); needs the counselling consent.")),
    Column("PLZ", "postcode", "client", "text",
           help=_l("Postcode: five digits for an address in Germany, up to 10 characters abroad.")),
    Column("Ort", "city", "client", "text"),
    Column("Telefon", "phone", "client", "text"),
    Column("E-Mail", "email", "client", "text"),
    Column("Einwilligung Beratung", "given_on", "consent", "date",
           help=_l("Date of the counselling consent of a new client; empty for anonymous counselling.")),
    Column("Einwilligung Art", "given_how", "consent", "enum", enumeration=NEW_CONSENT_MANNERS_ENUM,
           help=_l("How the consent was given; required with the consent date.")),
    Column("Einwilligung Textversion", "text_version", "consent", "text",
           help=_l("Empty means the current text in the client's counselling language (or German).")),
    Column("Beratungsbeginn", "opened_on", "case", "date", True,
           help=_l("Inside the programme window; the funding period is derived from it.")),
    Column("Abschluss", "closed_on", "case", "date", help=_l("Empty while the case is open.")),
    Column("Anfragende Stelle", "enquirer", "case", "enum", enumeration=ENQUIRERS),
    Column("Zugangsweg", "referral_source", "case", "enum", enumeration=REFERRAL_SOURCES),
    Column("Qualifikation", "qualification_title", "case", "text",
           help=_l("Original title of the foreign qualification.")),
    Column("Art der Qualifikation", "qualification_type", "case", "enum", enumeration=QUALIFICATION_TYPES),
    Column("Land der Qualifikation", "qualification_country", "case", "country"),
    Column("Abschlussjahr", "qualification_year", "case", "int"),
    Column("Referenzberuf", "reference_occupation", "case", "occupation",
           help=_l("Catalogue key or German name; fills “regulated”, legal basis and competent body "
                   "when those are empty.")),
    Column("Reglementiert", "regulated", "case", "bool", help=_l("ja/nein")),
    Column("Rechtsgrundlage", "legal_basis", "case", "enum", enumeration=LEGAL_BASES),
    Column("Ergebnis", "outcome", "case", "enum", enumeration=OUTCOMES),
    Column("Bescheid", "notice_result", "case", "enum", enumeration=NOTICE_RESULTS),
    Column("Notizen", "notes", "case", "text"),
    Column("Kanal Erstkontakt", "channel", "contact", "enum", enumeration=CHANNELS,
           help=_l("If given, a first contact on the opening date is recorded with this channel.")),
    Column("Trotzdem anlegen", "create_anyway", "link", "bool",
           help=_l("ja: create the new client even though a client of your partner born on the same day has "
                   "a similar name (another person). Without it such a row is refused as a possible duplicate.")),
]

# Columns a file may carry that the import deliberately ignores: the owning partner always comes
# from the user (never from the file), and numbers/periods/states are assigned by the system.
IGNORED_HEADERS = {"partner", "fallnummer", "förderperiode", "status", "zuständige stelle"}

KIND_HELP = {
    "date": _l("Date: dd.mm.yyyy or yyyy-mm-dd."),
    "country": _l("Country: ISO code (e.g. SY) or German/English name."),
    "int": _l("Whole number."),
    "bool": _l("ja/nein"),
    "occupation": "",
    "text": "",
    "enum": "",
}


def normalise_header(text):
    return " ".join(str(text or "").replace("\ufeff", "").split()).casefold()


BY_HEADER = {normalise_header(c.header): c for c in COLUMNS}
BY_HEADER.update({normalise_header(c.field): c for c in COLUMNS})


def column_documentation():
    """(header, required, explanation) rows for the import page and the template's second sheet."""
    rows = []
    for column in COLUMNS:
        parts = [str(column.help)] if column.help else []
        if column.enumeration is not None:
            values = ", ".join(f"{key} ({column.enumeration.label(key)})" for key in column.enumeration.keys)
            parts.append(str(_l("Allowed values (key or label): %(values)s", values=values)))
        elif KIND_HELP.get(column.kind):
            parts.append(str(KIND_HELP[column.kind]))
        rows.append((column.header, column.required, " ".join(parts)))
    return rows
