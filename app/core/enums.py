"""Enumerations: stable English keys in the database, translated labels on screen."""
from flask_babel import lazy_gettext as _l


class Enumeration:
    """An ordered mapping of stable keys to lazily translated labels."""

    def __init__(self, name, items):
        self.name = name
        self.items = list(items)
        self._labels = dict(self.items)

    @property
    def keys(self):
        return [key for key, _ in self.items]

    def label(self, key):
        if key is None:
            return ""
        return str(self._labels.get(key, key))

    def choices(self, blank=False):
        result = [(key, label) for key, label in self.items]
        return ([("", "—")] if blank else []) + result

    def __contains__(self, key):
        return key in self._labels

    def check_sql(self, column):
        keys = ", ".join(f"'{k}'" for k in self.keys)
        return f"{column} IN ({keys})"

    def column_info(self, required=False, **info):
        """``Column(..., info=ENUM.column_info())``: the one declaration of an enumeration column.

        From it come the model's validator (``app.core.models``: unknown keys refused with a translated
        message, empty refused when ``required``), the forms' select of translated labels, the lists'
        and detail pages' formatter and the list filter (``IqModelView``); the database CHECK
        constraints are written with ``check_sql`` of the same object (same keys, one source)."""
        return {ENUMERATION: self, ENUMERATION_REQUIRED: required, **info}


ENUMERATION = "enumeration"
ENUMERATION_REQUIRED = "enumeration_required"


def column_enumeration(column):
    """``(enumeration, required)`` of a column declared with ``column_info``, else None."""
    info = getattr(column, "info", None) or {}
    if ENUMERATION not in info:
        return None
    return info[ENUMERATION], info.get(ENUMERATION_REQUIRED, False)


STATES = Enumeration("state", [("MV", _l("Mecklenburg-Vorpommern")), ("ST", _l("Sachsen-Anhalt"))])
PARTNER_ROLES = Enumeration(
    "partner_role", [("coordinator", _l("Coordinator")), ("partner", _l("Partner"))]
)
FUNDERS = Enumeration(
    "funder",
    [("BMAS", _l("BMAS")), ("BMBF", _l("BMBF")), ("BA", _l("Federal Employment Agency (BA)"))],
)
GENDERS = Enumeration(
    "gender",
    [("female", _l("female")), ("male", _l("male")), ("diverse", _l("diverse")),
     ("not_stated", _l("not stated"))],
)
RESIDENCE_STATES = Enumeration(
    "residence_state",
    [("MV", _l("Mecklenburg-Vorpommern")), ("ST", _l("Sachsen-Anhalt")),
     ("other_de", _l("other German state")), ("abroad", _l("abroad"))],
)
GERMAN_LEVELS = Enumeration(
    "german_level",
    [("none", _l("none")), ("A1", "A1"), ("A2", "A2"), ("B1", "B1"), ("B2", "B2"),
     ("C1", "C1"), ("C2", "C2"), ("native", _l("native speaker"))],
)
RESIDENCE_STATUSES = Enumeration(
    "residence_status",
    [("eu_citizen", _l("EU/EEA citizen")), ("settlement_permit", _l("settlement permit")),
     ("residence_permit", _l("residence permit")), ("blue_card", _l("EU Blue Card")),
     ("asylum_procedure", _l("asylum procedure (Aufenthaltsgestattung)")),
     ("tolerated", _l("tolerated (Duldung)")), ("german_citizen", _l("German citizen")),
     ("abroad", _l("living abroad")), ("other", _l("other"))],
)
EMPLOYMENT_STATUSES = Enumeration(
    "employment_status",
    [("employed", _l("employed")), ("self_employed", _l("self-employed")),
     ("unemployed_sgb2", _l("unemployed (SGB II)")), ("unemployed_sgb3", _l("unemployed (SGB III)")),
     ("not_employed", _l("not employed")), ("in_training", _l("in education or training")),
     ("other", _l("other"))],
)
ENQUIRERS = Enumeration(
    "enquirer",
    [("self", _l("the person themselves")), ("social_environment", _l("social environment")),
     ("jobcenter", _l("Jobcenter")), ("employment_agency", _l("Employment agency")),
     ("employer", _l("employer")), ("other", _l("other"))],
)
REFERRAL_SOURCES = Enumeration(
    "referral_source",
    [("jobcenter", _l("Jobcenter")), ("employment_agency", _l("Employment agency")),
     ("migration_service", _l("migration counselling service")), ("chamber", _l("chamber")),
     ("internet", _l("internet")), ("friends", _l("friends or family")),
     ("media", _l("press or flyer")), ("other", _l("other"))],
)
QUALIFICATION_TYPES = Enumeration(
    "qualification_type",
    [("vocational", _l("vocational")), ("academic", _l("academic")),
     ("master_craftsman", _l("master craftsman")), ("school", _l("school"))],
)
LEGAL_BASES = Enumeration(
    "legal_basis",
    [("bqfg_federal", _l("BQFG (federal)")), ("federal_specific_law", _l("specific federal law")),
     ("land_law", _l("Land law")), ("none", _l("none (not regulated)"))],
)
OUTCOMES = Enumeration(
    "outcome",
    [("referred_competent_body", _l("referred to competent body")),
     ("application_help", _l("help with the application")),
     ("application_filed", _l("application filed")),
     ("no_procedure", _l("no procedure advised")),
     ("adaptation_qualification", _l("referred to adaptation qualification")),
     ("language_course", _l("referred to language course")),
     ("on_hold", _l("on hold"))],
)
NOTICE_RESULTS = Enumeration(
    "notice_result",
    [("full", _l("full equivalence")), ("partial", _l("partial equivalence")),
     ("compensation_measure", _l("compensation measure required")), ("rejected", _l("rejected")),
     ("ended_without_decision", _l("ended without decision")), ("pending", _l("pending"))],
)
CASE_STATUSES = Enumeration("case_status", [("open", _l("open")), ("closed", _l("closed"))])
CONTACT_KINDS = Enumeration(
    "contact_kind", [("first_contact", _l("first contact")), ("follow_up", _l("follow-up"))]
)
CHANNELS = Enumeration(
    "channel",
    [("face_to_face", _l("face-to-face")), ("phone", _l("phone")), ("email", _l("email")),
     ("group", _l("group")), ("mobile_outreach", _l("mobile outreach"))],
)
TARGET_INSTITUTIONS = Enumeration(
    "target_institution",
    [("employment_agency", _l("Employment agency")), ("jobcenter", _l("Jobcenter")),
     ("chamber", _l("chamber")), ("municipality", _l("municipality")), ("company", _l("company"))],
)
AUTHORITY_KINDS = Enumeration(
    "authority_kind",
    [("ihk_fosa", _l("IHK FOSA")), ("hwk", _l("Chamber of crafts (Handwerkskammer)")),
     ("health_licensing_authority", _l("State examination office (Landesprüfungsamt)")),
     ("education_ministry", _l("Ministry of education (Kultusministerium)")),
     ("chamber_of_engineers", _l("Chamber of engineers")),
     ("land_administration_office", _l("State administration office (Landesverwaltungsamt)")),
     ("zab", _l("ZAB (Central Office for Foreign Education)")), ("other", _l("other"))],
)
BODY_STATES = Enumeration(
    "body_state",
    [("MV", _l("Mecklenburg-Vorpommern")), ("ST", _l("Sachsen-Anhalt")),
     ("DE", _l("nationwide")), ("NW", _l("North Rhine-Westphalia"))],
)
MEMBERSHIP_ROLES = Enumeration(
    "membership_role",
    [("PartnerAdmin", _l("Partner administrator")), ("Staff", _l("Counselling staff")),
     ("Management", _l("Management"))],
)
