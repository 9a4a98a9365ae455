"""Server-side invalidation of sessions and tokens: one security stamp per user.

Every user has a random ``security_stamp`` (column of ``ab_user``). A login copies it into the
signed session cookie, an API login into the claims of the access and the refresh token. Every
request compares the copy with the user's stamp, in the user lookup that FAB and Flask-Login do
anyway (``IqSecurityManager.load_user`` / ``load_user_jwt``, one primary-key lookup); a copy that
differs, or is missing, is no login at all.

The stamp changes (model layer, so that the UI, the API, the CLI and the admin views are covered
alike) when

* the password is set (own change, admin reset, ``iq`` commands): every session and token of the
  user ends; the session that changed its own password gets the new stamp and goes on;
* the user is deactivated;
* the user logs out (UI ``/logout/`` or ``POST /api/v1/security/logout``): logout is
  *logout everywhere* - all sessions, access and refresh tokens of that user end, on every
  instance, because the stamp lives in the shared database.

So a session cookie captured before a logout, a token issued before a password change, or a
refresh token of a deactivated user open nothing, whichever instance they are sent to.
"""
import secrets

from flask import has_request_context, session
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, String, event

SESSION_KEY = "_iq_stamp"
CLAIM = "iq_stamp"

# Declarative classes take new columns by assignment; the migration adds it to ``ab_user``.
User.security_stamp = Column(String(32), nullable=True)


def new_stamp():
    return secrets.token_hex(16)


def rotate(user):
    """End every session and token of ``user`` (commit with the caller's transaction)."""
    user.security_stamp = new_stamp()


def ensure_stamp(user):
    """The user's stamp; a user from before the column (NULL) gets one now, committed."""
    if not user.security_stamp:
        from app.extensions import db

        rotate(user)
        db.session.add(user)
        db.session.commit()
    return user.security_stamp


def matches(copy, user):
    """Does a session's or token's copy of the stamp still match the user's?"""
    stamp = user.security_stamp
    return bool(copy) and bool(stamp) and secrets.compare_digest(str(copy), stamp)


def remember_in_session(user):
    """Bind the current session to the user's present stamp (after login or own password change)."""
    if has_request_context():
        session[SESSION_KEY] = ensure_stamp(user)


@event.listens_for(User.password, "set")
def _password_set(target, value, oldvalue, initiator):
    if value != oldvalue:
        rotate(target)


@event.listens_for(User.active, "set")
def _active_set(target, value, oldvalue, initiator):
    if not value:
        rotate(target)
