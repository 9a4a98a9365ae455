"""Creating users with a role and the partners they belong to (``iq user-add``, demo logins).

Everything is checked before anything is written, and the user, its role and its memberships are
committed together: a refused command leaves no half-created account behind.

The password policy is one function (``app.security.passwords.password_problem``), used by the CLI
and (through FAB's ``FAB_PASSWORD_COMPLEXITY_VALIDATOR``) by the password forms of the UI.
"""
import re
import secrets
import string

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.partners.models import Partner
from app.security.models import Membership
from app.security.passwords import MIN_PASSWORD_LENGTH, password_complexity, password_problem  # noqa: F401
from app.security.roles import ROLE_NAMES

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


def random_password(length=16):
    """A random password that satisfies the policy (for generated accounts)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_problem(candidate) is None:
            return candidate


def _check_new_user(session, sm, username, password, role, partner_codes, email):
    if not _USERNAME.match(username or ""):
        raise DomainError(_("“%(name)s” is not a valid user name (2–64 letters, digits, . _ @ -).",
                            name=username), field="username")
    if role not in ROLE_NAMES:
        raise DomainError(_("Unknown role “%(role)s”; choose one of: %(roles)s.",
                            role=role, roles=", ".join(ROLE_NAMES)), field="role")
    user_model = sm.user_model
    if session.scalar(select(user_model.id).where(func.lower(user_model.username) == username.lower())):
        raise DomainError(_("The user name “%(name)s” is already taken.", name=username), field="username")
    if session.scalar(select(user_model.id).where(func.lower(user_model.email) == email.lower())):
        raise DomainError(_("The e-mail address “%(email)s” is already in use.", email=email), field="email")
    problem = password_problem(password, username)
    if problem:
        raise DomainError(problem, field="password")
    codes = list(dict.fromkeys(partner_codes))
    if role == "Admin" and codes:
        raise DomainError(_("An Admin works network-wide and belongs to no partner."), field="partner")
    if role != "Admin" and not codes:
        raise DomainError(_("The role %(role)s needs at least one partner (--partner CODE).", role=role),
                          field="partner")
    partners = {p.code: p for p in session.scalars(select(Partner).where(Partner.code.in_(codes)))}
    unknown = [code for code in codes if code not in partners]
    if unknown:
        raise DomainError(_("Unknown partner “%(code)s”.", code=", ".join(unknown)), field="partner")
    return [partners[code] for code in codes]


def create_user(session, sm, username, password, role, partner_codes=(), email=None,
                first_name=None, last_name=None):
    """Create an active user with one FAB role and a membership per partner; commit.

    Raises DomainError (nothing written) when a rule is broken. Run inside ``system_scope()``.
    """
    email = email or f"{username}@users.invalid"
    partners = _check_new_user(session, sm, username, password, role, partner_codes, email)
    user = sm.add_user(username, first_name or username, last_name or role, email,
                       sm.find_role(role), password=password, commit=False)
    if not user:
        session.rollback()
        raise DomainError(_("The user “%(name)s” could not be created.", name=username))
    for partner in partners:
        session.add(Membership(user_id=user.id, partner_id=partner.id, role=role))
    session.commit()
    return user


def reset_password(session, sm, user, password):
    """Set a new password (used when the demo instance reuses an existing database)."""
    problem = password_problem(password, user.username)
    if problem:
        raise DomainError(problem, field="password")
    sm.reset_password(user.id, password)
    session.commit()


def check_acting_user(session, sm, acting_username, role, partner_codes):
    """Apply the UI's rules for who may grant what (``iq user-add --by``)."""
    from app.security.scoping import scope_for_user
    from app.security.user_admin import check_grant

    acting = sm.find_user(username=acting_username)
    if acting is None or not acting.is_active:
        raise DomainError(_("Unknown or inactive user “%(name)s”.", name=acting_username), field="by")
    scope = scope_for_user(session, acting)
    ids = list(session.scalars(select(Partner.id).where(Partner.code.in_(list(partner_codes)))))
    check_grant(scope, role, ids)
