"""Users and their memberships: who may change what, stated once for the UI and the CLI.

Roles are per partner membership (DESIGN.md §3): a user's rights at partner X come from its
membership role at X. So an administrator changes memberships only where it administers:

- the network Admin: every membership, every account, and the network-wide Admin role;
- a PartnerAdmin: the Staff and Management memberships at its own partners. A user's memberships
  elsewhere (and roles it may not hand out) stay exactly as they are, and it may neither
  deactivate, rename nor change the password or e-mail address of a user who also belongs to
  another partner: that is for that partner's administrator or the network Admin.

FAB's global role of a user is derived from its memberships (one FAB role per distinct membership
role, so FAB's permissions are their union); it only decides which menus and views exist for the
user. Which partners' data the user reaches comes from the memberships (app.security.scoping).
"""
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from app.core.errors import DomainError
from app.partners.models import Partner
from app.security.models import Membership
from app.security.roles import ROLE_NAMES
from app.security.scoping import UNSCOPED, current_scope, log_denied

MEMBERSHIP_ROLE_NAMES = ("PartnerAdmin", "Staff", "Management")
NETWORK_ADMIN = "network:Admin"  # the form value of the network-wide Admin role
# Changing one of these touches the user at every partner it belongs to.
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "active", "password")

TAKEN_MESSAGE = _l("This user name or e-mail address cannot be used. Please choose another one.")


def grantable_roles(scope):
    """Roles the acting scope may hand out (membership roles, plus Admin for the network Admin)."""
    if scope.is_admin:
        return ("Admin",) + MEMBERSHIP_ROLE_NAMES
    if scope.admin_ids:
        return ("Staff", "Management")
    return ()


def check_grant(scope, role, partner_ids):
    """Refuse a role or partner the acting user may not hand out; nothing is changed then."""
    if role not in grantable_roles(scope):
        raise DomainError(_l("You may not hand out the role %(role)s.", role=role), field="membership_set")
    if role != "Admin" and not partner_ids:
        raise DomainError(_l("Choose at least one partner for this role."), field="membership_set")
    outside = [pid for pid in partner_ids if not scope.administers(pid)]
    if outside:
        log_denied("Partner", outside[0])
        raise DomainError(_l("You may only assign your own partners."), field="membership_set")


def memberships_of(session, user_id):
    """All memberships of a user, whatever the current scope (the rules must see them all)."""
    if user_id is None:
        return []
    return list(session.execute(
        select(Membership).where(Membership.user_id == user_id).order_by(Membership.partner_id, Membership.role),
        execution_options={UNSCOPED: True},
    ).scalars())


def foreign_partner_ids(session, scope, user_id):
    """The partners of the user's memberships that the acting scope does not administer."""
    return {m.partner_id for m in memberships_of(session, user_id) if not scope.administers(m.partner_id)}


def changed_account_fields(user):
    """The account fields of ``user`` that differ from the database (after a form filled them)."""
    state = inspect(user)
    if state.transient or state.pending:
        return set()
    return {name for name in ACCOUNT_FIELDS if state.attrs[name].history.has_changes()}


def check_account_change(session, scope, user, fields):
    """A PartnerAdmin changes the account itself only of users who belong to its partners alone."""
    if not fields or scope.is_admin:
        return
    if foreign_partner_ids(session, scope, user.id):
        log_denied(user, None)
        raise DomainError(
            _l("This user also belongs to another partner: only that partner's administrator or the network "
               "administrator may deactivate or rename the user or change its password or e-mail address."),
            field=sorted(fields)[0],
        )


@event.listens_for(Session, "before_flush")
def _accounts_stay_with_their_partners(session, flush_context, instances):
    """The same rule for every path that changes an account (not only the user form): outside the
    network Admin, nobody but the user itself changes the account of a user of another partner."""
    users = [obj for obj in session.dirty if getattr(type(obj), "__tablename__", "") == "ab_user"]
    if not users:
        return
    scope = current_scope(session)
    if scope.is_admin or scope.unrestricted:
        return
    for user in users:
        if user.id != scope.user_id:
            check_account_change(session, scope, user, changed_account_fields(user))


def parse_choices(values):
    """Form values ``"<partner id>:<role>"`` (and ``network:Admin``) → (set of pairs, network admin)."""
    pairs, network_admin = set(), False
    for value in values or ():
        if value == NETWORK_ADMIN:
            network_admin = True
            continue
        partner_id, _, role = str(value).partition(":")
        if not partner_id.isdigit() or len(partner_id) > 18 or role not in MEMBERSHIP_ROLE_NAMES:
            raise DomainError(_l("Unknown choice of partner and role."), field="membership_set")
        pairs.add((int(partner_id), role))
    return pairs, network_admin


def choice_value(partner_id, role):
    return f"{partner_id}:{role}"


def set_memberships(session, user, wanted, scope, network_admin=False):
    """Make the user's memberships at the partners the acting scope administers exactly ``wanted``
    (pairs of partner id and role); memberships elsewhere, and roles the actor may not hand out,
    stay untouched. Then derive FAB's roles. Raises DomainError (and changes nothing) on a refusal.
    """
    grantable = set(grantable_roles(scope))
    if network_admin and "Admin" not in grantable:
        raise DomainError(_l("You may not hand out the role %(role)s.", role="Admin"), field="membership_set")
    for partner_id, role in sorted(wanted):
        check_grant(scope, role, [partner_id])
    if network_admin and wanted:
        raise DomainError(_l("An Admin works network-wide and belongs to no partner."), field="membership_set")
    existing = {p for (p,) in session.execute(select(Partner.id).where(Partner.id.in_({p for p, _ in wanted})))}
    if len(existing) < len({p for p, _ in wanted}):
        raise DomainError(_l("You may only assign your own partners."), field="membership_set")

    session.add(user)  # a new user joins the session with its memberships
    current = memberships_of(session, user.id)

    def manageable(membership):
        return scope.administers(membership.partner_id) and membership.role in grantable

    if network_admin:  # only the network Admin gets here; an Admin belongs to no partner
        for membership in current:
            session.delete(membership)
        derive_fab_roles(user, set(), network_admin=True)
        return []
    keep = [m for m in current if not manageable(m) or (m.partner_id, m.role) in wanted]
    have = {(m.partner_id, m.role) for m in keep}
    added = [Membership(user=user, partner_id=pid, role=role) for pid, role in sorted(wanted - have)]
    result = keep + added
    if not result:
        raise DomainError(_l("Give the user a role at one of your partners at least, or deactivate the user "
                             "instead."), field="membership_set")
    for membership in current:
        if membership not in keep:
            session.delete(membership)
    session.add_all(added)
    derive_fab_roles(user, {m.role for m in result})
    return result


def derive_fab_roles(user, membership_roles, network_admin=False):
    """FAB's roles of the user: Admin, or one per distinct membership role (their union)."""
    sm = current_app.appbuilder.sm
    names = ["Admin"] if network_admin else [name for name in ROLE_NAMES if name in membership_roles]
    if sorted(r.name for r in user.roles) != sorted(names):
        user.roles = [sm.find_role(name) for name in names]


def name_taken(session, user_model, field, value, exclude_id=None):
    """Whether another user already has this user name or e-mail address (case-insensitive)."""
    if not value:
        return False
    column = getattr(user_model, field)
    query = select(user_model.id).where(func.lower(column) == str(value).strip().lower())
    if exclude_id is not None:
        query = query.where(user_model.id != exclude_id)
    return session.scalar(query.limit(1)) is not None
