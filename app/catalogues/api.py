"""Read-only REST APIs of the shared reference catalogues (maintained by ``iq seed``)."""
from flask_appbuilder.api import expose, protect, rison, safe
from flask_appbuilder.api.schemas import get_item_schema
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name

from app.catalogues.models import CompetentBody, Country, ReferenceOccupation
from app.core.api import READ_ONLY_ROUTES, DomainModelApi
from app.security.roles import CATALOGUES


class ReferenceOccupationApi(DomainModelApi):
    resource_name = "reference_occupation"
    datamodel = SQLAInterface(ReferenceOccupation)
    class_permission_name = CATALOGUES
    include_route_methods = READ_ONLY_ROUTES
    list_columns = ["id", "key", "name_de", "name_en", "regulated", "legal_basis", "authority_kind",
                    "kldb2010", "competent_body_mv_id", "competent_body_st_id", "unverified"]
    show_columns = list_columns + ["source"]
    order_columns = ["key", "name_de", "name_en", "regulated"]
    search_columns = ["key", "name_de", "name_en", "regulated", "legal_basis", "authority_kind"]
    base_order = ("name_de", "asc")


class CompetentBodyApi(DomainModelApi):
    resource_name = "competent_body"
    datamodel = SQLAInterface(CompetentBody)
    class_permission_name = CATALOGUES
    include_route_methods = READ_ONLY_ROUTES
    list_columns = ["id", "key", "name", "kind", "state", "city", "unverified"]
    show_columns = list_columns + ["source"]
    order_columns = ["key", "name", "kind", "state"]
    search_columns = ["key", "name", "kind", "state", "city"]
    base_order = ("name", "asc")


class CountryApi(DomainModelApi):
    """Countries are keyed by their ISO code, so GET one takes the code (``/api/v1/country/DE``)."""

    resource_name = "country"
    datamodel = SQLAInterface(Country)
    class_permission_name = CATALOGUES
    include_route_methods = READ_ONLY_ROUTES
    list_columns = ["code", "name_de", "name_en", "is_eu"]
    show_columns = list_columns
    order_columns = list_columns
    search_columns = list_columns
    base_order = ("code", "asc")

    @expose("/<string:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @rison(get_item_schema)
    def get(self, pk, **kwargs):
        """Get a country by its ISO 3166 code
        ---
        get:
          parameters:
          - in: path
            schema:
              type: string
            name: pk
          responses:
            200:
              description: The country
            404:
              $ref: '#/components/responses/404'
        """
        return self.get_headless(pk.upper(), **kwargs)
