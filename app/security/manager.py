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
        return {sessions.CLAIM: sessions.ensure_stamp(user)} if user is not None else {}

    def get_user_by_id(self, pk):
        """The user with its roles and groups in ONE statement (FAB's permission checks read both,
        lazily: two more statements per request otherwise)."""
        from sqlalchemy.orm import joinedload

        return self.session.get(self.user_model, pk, options=[
            joinedload(self.user_model.roles), joinedload(self.user_model.groups)])

    def load_user(self, pk):
        """Session cookie: the user, if active and the session's stamp is still the user's.

        Loaded under ``resolving_user()`` (the scope depends on this user), then its scope is
        adopted for the request and synced to PostgreSQL at once (``adopt_request_user``)."""
        with resolving_user():
            user = super().load_user(pk)
        if user is not None and sessions.matches(session.get(sessions.SESSION_KEY), user):
            adopt_request_user(self.session, user)
            return user
        return None

    def load_user_jwt(self, _jwt_header, jwt_data):
        """Access or refresh token: the same check against the token's stamp claim."""
        with resolving_user():
            user = self.get_user_by_id(int(jwt_data["sub"]))
        if user is not None and user.is_active and sessions.matches(jwt_data.get(sessions.CLAIM), user):
            g.user = user
            adopt_request_user(self.session, user)
            return user
        return None

    def reset_password(self, userid, password):
        """Every password change ends the user's sessions and tokens (the model rotates the stamp);
        if users change their own password, this session stays valid."""
        super().reset_password(userid, password)
        if has_request_context() and current_user.is_authenticated and str(current_user.id) == str(userid):
            sessions.remember_in_session(self.get_user_by_id(int(userid)))

    def on_user_logout(self, user):
        """Logout is logout everywhere: all sessions and tokens of the user end."""
        self.logout_everywhere(user)

    def logout_everywhere(self, user):
        sessions.rotate(user)
        self.update_user(user)
        if has_request_context():
            session.pop(sessions.SESSION_KEY, None)


def _token_refused(_jwt_header, _jwt_data):
    return jsonify(message=_("This token is no longer valid. Please log in again.")), 401
