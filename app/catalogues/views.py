"""Reference catalogues shared by all partners: occupations, competent bodies, countries."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.catalogues.models import CompetentBody, Country, ReferenceOccupation
from app.core.display import yes_no
from app.core.views import IqModelView
from app.security.roles import CATALOGUES


class CompetentBodyView(IqModelView):
    singular = _l("Competent body")
    plural = _l("Competent bodies")
    datamodel = SQLAInterface(CompetentBody)
    class_permission_name = CATALOGUES
    base_order = ("name", "asc")
    list_columns = ["name", "kind", "state", "city", "unverified"]
    search_columns = ["name", "kind", "state", "city", "unverified"]
    add_columns = edit_columns = ["key", "name", "kind", "state", "city", "source", "unverified"]
    show_columns = add_columns
    label_columns = {
        "key": _l("Key"), "name": _l("Name"), "kind": _l("Kind"), "state": _l("State"),
        "city": _l("City"), "source": _l("Source"), "unverified": _l("Unverified"),
    }
    # kind and state: select, formatter and filter from the columns' enumerations (IqModelView)
    formatters_columns = {"unverified": yes_no}


class ReferenceOccupationView(IqModelView):
    singular = _l("Reference occupation")
    plural = _l("Reference occupations")
    datamodel = SQLAInterface(ReferenceOccupation)
    class_permission_name = CATALOGUES
    base_order = ("name_de", "asc")
    list_columns = ["name_de", "name_en", "regulated", "legal_basis", "unverified"]
    search_columns = ["name_de", "name_en", "regulated", "legal_basis", "kldb2010", "unverified"]
    add_columns = edit_columns = [
        "key", "name_de", "name_en", "regulated", "legal_basis", "authority_kind", "kldb2010",
        "competent_body_mv", "competent_body_st", "source", "unverified",
    ]
    show_fieldsets = [
        (_l("Reference occupation"), {"fields": ["key", "name_de", "name_en", "kldb2010"]}),
        (_l("Recognition"), {"fields": ["regulated", "legal_basis", "authority_kind",
                                        "competent_body_mv", "competent_body_st"]}),
        (_l("Source"), {"fields": ["source", "unverified"]}),
    ]
    label_columns = {
        "key": _l("Key"), "name_de": _l("Name (German)"), "name_en": _l("Name (English)"),
        "regulated": _l("Regulated"), "legal_basis": _l("Legal basis"),
        "authority_kind": _l("Kind of competent body"), "kldb2010": _l("KldB 2010"),
        "competent_body_mv": _l("Competent body (MV)"), "competent_body_st": _l("Competent body (ST)"),
        "source": _l("Source"), "unverified": _l("Unverified"),
    }
    # legal_basis and authority_kind: from the columns' enumerations (IqModelView)
    formatters_columns = {"regulated": yes_no, "unverified": yes_no}


class CountryView(IqModelView):
    singular = _l("Country")
    plural = _l("Countries")
    datamodel = SQLAInterface(Country)
    class_permission_name = CATALOGUES
    base_order = ("code", "asc")
    page_size = 50
    list_columns = ["code", "name_de", "name_en", "is_eu"]
    search_columns = ["code", "name_de", "name_en", "is_eu"]
    add_columns = edit_columns = show_columns = ["code", "name_de", "name_en", "is_eu"]
    label_columns = {"code": _l("ISO code"), "name_de": _l("Name (German)"),
                     "name_en": _l("Name (English)"), "is_eu": _l("EU member state")}
    formatters_columns = {"is_eu": yes_no}
