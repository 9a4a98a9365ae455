"""The user's own account: changing the own password, logging out of the API.

Checked against Flask-AppBuilder 5.3.0. FAB's ``/resetmypassword/form`` (``ResetMyPasswordView``
with ``ResetPasswordForm``) sets a new password without asking for the current one, so a session
left open, or a stolen session cookie, could take the account over. ``IqSecurityManager`` replaces
that view by ``IqResetMyPasswordView`` (same URL, same permission name): the form asks for the
current password first; a wrong one counts as a failed login of that user
(``app.security.login_limits``), so a stolen session cannot guess it. FAB's ``SecurityApi`` gets
``POST /api/v1/security/logout``.

Logout in the UI (issue 8: GET never changes anything). FAB 5.3.0's ``AuthView.logout`` is a
plain ``GET /logout/`` link, and logout here ends every session and token of the user
(``IqSecurityManager.on_user_logout``), so a cross-site link or ``<img src=/logout/>`` would log
the user out everywhere. ``IqAuthDBView`` (the DB login of ``AUTH_TYPE = AUTH_DB``, registered as
``IqSecurityManager.authdbview``; same endpoint ``AuthDBView.logout``, so
``appbuilder.get_url_for_logout`` is unchanged) makes ``GET /logout/`` a confirmation page that
changes nothing, and only a ``POST`` logs out. That POST carries the CSRF token like every other
form: Flask-WTF's ``CSRFProtect`` (``app.core.web_security``) refuses it with 400 before the view
runs, and the session stays valid. The navbar's "Logout" is a small POST form
(``templates/appbuilder/navbar_right.html``).
"""
from flask import current_app, g, redirect, request
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.views import AuthDBView, ResetMyPasswordView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_appbuilder.views import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import get_current_user, jwt_required
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError


def _is_current_password(form, field):
    if not check_password_hash(g.user.password or "", field.data or ""):
        g.wrong_current_password = True  # a password guess: counted like a failed login
        raise ValidationError(_("The current password is not correct."))


def _differs_from_current(form, field):
    if field.data and field.data == form.current_password.data:
        raise ValidationError(_("The new password must differ from the current one."))


class ChangeMyPasswordForm(DynamicForm):
    current_password = PasswordField(_l("Current password"), widget=BS3PasswordFieldWidget(),
                                     validators=[DataRequired(), _is_current_password])
    password = PasswordField(_l("New password"), widget=BS3PasswordFieldWidget(),
                             description=_l("At least 10 characters, letters and digits, not the user "
                                            "name and not a common password."),
                             validators=[DataRequired(), PasswordComplexityValidator(),
                                         _differs_from_current])
    conf_password = PasswordField(_l("Confirm new password"), widget=BS3PasswordFieldWidget(),
                                  validators=[DataRequired(),
                                              EqualTo("password", message=_l("Passwords must match"))])


class IqResetMyPasswordView(ResetMyPasswordView):
    """``/resetmypassword/form``: the current password is required to set a new one."""

    class_permission_name = "ResetMyPasswordView"
    form = ChangeMyPasswordForm
    form_title = _l("Change my password")
    message = _l("Your password has been changed. Other sessions and API tokens of your account have ended.")


class IqSecurityApi(SecurityApi):
    @expose("/logout", methods=["POST"])
    @jwt_required()
    @safe
    def logout(self):
        """Log out everywhere: every session and token of the user ends (access and refresh)
        ---
        post:
          description: >-
            Ends every session and every access and refresh token of the user
          responses:
            200:
              description: Logged out
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt: []
        """
        self.appbuilder.sm.logout_everywhere(get_current_user())
        return self.response(200, message=_("Logged out: every session and token of this account has ended."))


class IqAuthDBView(AuthDBView):
    logout_template = "iq_logout.html"

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """GET: "Log out?" with a POST button, nothing changes. POST (CSRF token checked by
        ``CSRFProtect`` before this runs): FAB 5.3's logout, which ends every session and token."""
        if request.method == "POST":
            return super().logout()
        if g.user is None or not g.user.is_authenticated:
            return redirect(current_app.config.get("LOGOUT_REDIRECT_URL", self.appbuilder.get_url_for_index))
        return self.render_template(self.logout_template, title=_("Log out?"), appbuilder=self.appbuilder)
