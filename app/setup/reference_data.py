"""Reference data of CONTRACT.md: partners, funding periods and the catalogues; idempotent."""
import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.catalogues.countries import country_rows
from app.catalogues.models import CompetentBody, Country, ReferenceOccupation
from app.funding.models import FundingPeriod
from app.partners.models import Partner

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

NETWORK_MD = "press release of migra e.V., Rostock, July 2011 (network announcement)"

# Street and postcode only with a named source (network.md); the others stay empty, flagged for an Admin.
PARTNERS = [
    # code, name, legal form, street, postcode, city, state, role, source of the address
    ("migra", "migra e.V.", "e.V.", "Waldemarstraße 56", "18057", "Rostock", "MV", "coordinator", NETWORK_MD),
    ("genres", "Genres e.V.", "e.V.", None, None, "Neubrandenburg", "MV", "partner", None),
    ("vsp", "VSP gGmbH", "gGmbH", None, None, "Schwerin", "MV", "partner", None),
    ("hs-wismar", "Hochschule Wismar", "Körperschaft des öffentlichen Rechts", None, None, "Wismar", "MV", "partner", None),
    ("caritas-md", "Caritasverband des Bistums Magdeburg", "e.V.", None, None, "Magdeburg", "ST", "partner", None),
    ("agsa", "Auslandsgesellschaft Sachsen-Anhalt e.V.", "e.V.", None, None, "Magdeburg", "ST", "partner", None),
    ("frohe-zukunft", "Jugendwerkstatt „Frohe Zukunft“", "e.V.", None, None, "Halle (Saale)", "ST", "partner", None),
    ("spi", "SPI GmbH", "GmbH", None, None, "Halle (Saale)", "ST", "partner", None),
]

PERIODS = [
    ("2011", "Förderperiode 2011", date(2011, 7, 1), date(2011, 12, 31)),
    ("2012", "Förderperiode 2012", date(2012, 1, 1), date(2012, 12, 31)),
    ("2013", "Förderperiode 2013", date(2013, 1, 1), date(2013, 12, 31)),
    ("2014", "Förderperiode 2014", date(2014, 1, 1), date(2014, 12, 31)),
]

# Which competent body decides, per authority kind and state (the CSV names the kind only).
_BODY_BY_KIND = {
    "ihk_fosa": {"MV": "ihk_fosa", "ST": "ihk_fosa"},
    "zab": {"MV": "zab", "ST": "zab"},
    "hwk": {"MV": "hwk_ostmecklenburg_vorpommern", "ST": "hwk_magdeburg"},
    "health_licensing_authority": {"MV": "lagus_mv_lph", "ST": "lvwa_st_lpa_gesundheitsberufe"},
    "education_ministry": {"MV": "bm_mv", "ST": "landesschulamt_st"},
    "chamber_of_engineers": {"MV": "ingenieurkammer_mv", "ST": "ingenieurkammer_st"},
    "land_administration_office": {"MV": None, "ST": "lvwa_st"},
}
# Occupations whose body is not fixed by the kind alone (Kammern of the Freie Berufe, teachers).
_BODY_BY_OCCUPATION = {
    "architekt": {"MV": "architektenkammer_mv", "ST": "architektenkammer_st"},
    "medizinischer_fachangestellter": {"MV": "aerztekammer_mv", "ST": "aerztekammer_st"},
    "zahnmedizinischer_fachangestellter": {"MV": "zahnaerztekammer_mv", "ST": "zahnaerztekammer_st"},
    "pharmazeutisch_kaufm_angestellter": {"MV": "apothekerkammer_mv", "ST": "apothekerkammer_st"},
    "lehrer_grundschule": {"MV": "bm_mv", "ST": "lisa_lpa_lehraemter"},
    "lehrer_sekundarstufe": {"MV": "bm_mv", "ST": "lisa_lpa_lehraemter"},
    "lehrer_berufsbildende_schule": {"MV": "bm_mv", "ST": "lisa_lpa_lehraemter"},
    "landwirt": {"MV": "agrar_zustaendige_stelle_mv", "ST": "agrar_zustaendige_stelle_st"},
}


def _read_csv(name):
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _upsert(session, model, key_attr, key, values):
    obj = session.execute(select(model).where(getattr(model, key_attr) == key)).scalar_one_or_none()
    if obj is None:
        obj = model(**{key_attr: key})
        session.add(obj)
    for attr, value in values.items():
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
    return obj


def seed_partners(session):
    for code, name, legal_form, street, postcode, city, state, role, source in PARTNERS:
        values = dict(name=name, legal_form=legal_form, city=city, state=state, role=role, active=True)
        if source:  # a sourced address is reference data; otherwise keep what an Admin entered
            values.update(street=street, postcode=postcode, address_source=source)
        _upsert(session, Partner, "code", code, values)


def seed_periods(session):
    for code, name, start, end in PERIODS:
        _upsert(session, FundingPeriod, "code", code, dict(name=name, start=start, end=end))
        session.flush()


def seed_countries(session):
    existing = {c.code: c for c in session.execute(select(Country)).scalars()}
    for code, name_de, name_en, is_eu in country_rows():
        country = existing.get(code)
        if country is None:
            session.add(Country(code=code, name_de=name_de, name_en=name_en, is_eu=is_eu))
        else:
            country.name_de, country.name_en, country.is_eu = name_de, name_en, is_eu


def seed_competent_bodies(session):
    for row in _read_csv("competent_bodies.csv"):
        _upsert(session, CompetentBody, "key", row["key"], dict(
            name=row["name"], kind=row["kind"], state=row["state"], city=row["city"] or None,
            source=row["source"], unverified="unverified" in row["source"].lower(),
        ))
    session.flush()


def seed_reference_occupations(session):
    bodies = {b.key: b for b in session.execute(select(CompetentBody)).scalars()}
    for row in _read_csv("reference_occupations.csv"):
        kind = row["authority_kind"]
        keys = _BODY_BY_OCCUPATION.get(row["key"]) or _BODY_BY_KIND.get(kind, {})
        _upsert(session, ReferenceOccupation, "key", row["key"], dict(
            name_de=row["name_de"], name_en=row["name_en"], regulated=row["regulated"] == "true",
            legal_basis=row["legal_basis"], authority_kind=kind, kldb2010=row["kldb2010"] or None,
            source=row["source"], unverified="unverified" in row["source"].lower(),
            competent_body_mv=bodies.get(keys.get("MV") or ""),
            competent_body_st=bodies.get(keys.get("ST") or ""),
        ))


def seed_reference_data(session):
    seed_partners(session)
    seed_periods(session)
    seed_countries(session)
    seed_competent_bodies(session)
    seed_reference_occupations(session)
    session.flush()
