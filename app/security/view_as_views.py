""""View as" routes: ``POST /view-as/<user_id>`` starts, ``POST /view-as/end`` ends (CONTRACT.md).

Both are POST forms with the CSRF token (``CSRFProtect`` checks it before the view runs; GET is 405).
Who may view as whom is ``app.security.view_as.refusal``; this module only translates between the
request and that service.
"""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from app.security import view_as


def _user():
    user = getattr(g, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _wants_json():
    return request.accept_mimetypes.best == "application/json"


class ViewAsView(BaseView):
    route_base = "/view-as"
    default_view = "end"

    @expose("/<int:user_id>", methods=["POST"])
    def start(self, user_id):
        viewer = _user()
        if viewer is None:
            abort(403)
        refused = view_as.start(current_app.appbuilder.sm, viewer, user_id)
        if refused:
            from app.core.errorhandlers import _answer

            status, message = refused
            return _answer(status, message)
        target = current_app.appbuilder.sm.get_user_by_id(user_id)
        flash(_("You now see the application as %(user)s, read only.", user=target.username), "info")
        return redirect(current_app.appbuilder.get_url_for_index)

    @expose("/end", methods=["POST"])
    def end(self):
        real = _user()
        name = view_as.end(current_app.appbuilder.sm, real, "button") if real is not None else None
        if name is None:
            flash(_("You were not viewing the application as another user."), "info")
            return redirect(current_app.appbuilder.get_url_for_index)
        flash(_("You no longer view the application as %(user)s.", user=name), "info")
        return redirect(url_for("PartnerUserView.list"))


def offer(pk):
    """For the user page: may the current user view the app as this user (show the button)?"""
    from app.extensions import db

    viewer = _user()
    if viewer is None or view_as.current() is not None:
        return False
    sm = current_app.appbuilder.sm
    target = sm.get_user_by_id(int(pk))
    return view_as.refusal(db.session, viewer, target) is None
