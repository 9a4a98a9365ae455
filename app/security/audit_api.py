"""REST API of the audit trail (``/api/v1/audit/``): read-only, rison filters, partner-scoped.

Only the read routes are registered (``include_route_methods``), so POST/PUT/DELETE answer 405:
the trail is written by ``app.security.audit`` alone. Who may read it is the ``Audit`` permission
(Admin, PartnerAdmin; Staff and Management get 403 because the resource as such is closed to
their role). Which events a reader sees is the one partner scope (``AuditEvent`` is
``PartnerScoped``): a PartnerAdmin sees its partners' events, an event of another partner
answers 404, and network-wide events without a partner (catalogues, users) only reach Admin.
"""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.api import DomainModelApi
from app.security.models import AccessLogEntry, AuditEvent
from app.security.roles import AUDIT

_COLUMNS = ["id", "at", "actor", "user_id", "action", "table_name", "record_id", "partner_id",
            "old_values", "new_values", "request_id"]


class AuditApi(DomainModelApi):
    resource_name = "audit"
    datamodel = SQLAInterface(AuditEvent)
    class_permission_name = AUDIT
    include_route_methods = {"get", "get_list", "info"}
    list_columns = _COLUMNS
    show_columns = _COLUMNS
    order_columns = ["id", "at", "actor", "action", "table_name", "record_id"]
    search_columns = ["at", "actor", "user_id", "action", "table_name", "record_id", "partner_id", "request_id"]
    base_order = ("id", "desc")


class AccessLogApi(DomainModelApi):
    """``/api/v1/access_log/``: who displayed which client's personal data, when, by which path.

    Same permission (``Audit``) and scope as the audit trail; append-only, so read routes only.
    """

    resource_name = "access_log"
    datamodel = SQLAInterface(AccessLogEntry)
    class_permission_name = AUDIT
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "at", "user_id", "actor", "client_id", "partner_id", "path", "detail"]
    show_columns = list_columns
    order_columns = ["id", "at", "actor", "client_id"]
    search_columns = ["at", "user_id", "actor", "client_id", "partner_id", "path"]
    base_order = ("id", "desc")

    def get_list_headless(self, **kwargs):
        """This process's batched log rows first (app/security/access_log.py), so a reader finds its own."""
        from app.security.access_log import flush

        flush()
        return super().get_list_headless(**kwargs)
