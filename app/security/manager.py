"""Security manager of the back office: FAB's, extended by memberships and the partner scope.

Session and token invalidation (``app.security.sessions``) hooks in here, at the places FAB 5.3
offers for it: the user loaders of Flask-Login and Flask-JWT-Extended, the claims of new tokens,
``reset_password`` and ``on_user_logout``; the UI logout is a POST (``IqAuthDBView``); the own password form is replaced by one that asks for
the current password (``app.security.account``).
"""
from flask import g, has_request_context, jsonify, session
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import gettext as _
from flask_login import current_user, user_logged_in

from app.security import sessions
from app.security import stock_views
from app.security import view_as
from app.security.account import IqAuthDBView, IqResetMyPasswordView, IqSecurityApi
from app.security.scoping import adopt_request_user, resolving_user


@user_logged_in.connect  # every login through Flask-Login (UI forms of every auth type)
def _bind_session_to_stamp(sender, user, **extra):
    sessions.remember_in_session(user)


class IqSecurityManager(SecurityManager):
    authdbview = IqAuthDBView  # logout only by POST with CSRF token (checked against FAB 5.3.0)
    resetmypasswordview = IqResetMyPasswordView
    security_api = IqSecurityApi
    # FAB's user, role, group and permission pages are replaced by the app's (app/security/stock_views.py)
    userdbmodelview = stock_views.IqUserDBModelView
    rolemodelview = stock_views.IqRoleModelView
    groupmodelview = stock_views.IqUserGroupModelView
    permissionmodelview = stock_views.IqPermissionModelView
    viewmenumodelview = stock_views.IqViewMenuModelView
    permissionviewmodelview = stock_views.IqPermissionViewModelView
    userstatschartview = None

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(self._stamp_claims)
        jwt_manager.user_lookup_error_loader(_token_refused)
        return jwt_manager

    def _stamp_claims(self, identity):
        user = self.get_user_by_id(int(identity))
        if user is None:
            return {}
        return {sessions.CLAIM: sessions.ensure_stamp(user), **view_as.token_claims(user)}

    def has_access(self, permission_name, view_name):
        """FAB's check, answered once per request and (user, permission, view).

        Checked against FAB 5.3.0: ``has_access`` walks the user's roles and matches every builtin
        role's regular expressions (``_has_access_builtin_roles``) on each call, and a page asks it
        for every menu item, button and widget (``is_item_visible``, ``get_actions_on_list``, the
        ``@has_access`` decorators): dozens of calls with the same answer. The answer depends only on
        the request's user (Flask-Login's, the JWT's or an API key's), so it is kept in ``g`` under
        that user object's identity; a login or logout inside the request changes the key."""
        if not has_request_context():
            return super().has_access(permission_name, view_name)
        key = (id(g.get("_login_user")), id(g.get("_jwt_extended_jwt_user", {}).get("loaded_user")),
               bool(g.get("_api_key_user", False)), id(g.get("user")), permission_name, view_name)
        cache = g.get("_iq_has_access")
        if cache is None:
            cache = g._iq_has_access = {}
        answer = cache.get(key)
        if answer is None:
            answer = cache[key] = bool(super().has_access(permission_name, view_name))
        return answer

    def is_item_public(self, permission_name, view_name):
        """FAB 5.3.0's REST ``protect()`` asks this first on every API request, and it reads the
        public role and its permissions from the database (two statements). The public role is
        declared in code (``FAB_ROLES["Public"]``, app.security.roles), so it is answered from there."""
        public = self.auth_role_public
        if public in self.builtin_roles:
            return self._has_access_builtin_roles(_NamedRole(public), permission_name, view_name)
        return super().is_item_public(permission_name, view_name)

    def _has_access_builtin_roles(self, role, permission_name, view_name):
        """FAB 5.3.0 matches every (view, permission) regular expression of a builtin role
        (``FAB_ROLES``, app.security.roles) on each call; the roles are fixed at start-up, so each
        answer is kept per process (a few hundred (role, permission, view) triples)."""
        key = (role.name, permission_name, view_name)
        answer = self._iq_builtin_answers.get(key)
        if answer is None:
            answer = self._iq_builtin_answers[key] = super()._has_access_builtin_roles(
                role, permission_name, view_name)
        return answer

    @property
    def _iq_builtin_answers(self):
        return self.__dict__.setdefault("_iq_builtin_answers_cache", {})

    def get_user_by_id(self, pk):
        """The user with its roles, groups and partner memberships in ONE statement (FAB's
        permission checks read roles and groups lazily, the partner scope the memberships: three
        more statements per request otherwise). It runs under ``resolving_user()`` (unscoped), so
        the memberships are all of the user's, as ``scope_for_user`` needs them."""
        from sqlalchemy.orm import joinedload

        return self.session.get(self.user_model, pk, options=[
            joinedload(self.user_model.roles), joinedload(self.user_model.groups),
            joinedload(self.user_model.memberships)])

    def load_user(self, pk):
        """Session cookie: the user, if active and the session's stamp is still the user's.

        Loaded under ``resolving_user()`` (the scope depends on this user), then its scope is
        adopted for the request and synced to PostgreSQL at once (``adopt_request_user``)."""
        with resolving_user():
            user = super().load_user(pk)
        if user is not None and sessions.matches(session.get(sessions.SESSION_KEY), user):
            user = view_as.resolve_session_user(self, user)  # the target while viewing as (read-only)
            adopt_request_user(self.session, user)
            view_as.enforce_on(self.session)
            return user
        return None

    def load_user_jwt(self, _jwt_header, jwt_data):
        """Access or refresh token: the same check against the token's stamp claim."""
        with resolving_user():
            user = self.get_user_by_id(int(jwt_data["sub"]))
        if user is not None and user.is_active and sessions.matches(jwt_data.get(sessions.CLAIM), user):
            user = view_as.resolve_token_user(self, user, jwt_data)
            if user is None:
                return None
            g.user = user
            adopt_request_user(self.session, user)
            view_as.enforce_on(self.session)
            return user
        return None

    def reset_password(self, userid, password):
        """Every password change ends the user's sessions and tokens (the model rotates the stamp);
        if users change their own password, this session stays valid."""
        super().reset_password(userid, password)
        if has_request_context() and current_user.is_authenticated and str(current_user.id) == str(userid):
            sessions.remember_in_session(self.get_user_by_id(int(userid)))

    def on_user_logout(self, user):
        """Logout is logout everywhere: all sessions and tokens of the user end (and a view-as of the
        session with them; the logout runs as the real user, ``view_as.EXIT_ENDPOINTS``)."""
        view_as.end(self, user, "logout")
        self.logout_everywhere(user)

    def logout_everywhere(self, user):
        sessions.rotate(user)
        self.update_user(user)
        if has_request_context():
            session.pop(sessions.SESSION_KEY, None)


class _NamedRole:
    """What FAB's builtin-role check reads of a role: its name."""

    def __init__(self, name):
        self.name = name


def _token_refused(_jwt_header, _jwt_data):
    return jsonify(message=_("This token is no longer valid. Please log in again.")), 401
