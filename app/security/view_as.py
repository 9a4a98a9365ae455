""""View as": an Admin (or a PartnerAdmin for its own users) sees the app as another user, read-only.

Where the state lives: the signed session cookie keeps ``{"real", "target", "stamp"}`` while Flask-Login's
own user id stays the real user's, so the real user's login (security stamp) is checked as always. The
real user's row holds the same ``view_as_stamp`` (``"<target id>:<random>"``): every request compares it,
in the user lookup FAB does anyway (``IqSecurityManager.load_user`` / ``load_user_jwt``), and re-checks
that the real user may still view as the target (``refusal``). Ending (the button, logout) clears the
column, so a replayed cookie or a token obtained meanwhile views as nobody; a demoted or deactivated
real user's view-as ends at its next request. The target's own sessions are never touched.

Read-only, in layers: (1) ``_refuse_writes`` (a ``before_request``) answers every non-safe method 403,
except the exits (end, logout, API login/refresh/logout); (2) the database transaction itself is read-only:
PostgreSQL ``SET TRANSACTION READ ONLY`` at the start of every transaction of the request (and at once
when the view-as is recognised), SQLite ``PRAGMA query_only``; (3) a ``before_flush`` guard. The only
writes are the log rows (pages seen in the audit trail, personal data shown in the read-access log):
written after the view by ``log_phase()`` in a fresh transaction of their own, the single place that is
writable.
"""
import logging
import secrets
from contextlib import contextmanager
from dataclasses import dataclass

from flask import g, has_request_context, jsonify, request, session
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, String, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.core.models import utcnow

log = logging.getLogger(__name__)

SESSION_KEY = "_iq_view_as"
CLAIM = "iq_view_as"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The requests that leave a view-as (or authenticate): they run as the real user, writable.
EXIT_ENDPOINTS = frozenset({"ViewAsView.end", "IqAuthDBView.logout", "IqSecurityApi.logout",
                            "IqSecurityApi.login", "IqSecurityApi.refresh"})
START, END, PAGE = "viewas", "viewend", "viewpage"  # audit_event.action is String(8)

User.view_as_stamp = Column(String(48), nullable=True)  # migration b1c2d3e4f5a6


class ViewAsReadOnly(PermissionError):
    """A write while viewing as another user (answered 403, nothing changed)."""


READ_ONLY_MESSAGE = _l("You are viewing the application as another user: read only. End the view to make "
                       "changes.")


@dataclass(frozen=True)
class ViewAs:
    real_id: int
    real_name: str
    target_id: int
    target_name: str
    target_label: str


def current():
    """The request's view-as (``ViewAs``) or None."""
    return g.get("iq_view_as") if has_request_context() else None


def _logging():
    return has_request_context() and g.get("_iq_view_as_logging", False)


def read_only_now():
    return current() is not None and not _logging()


# --- who may view as whom ----------------------------------------------------------------------


def refusal(session_, viewer, target):
    """None if ``viewer`` may view the app as ``target``, else (status, translated message).

    Admin: any other active user. PartnerAdmin: an active user, neither Admin nor PartnerAdmin, with at
    least one membership, ALL of whose memberships are at partners where the viewer is PartnerAdmin (its
    view would otherwise show another partner's data). A user outside the PartnerAdmin's user list is
    "not found" (404), as every record of another partner; Staff and Management may not at all (403).
    """
    from app.security.models import Membership
    from app.security.scoping import UNSCOPED, scope_for_user

    if viewer is None or not viewer.is_active:
        return 403, _("You are not allowed to open this page.")
    viewer_scope = scope_for_user(session_, viewer, _memberships(viewer))
    if not viewer_scope.is_admin and not viewer_scope.admin_ids:
        return 403, _("Only administrators can view the application as another user.")
    if target is None:
        return 404, _("Not found.")
    rows = session_.execute(select(Membership.partner_id, Membership.role).where(
            Membership.user_id == target.id), execution_options={UNSCOPED: True}).all()  # all, also elsewhere
    if not viewer_scope.is_admin:
        target_admin = any(role.name == "Admin" for role in target.roles)
        mine = {pid for pid, _role in rows if pid in viewer_scope.admin_ids}
        if target_admin or any(role == "PartnerAdmin" for _pid, role in rows) or not mine:
            return 404, _("Not found.")
        if len(mine) != len({pid for pid, _role in rows}):
            return 403, _("This user also belongs to other partners: only the network administrator can view "
                          "the application as this user.")
    if target.id == viewer.id:
        return 400, _("You cannot view the application as yourself.")
    if not target.is_active:
        return 400, _("This user is inactive: the application cannot be viewed as this user.")
    return None


def _memberships(user):
    loaded = getattr(user, "__dict__", {}).get("memberships")
    return None if loaded is None else [(m.partner_id, m.role) for m in loaded]


# --- start and end ---------------------------------------------------------------------------------


def start(sm, viewer, target_id):
    """Begin viewing as ``target_id``; returns (status, message) on refusal, else None."""
    target = sm.get_user_by_id(target_id) if 0 < target_id < 2 ** 31 else None
    refused = refusal(sm.session, viewer, target)
    if refused:
        return refused
    stamp = f"{target.id}:{secrets.token_hex(16)}"
    viewer.view_as_stamp = stamp
    sm.session.add(viewer)
    sm.session.flush()
    write_audit(sm.session, viewer, target, START, {})
    sm.session.commit()
    session[SESSION_KEY] = {"real": viewer.id, "target": target.id, "stamp": stamp}
    log.info("view-as started: %s as %s", viewer.username, target.username)
    return None


def end(sm, real, reason):
    """End the session's view-as (button, logout): the column is cleared, so every cookie or token of this
    view-as ends with it. Returns the target's name, or None if the session was not viewing as anybody."""
    state = session.pop(SESSION_KEY, None)
    if not state or real is None or state.get("real") != real.id:
        return None
    target = sm.get_user_by_id(int(state["target"]))
    if real.view_as_stamp == state.get("stamp"):
        real.view_as_stamp = None
        sm.session.add(real)
        sm.session.flush()
    if target is not None:
        from app.security.scoping import scope_for_user

        # Under the real user's scope: at logout, Flask-Login has already forgotten the user.
        write_audit(sm.session, real, target, END, {"reason": reason}, scope=scope_for_user(sm.session, real))
    sm.session.commit()
    log.info("view-as ended (%s): %s", reason, real.username)
    return target.username if target is not None else ""


# --- the request's user ------------------------------------------------------------------------------


def _exit_request():
    return has_request_context() and request.method == "POST" and request.endpoint in EXIT_ENDPOINTS


def resolve_session_user(sm, real):
    """Flask-Login found ``real`` (stamp checked): the target instead while the session views as it."""
    state = session.get(SESSION_KEY) if has_request_context() else None
    if not state:
        return real
    return _resolve(sm, real, state.get("target"), state.get("stamp"), drop=lambda: session.pop(SESSION_KEY, None))


def resolve_token_user(sm, real, jwt_data):
    """A token obtained while viewing as carries ``iq_view_as``: it acts as the target, read-only, as long
    as the real user's view-as goes on; a token whose view-as has ended opens nothing (None). Its refresh
    token gives view-as tokens only, never the real user's."""
    claim = jwt_data.get(CLAIM)
    if not claim:
        return real
    if request.endpoint == "IqSecurityApi.refresh":
        return real if _stamp_matches(real, claim) else None
    target_id = str(claim).split(":", 1)[0]
    resolved = _resolve(sm, real, target_id, claim, drop=lambda: None)
    if resolved is real and not _exit_request():
        return None
    return resolved


def _resolve(sm, real, target_id, stamp, drop):
    from app.security.scoping import resolving_user

    if _exit_request():
        return real  # leaving (or logging in/out): the real user, writable
    valid = _stamp_matches(real, stamp)
    target = None
    if valid and str(target_id).isdigit():
        with resolving_user():
            target = sm.get_user_by_id(int(target_id))
        valid = target is not None and refusal(sm.session, real, target) is None
    if not valid:
        drop()
        log.warning("view-as ended: %s may no longer view as user #%s", real.username, target_id)
        return real
    full_name = (target.get_full_name() or "").strip()
    label = f"{full_name} ({target.username})" if full_name and full_name != target.username else target.username
    g.iq_view_as = ViewAs(real.id, real.username, target.id, target.username, label)
    return target


def _stamp_matches(real, stamp):
    return bool(stamp) and bool(real.view_as_stamp) and secrets.compare_digest(str(stamp), real.view_as_stamp)


def token_claims(user):
    """Claims of a new access or refresh token: an API login from a session that views as somebody (with
    the real user's own password), or a refresh of a view-as token, gives a view-as token."""
    if not has_request_context() or user is None:
        return {}
    if request.endpoint == "IqSecurityApi.refresh":
        from flask_jwt_extended import get_jwt

        claim = get_jwt().get(CLAIM)
    else:
        state = session.get(SESSION_KEY) or {}
        claim = state.get("stamp") if state.get("real") == user.id else None
    return {CLAIM: claim} if claim and _stamp_matches(user, claim) else {}


def enforce_on(session_):
    """The view-as is known now: the transaction already running becomes read-only too."""
    if read_only_now():
        _set_read_only(session_.connection(), True)


# --- read-only, in depth ------------------------------------------------------------------------------


def _set_read_only(connection, wanted):
    dialect = connection.dialect.name
    if dialect == "postgresql":
        if wanted:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif dialect == "sqlite":
        if connection.info.get("iq_query_only", False) != wanted:
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if wanted else 'OFF'}")
            connection.info["iq_query_only"] = wanted


@event.listens_for(Engine, "begin")
def _transaction_mode(connection):
    """Every transaction begun while viewing as is read-only; on SQLite the connection's mode is reset for
    every other transaction (the pragma outlives the transaction)."""
    _set_read_only(connection, read_only_now())


@event.listens_for(Session, "before_flush", insert=True)  # before the scope's write checks
def _no_flush_while_viewing(session_, flush_context, instances):
    if read_only_now() and (session_.new or session_.dirty or session_.deleted):
        raise ViewAsReadOnly(str(READ_ONLY_MESSAGE))


@contextmanager
def log_phase():
    """The log rows of a request while viewing as: a fresh transaction that is NOT read-only (the request's
    read-only transaction is ended first; nothing was written in it). Outside a view-as: nothing special."""
    if current() is None:
        yield
        return
    from app.extensions import db

    db.session.rollback()
    g._iq_view_as_logging = True
    try:
        yield
    finally:
        db.session.rollback()  # anything uncommitted; the next transaction is read-only again
        g._iq_view_as_logging = False


# --- audit trail and read-access log ----------------------------------------------------------------


def write_audit(session_, real, target, action, values, scope=None):
    """One event per partner of the target (so each partner's PartnerAdmin sees it; none: one network-wide
    row), attributed to the real user, naming the target. ``scope``: the row-level security scope to write
    under (the real user's, when the request runs under the target's)."""
    from app.security.audit import request_id
    from app.security.models import AuditEvent, Membership
    from app.security.scoping import UNSCOPED

    partners = sorted(set(session_.execute(select(Membership.partner_id).where(
        Membership.user_id == target.id), execution_options={UNSCOPED: True}).scalars())) or [None]
    new = dict(values, view_as=target.username, real_user=real.username)
    rid, now = request_id(), utcnow()
    if scope is not None:
        from sqlalchemy.orm import scoped_session

        from app.security.scoping import sync_database_scope

        sync_database_scope(session_() if isinstance(session_, scoped_session) else session_, scope)
    rows = [{"at": now, "user_id": real.id, "actor": real.username[:100], "action": action,
             "table_name": "ab_user", "record_id": str(target.id), "partner_id": partner,
             "old_values": None, "new_values": new, "request_id": rid} for partner in partners]
    session_.connection().execute(AuditEvent.__table__.insert(), rows)


def access_log_actor():
    """The read-access log names the real person who saw the data, and whom it was viewed as."""
    view = current()
    if view is None:
        return None
    return view.real_id, f"{view.real_name} [view-as {view.target_name}]"[:100]


def _record_page(response):
    """after_request: the page seen (path, method, status), in the audit trail of the target's partners."""
    view = current()
    if view is None or "/static/" in request.path:
        return response
    from app.extensions import db

    try:
        with log_phase():
            from app.security.scoping import scope_for_user

            real = db.session.get(User, view.real_id)
            target = db.session.get(User, view.target_id)
            path = request.full_path.rstrip("?")[:200]
            write_audit(db.session, real, target, PAGE,
                        {"path": path, "method": request.method, "status": response.status_code},
                        scope=scope_for_user(db.session, real))
            db.session.commit()
    except Exception:
        log.error("view-as page could not be audited, page withheld: %s", request.path, exc_info=True)
        from flask import make_response

        response.close()
        return make_response(jsonify(message=_("The page could not be recorded, so it is not shown.")), 503)
    return response


# --- the one gate for writes ----------------------------------------------------------------------------


def _refuse_writes():
    """before_request: while viewing as, every non-safe method is refused (forms, actions, API with the
    cookie session or a view-as token), except the exits."""
    from flask_login import current_user

    if SESSION_KEY in session:
        # Load the session's user now (FAB's g.user is a lazy proxy): every request of a view-as is
        # read-only from its first statement, even one that never asks for the user.
        current_user.is_authenticated  # noqa: B018
    if request.method in SAFE_METHODS or request.endpoint in EXIT_ENDPOINTS:
        return None
    if current() is None and request.headers.get("Authorization", "").startswith("Bearer "):
        from flask_jwt_extended import verify_jwt_in_request

        try:
            verify_jwt_in_request(optional=True)
        except Exception:  # an invalid token: the view answers it as always
            pass
    if current() is None:
        return None
    return _refused()


def _refused():
    message = str(READ_ONLY_MESSAGE)
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(message=message), 403
    from app.core.errorhandlers import _answer

    return _answer(403, message)


def _refused_write(error):
    """A write that got past the gate and was stopped by the flush guard: the same 403."""
    from app.extensions import db

    db.session.rollback()
    return _refused()


def banner():
    """For the base template: the view-as in progress (or None)."""
    return current()


def init_app(app):
    app.before_request(_refuse_writes)
    app.after_request(_record_page)
    app.register_error_handler(ViewAsReadOnly, _refused_write)
    app.jinja_env.globals["iq_view_as"] = banner
