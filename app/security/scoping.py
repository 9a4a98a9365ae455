"""The one partner scope: every ORM statement over a partner-owned model is restricted here.

A ``do_orm_execute`` listener adds ``with_loader_criteria(PartnerScoped, partner_id IN (...))`` to
every ORM SELECT, UPDATE and DELETE, so lists, counts, show/edit/delete, related choices, filters,
the REST API, exports and documents are all covered by construction, with no per-view code.

Inside a request the scope comes from the logged-in user (session or JWT), always. Outside a
request (CLI, tests, jobs) it must be stated explicitly with ``system_scope()`` or ``partner_scope(ids)``; without
it, partner-owned queries return nothing.

Writes are checked separately by ``ensure_in_scope`` (``Session.get`` may answer from the identity
map without a query, and choosing the owning partner is a write, not a read).
"""
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from flask import g, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session, scoped_session, with_loader_criteria

from app.core.errors import ScopeError
from app.core.models import PartnerScoped

log = logging.getLogger(__name__)

UNSCOPED = "iq_unscoped"


_SAME = object()


@dataclass(frozen=True)
class Scope:
    """Which partners the user may reach, per kind of access (None: the whole network).

    Roles are per partner membership: ``partner_ids`` (personal data: clients, cases, contacts, and
    the audit trail and read-access log about them) are the partners where a membership role is
    Staff or PartnerAdmin; ``aggregate_ids`` (figures, trainings, funding) those where it is
    Management or more; ``admin_ids`` (users and memberships) those where it is PartnerAdmin;
    ``write_ids`` (creating and changing records) those where it is Staff. An explicit scope (CLI, jobs, tests) gives the same set to all kinds
    unless it states them.
    """

    partner_ids: frozenset | None
    user_id: int | None = None
    roles: frozenset = frozenset()
    label: str = ""
    aggregate_ids: object = _SAME
    admin_ids: object = _SAME
    write_ids: object = _SAME
    aggregated: bool = False  # reading figures over the aggregate scope (``aggregate_scope()``)

    def __post_init__(self):
        for name in ("aggregate_ids", "admin_ids", "write_ids"):
            if getattr(self, name) is _SAME:
                object.__setattr__(self, name, self.partner_ids)

    @property
    def unrestricted(self):
        return self.partner_ids is None

    def ids_for(self, kind):
        """The partner set of one kind of access: personal, aggregate, admin or write."""
        return {"personal": self.partner_ids, "aggregate": self.aggregate_ids, "admin": self.admin_ids,
                "write": self.write_ids}[kind]

    def allows(self, partner_id):
        """Personal data of this partner may be read."""
        return self.partner_ids is None or partner_id in self.partner_ids

    def allows_aggregate(self, partner_id):
        return self.aggregate_ids is None or partner_id in self.aggregate_ids

    def administers(self, partner_id):
        return self.admin_ids is None or partner_id in self.admin_ids

    def may_write(self, partner_id):
        return self.write_ids is None or partner_id in self.write_ids

    @property
    def is_admin(self):
        return "Admin" in self.roles

    def for_aggregates(self):
        """The same user reading figures only: every kind of read covers the aggregate scope,
        and nothing may be written or administered meanwhile."""
        if self.unrestricted or self.aggregated:
            return self
        none = frozenset()
        return replace(self, partner_ids=self.aggregate_ids, admin_ids=none, write_ids=none, aggregated=True)


NOTHING = Scope(frozenset(), label="nothing")
SYSTEM = Scope(None, roles=frozenset({"Admin"}), label="system")

_explicit_scope: ContextVar[Scope | None] = ContextVar("iq_explicit_scope", default=None)


@contextmanager
def system_scope():
    """Network-wide access for CLI commands, seeding and jobs."""
    token = _explicit_scope.set(SYSTEM)
    try:
        yield SYSTEM
    finally:
        _explicit_scope.reset(token)


@contextmanager
def partner_scope(partner_ids, roles=("Staff",), user_id=None, aggregate_ids=None):
    """An explicit scope: ``partner_ids`` for every kind of access, or wider ``aggregate_ids``
    for figures (a user who is Management at more partners than it is Staff)."""
    ids = frozenset(partner_ids)
    scope = Scope(ids, user_id=user_id, roles=frozenset(roles), label="explicit",
                  aggregate_ids=ids if aggregate_ids is None else frozenset(aggregate_ids) | ids)
    with explicit_scope(scope):
        yield scope


@contextmanager
def explicit_scope(scope):
    """Run outside a request under exactly ``scope`` (e.g. a worker thread of a request)."""
    token = _explicit_scope.set(scope)
    try:
        yield scope
    finally:
        _explicit_scope.reset(token)


@contextmanager
def aggregate_scope():
    """Read figures over the aggregate scope for the duration of the block.

    For report code that reads no personal fields (summaries, dashboards, pseudonymous lists):
    a Management membership at a partner then counts like Staff for reading, in the ORM criteria
    and in PostgreSQL's row-level security alike; writes are refused meanwhile.
    """
    if has_request_context():
        previous = g.get("_iq_aggregate", False)
        g._iq_aggregate = True
        try:
            yield current_scope()
        finally:
            g._iq_aggregate = previous
        return
    with explicit_scope(current_scope().for_aggregates()) as scope:
        yield scope


def use_aggregate_scope():
    """``aggregate_scope()`` for the rest of the request (streamed answers read after the view)."""
    g._iq_aggregate = True


def _request_user():
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def scope_for_user(session, user, memberships=None):
    """Admins see the whole network; everybody else what its membership role at each partner opens.

    ``memberships``: the user's (partner_id, role) pairs when the caller already holds all of them
    (``adopt_request_user``: loaded with the user, unscoped); else they are read here."""
    if user is None:
        return NOTHING
    roles = frozenset(role.name for role in user.roles)
    if "Admin" in roles:
        return Scope(None, user_id=user.id, roles=roles, label=user.username)
    from app.security.models import Membership
    from app.security.roles import ADMIN_ROLES, AGGREGATE_ROLES, PERSONAL_DATA_ROLES, WRITE_ROLES

    if memberships is None:
        memberships = session.execute(
            select(Membership.partner_id, Membership.role).where(Membership.user_id == user.id),
            execution_options={UNSCOPED: True},
        ).all()

    def partners(kinds):
        return frozenset(pid for pid, role in memberships if role in kinds)

    return Scope(partners(PERSONAL_DATA_ROLES), user_id=user.id, roles=roles, label=user.username,
                 aggregate_ids=partners(AGGREGATE_ROLES), admin_ids=partners(ADMIN_ROLES),
                 write_ids=partners(WRITE_ROLES))


def _user_key(user):
    """The user's id without loading anything: after a commit or rollback the user object is
    expired, and reloading it here (inside ``after_begin``) would re-enter the session."""
    from sqlalchemy import inspect

    state = inspect(user, raiseerr=False) if user is not None else None
    if state is not None and state.identity:
        return state.identity[0]
    return getattr(user, "id", None)


def current_scope(session=None):
    if not has_request_context():
        explicit = _explicit_scope.get()
        return explicit if explicit is not None else NOTHING
    # Inside a request the logged-in user decides, whatever scope the surrounding code stated.
    # Resolving the user may itself query (Flask-Login's user loader); mark that as in progress.
    g._iq_scope_busy = True
    try:
        user = _request_user()
        key = _user_key(user)
        cached = getattr(g, "_iq_scope", None)
        if cached is not None and cached[0] == key:
            return cached[1].for_aggregates() if g.get("_iq_aggregate") else cached[1]
        if session is None:
            from app.extensions import db

            session = db.session
        scope = scope_for_user(session, user)
    finally:
        g._iq_scope_busy = False
    g._iq_scope = (key, scope)
    return scope.for_aggregates() if g.get("_iq_aggregate") else scope


@contextmanager
def resolving_user():
    """While the request's own user is loaded (Flask-Login's or the JWT user loader), the partner
    scope is not consulted: it depends on this very user (asking for it would re-enter the loader
    and load the user twice). Statements run meanwhile are neither scoped nor synced to PostgreSQL:
    ``adopt_request_user`` does that as soon as the user is known."""
    if not has_request_context():
        yield
        return
    busy = g.get("_iq_scope_busy", False)
    g._iq_scope_busy = True
    try:
        yield
    finally:
        g._iq_scope_busy = busy


def adopt_request_user(session, user):
    """The request's user has just been loaded: its scope for the rest of the request, and
    PostgreSQL told at once.

    The user's own load (under ``resolving_user``) may have begun the transaction before the scope
    was known, so ``after_begin`` could not set it; without this explicit sync the transaction would
    run without ``iq.partner_ids`` and row-level security would show nothing (commit 939a1e5).
    """
    if not has_request_context() or user is None:
        return
    if isinstance(session, scoped_session):
        session = session()
    scope = scope_for_user(session, user, _loaded_memberships(user))
    g._iq_scope = (_user_key(user), scope)
    sync_database_scope(session, scope.for_aggregates() if g.get("_iq_aggregate") else scope)


def _loaded_memberships(user):
    """The (partner_id, role) pairs of the memberships loaded with the user by the user loader
    (``IqSecurityManager.get_user_by_id``: one unscoped statement, so all of them), or None if the
    collection is not loaded (then ``scope_for_user`` reads them)."""
    loaded = getattr(user, "__dict__", {}).get("memberships")
    if loaded is None:
        return None
    return [(membership.partner_id, membership.role) for membership in loaded]


@event.listens_for(Session, "do_orm_execute")
def _restrict_to_scope(state):
    if state.is_column_load or state.is_relationship_load:
        return  # the parent statement's criteria propagate into these loads
    if state.execution_options.get(UNSCOPED):
        return
    if has_request_context() and g.get("_iq_scope_busy"):
        return  # the user's own record and roles, loaded while the scope is being determined
    sync_database_scope(state.session)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    options = scope_options(state.session)
    if options:
        state.statement = state.statement.options(*options)


def scope_options(session):
    """The statement options that restrict every partner-owned model (and its aliases) to the
    current scope; none for an unrestricted scope. ``do_orm_execute`` adds them to every ORM
    statement; code that compiles an ORM statement itself (the COPY of an export) adds them too."""
    scope = current_scope(session)
    if scope.unrestricted:
        return []
    options = []
    for cls in _scoped_classes():
        ids = scope.ids_for(cls.scope_kind)
        if ids is not None:
            # A model reachable from more than one partner column (a referral: sender or receiver)
            # states its own criteria; every other one is owned through ``partner_id``.
            own = getattr(cls, "scope_criteria", None)
            criteria = (own or _CRITERIA[cls.scope_kind])(tuple(sorted(ids)))
            options.append(with_loader_criteria(cls, criteria, include_aliases=True))
    return options


# One lambda (one code object) per kind of scope: SQLAlchemy caches a criteria lambda by its code
# and takes the bound values of one statement from it, so two partner sets in one statement (a
# user's personal and aggregate partners) need two distinct lambdas, or one set would serve both.
_CRITERIA = {
    "personal": lambda ids: (lambda c: c.partner_id.in_(ids)),
    "aggregate": lambda ids: (lambda c: c.partner_id.in_(ids)),
    "admin": lambda ids: (lambda c: c.partner_id.in_(ids)),
}


def _scoped_classes():
    """The mapped subclasses of PartnerScoped.

    SQLAlchemy 2.1 evaluates a criteria lambda once against the class it is given; the marker
    mixin itself has no ``partner_id`` (it is declared per model), so the criteria are stated per
    mapped class instead.
    """
    from flask_appbuilder import Model

    return [m.class_ for m in Model.registry.mappers if issubclass(m.class_, PartnerScoped)]


def ensure_in_scope(obj, partner_id=None):
    """Refuse a write that would create or move a record outside the user's partners.

    Which partners count is the model's ``write_scope_kind``: where the user is Staff for records,
    PartnerAdmin for memberships. Raises ScopeError (answered as 404) so that a user learns
    nothing about other partners.
    """
    scope = current_scope()
    target = partner_id if partner_id is not None else getattr(
        obj, "scope_write_partner_id", getattr(obj, "partner_id", None))  # a referral: whose step it is
    if target is None and getattr(obj, "partner", None) is not None:
        target = obj.partner.id
    ids = scope.ids_for(getattr(type(obj), "write_scope_kind", "write"))
    if target is None or ids is None or target in ids:
        return
    log_denied(obj, target)
    raise ScopeError(f"{type(obj).__name__} outside scope")


def log_denied(obj, partner_id=None):
    """Log a refused or not-found cross-partner attempt: user, path, object and its id."""
    who = scope_label()
    path = request.path if has_request_context() else "-"
    object_id = getattr(obj, "id", None)
    if object_id is None and has_request_context():
        object_id = (request.view_args or {}).get("pk")
    log.warning(
        "scope denied: user=%s path=%s object=%s id=%s partner=%s",
        who, path, obj if isinstance(obj, str) else type(obj).__name__, object_id, partner_id,
    )


def scope_label():
    return current_scope().label or "anonymous"


@event.listens_for(Session, "before_flush")
def _check_writes(session, flush_context, instances):
    """Every insert, update and delete of a partner-owned record must stay inside the scope."""
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, PartnerScoped):
            ensure_in_scope(obj)


def owning_partner_id(requested=None):
    """The partner a new record belongs to: from the user, never trusted from the request.

    ``requested`` (an id from a form or request body) is accepted only if it is one of the
    user's partners; a user with exactly one partner gets that one by default.
    """
    from flask_babel import lazy_gettext as _l

    from app.core.errors import DomainError

    scope = current_scope()
    if requested not in (None, ""):
        requested = int(requested)
        if not scope.may_write(requested):
            log_denied("Partner", requested)
            raise ScopeError("partner outside scope")
        return requested
    if scope.write_ids is not None and len(scope.write_ids) == 1:
        return next(iter(scope.write_ids))
    if scope.write_ids is not None and not scope.write_ids:
        raise ScopeError("no partner")
    raise DomainError(_l("Please choose the partner the record belongs to."), field="partner")


# --- PostgreSQL row-level security: the database enforces the same scope ------------------------

_RLS_KEY = "iq_rls_applied"


def _ids_value(ids):
    return "all" if ids is None else ",".join(str(pid) for pid in sorted(ids))


def _rls_value(scope):
    """``iq.partner_ids`` (personal data, and writes) and ``iq.aggregate_ids`` (figures)."""
    return _ids_value(scope.partner_ids), _ids_value(scope.aggregate_ids)


_SET_SCOPE = ("SELECT set_config('iq.partner_ids', %(personal)s, true), "
              "set_config('iq.aggregate_ids', %(aggregate)s, true)")


def sync_database_scope(session, scope=None):
    """Tell PostgreSQL the current scope (or ``scope``) once per transaction (and again when it changes).

    ``set_config(..., true)`` lasts one transaction, so with a connection pool it is set at the
    start of every transaction, never once per connection (DESIGN.md §7). The marker of what was
    set is dropped when a transaction (or savepoint) ends: ``_forget_database_scope``.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is None:
        return
    value = _rls_value(scope if scope is not None else current_scope(session))
    if session.info.get(_RLS_KEY) == (id(transaction), value):
        return
    session.info[_RLS_KEY] = (id(transaction), value)
    session.connection().exec_driver_sql(_SET_SCOPE, {"personal": value[0], "aggregate": value[1]})


def _scope_known_without_query():
    if not has_request_context():
        explicit = _explicit_scope.get()
        return explicit if explicit is not None else NOTHING
    cached = g.get("_iq_scope")
    if cached is None:
        return None
    return cached[1].for_aggregates() if g.get("_iq_aggregate") else cached[1]


@event.listens_for(Session, "after_begin")
def _scope_new_transaction(session, transaction, connection):
    """Set the scope as the transaction begins, when it is known without a query.

    (The session cannot run queries while it provisions the connection; when the scope still
    has to be looked up, the next statement or flush sets it: see ``_restrict_to_scope``.)
    """
    if connection.dialect.name != "postgresql":
        return
    scope = _scope_known_without_query()
    if scope is None:
        return
    value = _rls_value(scope)
    session.info[_RLS_KEY] = (id(session.get_transaction()), value)
    connection.exec_driver_sql(_SET_SCOPE, {"personal": value[0], "aggregate": value[1]})


@event.listens_for(Session, "before_flush")
def _scope_before_flush(session, flush_context, instances):
    sync_database_scope(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_database_scope(session, transaction):
    """The setting ends with the transaction, so does the marker: the marker holds ``id()`` of the
    transaction, and a new transaction object may get the id of an ended one, which would make
    ``sync_database_scope`` skip the new transaction's setting. A savepoint's end clears it too
    (a rolled-back savepoint undoes a ``set_config`` made inside it); the next statement sets it again."""
    session.info.pop(_RLS_KEY, None)
