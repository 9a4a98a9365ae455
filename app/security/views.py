"""The audit trail, read-only: who changed which record when, with old and new values.

Everything on screen goes through ``app.security.audit_format``: local time, labels, names and
translated values instead of UTC, table names, raw ids and JSON. The API keeps the raw values.
"""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.core.views import IqModelView
from app.security.models import AuditEvent
from app.security.roles import AUDIT


class AuditEventView(IqModelView):
    singular = _l("Audit event")
    plural = _l("Audit trail")
    datamodel = SQLAInterface(AuditEvent)
    class_permission_name = AUDIT
    base_permissions = ["can_read"]
    base_order = ("at", "desc")
    page_size = 50
    list_columns = ["when", "who", "what", "record", "partner"]
    search_columns = ["at", "actor", "action", "table_name", "record_id", "partner", "request_id"]
    show_columns = ["when", "who", "what", "record", "partner", "change_list", "request_id"]
    label_columns = {
        "at": _l("When"), "when": _l("When"), "actor": _l("Who"), "who": _l("Who"), "user": _l("User"),
        "action": _l("Action"), "what": _l("Action"), "table_name": _l("Kind of record"),
        "record_id": _l("Record"), "record": _l("Record"), "partner": _l("Partner"),
        "request_id": _l("Request id"), "change_list": _l("Changes"),
        "old_values": _l("Old values"), "new_values": _l("New values"),
    }
