"""The audit trail, read-only: who changed which record when, with old and new values."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.core.views import IqModelView, json_formatter
from app.security.models import AuditEvent
from app.security.roles import AUDIT


def _timestamp(value):
    return value.strftime("%d.%m.%Y %H:%M:%S") if value else ""


class AuditEventView(IqModelView):
    singular = _l("Audit event")
    plural = _l("Audit trail")
    datamodel = SQLAInterface(AuditEvent)
    class_permission_name = AUDIT
    base_permissions = ["can_read"]
    base_order = ("at", "desc")
    page_size = 50
    list_columns = ["at", "actor", "action", "table_name", "record_id", "partner"]
    search_columns = ["at", "actor", "action", "table_name", "record_id", "partner", "request_id"]
    show_columns = ["at", "actor", "user", "action", "table_name", "record_id", "partner", "request_id",
                    "old_values", "new_values"]
    label_columns = {
        "at": _l("When (UTC)"), "actor": _l("Who"), "user": _l("User"), "action": _l("Action"),
        "table_name": _l("Table"), "record_id": _l("Record"), "partner": _l("Partner"),
        "request_id": _l("Request id"), "old_values": _l("Old values"), "new_values": _l("New values"),
    }
    formatters_columns = {"at": _timestamp, "old_values": json_formatter, "new_values": json_formatter}
