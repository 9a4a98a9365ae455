"""Generic messages to the user, full detail in the log with the request id (DESIGN.md §6.9)."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound, TooManyRequests

from app.core.errors import DomainError, ScopeError
from app.core.refusals import refusal_for
from app.core.input_bounds import MAX_PAGE_SIZE, ListArgumentError, QueryArgumentError

log = logging.getLogger(__name__)


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(status, message):
    if _wants_json():
        return jsonify(message=message), status
    from flask import current_app, g
    from flask_login import current_user

    # Refusals raised before FAB's own before_request (CSRF) have no g.user yet; the navbar needs it.
    if not hasattr(g, "user"):
        g.user = current_user
    appbuilder = current_app.appbuilder
    return render_template("error.html", status=status, message=message, appbuilder=appbuilder,
                           base_template=appbuilder.base_template), status


def register_error_handlers(app):
    @app.errorhandler(NotFound)
    def _not_found(error):
        # Another partner's record answers 404 like a missing one; the attempt is logged.
        from flask import g

        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            log.warning("not found: user=%s path=%s object=%s", user.username, request.path,
                        (request.view_args or {}).get("pk"))
        # A view may say what was not found (``abort(404, description=...)``); werkzeug's default is English.
        explicit = error.description if error.description != NotFound.description else None
        return _answer(404, explicit or _("Not found."))

    @app.errorhandler(Forbidden)
    def _forbidden(error):
        return _answer(403, _("You are not allowed to open this page."))

    @app.errorhandler(CSRFError)
    def _csrf(error):
        log.warning("CSRF refused: path=%s reason=%s", request.path, error.description)
        return _answer(400, _("The form has expired or was not sent from this application. "
                              "Please reload the page and try again."))

    @app.errorhandler(ListArgumentError)
    def _list_arguments(error):
        return _answer(400, _("Invalid page or page size: at most %(n)d rows per page.", n=MAX_PAGE_SIZE))

    @app.errorhandler(QueryArgumentError)
    def _query_arguments(error):
        return _answer(400, error.message)

    @app.errorhandler(TooManyRequests)
    def _too_many(error):
        log.warning("rate limit: path=%s address=%s", request.path, request.remote_addr)
        return _answer(429, error.description or _("Too many requests. Please wait and try again."))

    def _refused(error):
        """A refusal no view answered itself: mapped like every refused write (app.core.refusals)."""
        from app.extensions import db

        db.session.rollback()
        refusal = refusal_for(error, where=f"on {request.path}")
        # An unhandled DataError comes from reading (e.g. a list filter with an integer beyond 32 bits
        # on PostgreSQL): the request's value is wrong, 400.
        return _answer(400 if isinstance(error, DataError) else refusal.status, str(refusal))

    for refused in (ScopeError, DomainError, StaleDataError, SQLAlchemyError):
        app.register_error_handler(refused, _refused)

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return error
        log.exception("unhandled error")
        return _answer(500, _("An unexpected error occurred. It has been logged."))
