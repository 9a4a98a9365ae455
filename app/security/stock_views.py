"""FAB's stock security views, reduced to what the app does not replace (checked against FAB 5.3.0).

The app's user administration (``app/security/user_admin.PartnerUserView``, Administration → Users and
partners) and the roles declared in code (``app/security/roles.FAB_ROLES``) replace FAB's lists of users,
roles, groups, base permissions, views/menus and permissions on views, and its user statistics. Hiding
their menu (``app.registry.hide_stock_security_menu``) is not enough: their pages (Groups, regex
permissions, "Ist aktiv? True", "Letzte Anmeldung 2026-12-01 20:37:26.281035") would still answer at
their URLs. Here they get no routes at all (``include_route_methods``), so they answer 404 for everybody,
Admin included.

What stays of them: the profile page ``/users/userinfo/`` (the user menu's "Profile", with its buttons
``/users/action/resetmypassword|userinfoedit/<pk>``, values shown as on the app's own pages), the own
data and own password forms, and ``/resetpassword/form?pk=`` (the Admin's reset of another user's
password, behind the app's password policy).
"""
from flask_appbuilder.security.views import (
    PermissionModelView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    ViewMenuModelView,
)
from flask_babel import lazy_gettext as _l

from app.core.display import local_datetime, yes_no
from app.security.roles import ROLE_LABELS


def _role_labels(roles):
    return ", ".join(str(ROLE_LABELS.get(role.name, role.name)) for role in roles or ())


class IqUserDBModelView(UserDBModelView):
    """Only the profile page of FAB's user view (and the action buttons it shows)."""

    class_permission_name = "UserDBModelView"  # FAB's name, granted in app/security/roles._SELF_SERVICE
    include_route_methods = {"userinfo", "action"}
    label_columns = dict(UserDBModelView.label_columns, active=_l("Active"), roles=_l("Role"),
                         last_login=_l("Last login"), login_count=_l("Login count"))
    formatters_columns = {"active": yes_no, "roles": _role_labels, "last_login": local_datetime}


class IqRoleModelView(RoleModelView):
    include_route_methods = set()


class IqUserGroupModelView(UserGroupModelView):
    include_route_methods = set()


class IqPermissionModelView(PermissionModelView):
    include_route_methods = set()


class IqViewMenuModelView(ViewMenuModelView):
    include_route_methods = set()


class IqPermissionViewModelView(PermissionViewModelView):
    include_route_methods = set()
