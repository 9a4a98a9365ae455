"""Roles and their permissions, declared in code (FAB builtin roles, ``FAB_ROLES``).

Permission checks for these roles are answered from this table in memory, by regular expression,
without database queries, and there is nothing in the database that could drift from it. ``iq seed``
only makes sure the role rows exist so that users can be assigned to them.

Views and APIs collapse their methods to ``read``/``write``/``delete`` per domain
(``class_permission_name`` plus ``READ_WRITE``), so a role is a short list of (domain, permission)
pairs. Deleting is a permission of its own: clients, cases and their contacts are deleted by the
network Admin only (Staff creates, reads and updates them; personal data leaves through erasure,
which anonymises and keeps the statistics). Staff may delete the trainings it records.
"""
from flask_babel import lazy_gettext as _l

ROLE_NAMES = ("Admin", "PartnerAdmin", "Staff", "Management")

# Roles per partner membership (DESIGN.md §3): a user's rights at partner X come from its
# membership role(s) at X. These sets say which membership roles open which kind of access there.
PERSONAL_DATA_ROLES = frozenset({"Staff", "PartnerAdmin"})  # clients, cases, contacts with names
AGGREGATE_ROLES = frozenset({"Management", "Staff", "PartnerAdmin"})  # figures, trainings, funding
ADMIN_ROLES = frozenset({"PartnerAdmin"})  # the partner's users, memberships and audit trail
WRITE_ROLES = frozenset({"Staff"})  # creating and changing the partner's records
ROLE_LABELS = {
    "Admin": _l("Administrator (network)"),
    "PartnerAdmin": _l("Partner administrator"),
    "Staff": _l("Counselling staff"),
    "Management": _l("Management"),
}

# Method → permission, shared by every ModelView and ModelRestApi of the app.
READ_WRITE = {
    # ModelView
    "list": "read", "show": "read", "download": "read", "api_read": "read", "api_get": "read",
    "api_column_add": "write", "api_column_edit": "write", "api_readvalues": "read",
    "add": "write", "edit": "write", "delete": "delete", "action": "write",
    "action_post": "write", "api": "read", "api_create": "write", "api_update": "write",
    "api_delete": "delete", "muldelete": "delete",
    # search-as-you-type of related records in forms (app.core.views.IqModelView.options)
    "options": "read",
    # ModelRestApi
    "get": "read", "get_list": "read", "info": "read", "related": "read", "distinct": "read",
    "post": "write", "put": "write", "bulk_delete": "delete",
}

# Permission domains (class_permission_name of views and APIs).
CLIENTS = "Clients"
CASES = "Cases"
TRAININGS = "Trainings"
FUNDING = "Funding"
PARTNERS = "Partners"
FUNDING_PERIODS = "FundingPeriods"
CATALOGUES = "Catalogues"
REPORTS = "Reports"
AUDIT = "Audit"
USERS = "PartnerUsers"
DATA_PROTECTION = "DataProtection"  # retention list (Admin; PartnerAdmin for its partners)
CONSENT_TEXTS = "ConsentTexts"  # versioned consent texts: Admin writes, Staff/PartnerAdmin read (PDF)
REFERRALS = "Referrals"  # referrals between partners (issue 12): Staff of either side
EXPORTS = "Exports"  # case exports; columns depend on CLIENTS read access (personal or pseudonymous)
_EXPORT_MENUS = ("Case export CSV", "Case export Excel")

_SELF_SERVICE = [
    ["UserDBModelView", "^(can_userinfo|resetmypassword|userinfoedit)$"],  # profile page, its two buttons
    ["UserInfoEditView", "can_this_form_(get|post)"],
    ["ResetMyPasswordView", "can_this_form_(get|post)"],
    ["MenuApi", "can_get"],
]


def _read(*domains):
    return [[f"^{d}$", "^can_read$"] for d in domains]


def _write(*domains):
    return [[f"^{d}$", "^can_(read|write)$"] for d in domains]


def _delete(*domains):
    return [[f"^{d}$", "^can_delete$"] for d in domains]


def _menus(*names):
    return [[f"^{name}$", "^menu_access$"] for name in names]


FAB_ROLES = {
    "Admin": [[".*", ".*"]],
    "PartnerAdmin": _SELF_SERVICE
    + _read(CLIENTS, CASES, TRAININGS, FUNDING, PARTNERS, FUNDING_PERIODS, CATALOGUES, REPORTS, AUDIT, EXPORTS,
            DATA_PROTECTION, CONSENT_TEXTS)
    + _write(USERS)
    + _menus("Counselling", "Clients", "Cases", "Contacts", "Network", "Partners", "Funding periods",
             "Funding", "Trainings", "Catalogues", "Reference occupations", "Competent bodies",
             "Countries", "Consent texts", "Reports", "Dashboard", "Management summary", "Administration",
             "Users of my partners", "Audit trail", "Retention", *_EXPORT_MENUS),
    "Staff": _SELF_SERVICE
    + _write(CLIENTS, CASES, TRAININGS, REFERRALS)
    + _delete(TRAININGS)
    + _read(PARTNERS, FUNDING_PERIODS, CATALOGUES, EXPORTS, CONSENT_TEXTS)
    + _menus("Counselling", "New counselling", "Clients", "Cases", "Contacts", "Referrals", "Import", "Network", "Partners", "Funding periods",
             "Trainings", "Catalogues", "Reference occupations", "Competent bodies", "Countries", "Consent texts",
             "Reports", *_EXPORT_MENUS),
    "Management": _SELF_SERVICE
    + _read(TRAININGS, FUNDING, PARTNERS, FUNDING_PERIODS, CATALOGUES, REPORTS, EXPORTS)
    + [[f"^{REPORTS}$", "^can_monitor$"]]  # the funders' monitoring workbook (Management, Admin)
    + _menus("Network", "Partners", "Funding periods", "Funding", "Trainings", "Catalogues",
             "Reference occupations", "Competent bodies", "Countries", "Reports", "Dashboard",
             "Management summary", "Monitoring workbook", *_EXPORT_MENUS),
    # Not logged in: no permission at all (the login pages are FAB's public endpoints). Declared here
    # like the other roles, so that a REST request's ``is_item_public`` reads no role from the database
    # (app.security.manager.IqSecurityManager.is_item_public).
    "Public": [],
}


def ensure_roles(security_manager):
    """Create the role rows (idempotent); their permissions live in FAB_ROLES above."""
    for name in ROLE_NAMES + (security_manager.auth_role_public,):
        if security_manager.find_role(name) is None:
            security_manager.add_role(name)
