"""Brute-force protection of both logins (UI ``/login/`` and ``POST /api/v1/security/login``).

FAB 5.3 ships a Flask-Limiter instance (``sm.limiter``) but its ``AUTH_RATE_LIMITED`` counts every
POST per address on the UI login only. Here, on the same limiter, only *failed* logins count
(``deduct_when``), per user name and per address, on UI and API alike, and a wrong current password
on the own password form per user; once a limit is reached even the right password answers 429
until the window has passed. The counters live in the
limiter's storage: memory by default, ``RATELIMIT_STORAGE_URI`` (e.g. ``redis://127.0.0.1:6379/0``)
when several instances must share them.
"""
from flask import g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user


def _submitted_username():
    if request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    else:
        name = request.form.get("username")
    return str(name or "").strip().lower()[:256]


def _user_key():
    return "login-user:" + _submitted_username()


def _address_key():
    return "login-addr:" + (get_remote_address() or "-")


def _failed(response):
    """A refused login: the API answers 4xx, the UI form redirects without a logged-in user.
    Other POSTs of the two blueprints (token refresh, API logout) are limited but never counted."""
    if not (request.endpoint or "").endswith(".login"):
        return False
    if response.status_code >= 400:
        return response.status_code != 429
    if response.status_code in (301, 302, 303):
        return not current_user.is_authenticated
    return False


def _current_user_key():
    name = current_user.username if current_user.is_authenticated else ""
    return "login-user:" + str(name).lower()[:256]


def _wrong_current_password(response):
    return bool(g.get("wrong_current_password"))


def _message():
    return _("Too many failed logins. Please wait a few minutes and try again.")


def init_login_limits(app, security_manager):
    limiter = security_manager.limiter
    blueprints = [security_manager.auth_view.blueprint]
    api = next((v for v in security_manager.appbuilder.baseviews
                if getattr(v, "resource_name", None) == "security" and hasattr(v, "blueprint")), None)
    if api is not None:
        blueprints.append(api.blueprint)
    for blueprint in blueprints:
        # Shared scopes: the UI and the API count into the same two counters.
        limiter.shared_limit(lambda: app.config["LOGIN_LIMIT_PER_USER"], "login-user", key_func=_user_key,
                             methods=["POST"], deduct_when=_failed, error_message=_message)(blueprint)
        limiter.shared_limit(lambda: app.config["LOGIN_LIMIT_PER_ADDRESS"], "login-addr",
                             key_func=_address_key, methods=["POST"], deduct_when=_failed,
                             error_message=_message)(blueprint)
    # A wrong current password on the own password form is a password guess as well: it counts
    # into (and is stopped by) the same per-user counter as failed logins.
    own_password = next(v for v in security_manager.appbuilder.baseviews
                        if isinstance(v, security_manager.resetmypasswordview))
    limiter.shared_limit(lambda: app.config["LOGIN_LIMIT_PER_USER"], "login-user", key_func=_current_user_key,
                         methods=["POST"], deduct_when=_wrong_current_password,
                         error_message=_message)(own_password.blueprint)
