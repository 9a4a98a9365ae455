"""User administration per partner: Admins for the network, PartnerAdmins for their own partners.

A PartnerAdmin sees only users who belong to its partners and hold Staff or Management, and can
hand out only those two roles for its own partners (never Admin, never another partner). The same
rules serve the CLI (``iq user-add``) through ``grantable_roles``/``check_grant``.
"""
from flask import abort, current_app, g
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, Select2ManyWidget, Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Optional

from app.core.errors import DomainError, ScopeError
from app.core.views import IqModelView
from app.extensions import db
from app.partners.models import Partner
from app.security.models import Membership
from app.security.passwords import hash_password
from app.security.roles import ROLE_LABELS, USERS
from app.security.scoping import current_scope, log_denied

PARTNER_ROLES = ("PartnerAdmin", "Staff", "Management")


def grantable_roles(scope):
    """Roles the acting scope may hand out."""
    if scope.is_admin:
        return ("Admin",) + PARTNER_ROLES
    if "PartnerAdmin" in scope.roles:
        return ("Staff", "Management")
    return ()


def check_grant(scope, role, partner_ids):
    """Refuse a role or partner the acting user may not hand out; nothing is changed then."""
    if role not in grantable_roles(scope):
        raise DomainError(_l("You may not hand out the role %(role)s.", role=role), field="role_name")
    if role != "Admin" and not partner_ids:
        raise DomainError(_l("Choose at least one partner for this role."), field="partner_set")
    outside = [pid for pid in partner_ids if not scope.allows(pid)]
    if outside:
        log_denied("Partner", outside[0])
        raise DomainError(_l("You may only assign your own partners."), field="partner_set")


def set_role_and_partners(user, role, partner_ids, scope):
    """Replace the user's role and its memberships within the acting scope."""
    check_grant(scope, role, partner_ids)
    db.session.add(user)  # a new user joins the session before its role and memberships do
    sm = current_app.appbuilder.sm
    user.roles = [sm.find_role(role)]
    for membership in list(user.memberships):
        if scope.allows(membership.partner_id):
            user.memberships.remove(membership)
    db.session.flush()
    if role != "Admin":
        for pid in sorted(set(partner_ids)):
            user.memberships.append(Membership(partner_id=pid, role=role))


class UsersInScope(BaseFilter):
    """Admins see every user; PartnerAdmins the Staff/Management users of their partners."""

    name = "in scope"

    def apply(self, query, value):
        scope = current_scope()
        if scope.is_admin:
            return query
        members = select(Membership.user_id)  # restricted by the partner scope hook
        if scope.partner_ids is not None:
            members = members.where(Membership.partner_id.in_(scope.partner_ids))
        return query.filter(User.id.in_(members)).filter(
            ~User.roles.any(current_app.appbuilder.sm.role_model.name.notin_(("Staff", "Management")))
        )


class MembersOfMyPartners(BaseFilter):
    """Counsellor choices: the users who belong to the current user's partners (Membership is scoped)."""

    name = "members"

    def apply(self, query, value):
        return query.filter(User.active.is_(True), User.id.in_(select(Membership.user_id)))


COUNSELLOR_CHOICES = [["id", MembersOfMyPartners, None]]


def _partners_in_scope():
    scope = current_scope()
    query = db.session.query(Partner).filter(Partner.active.is_(True)).order_by(Partner.name)
    if scope.partner_ids is not None:
        query = query.filter(Partner.id.in_(scope.partner_ids or [-1]))
    return query.all()


def _single_partner():
    """A PartnerAdmin of one partner gets that partner preselected."""
    partners = _partners_in_scope()
    return partners if len(partners) == 1 else []


def _role_choices():
    return [(name, str(ROLE_LABELS[name])) for name in grantable_roles(current_scope())]


class PartnerUserView(IqModelView):
    datamodel = SQLAInterface(User)
    route_base = "/partnerusers"
    class_permission_name = USERS
    include_route_methods = {"list", "show", "add", "edit"}
    base_filters = [["id", UsersInScope, lambda: None]]
    base_order = ("username", "asc")

    list_title = _l("Users")
    show_title = _l("User")
    add_title = _l("New user")
    edit_title = _l("Edit user")

    label_columns = {
        "username": _l("User name"), "first_name": _l("First name"), "last_name": _l("Last name"),
        "email": _l("E-mail"), "active": _l("Active"), "role_labels": _l("Role"),
        "partner_names": _l("Partners"), "password": _l("Password"),
        "conf_password": _l("Confirm password"), "role_name": _l("Role"), "partner_set": _l("Partners"),
        "last_login": _l("Last login"),
    }
    list_columns = ["username", "first_name", "last_name", "role_labels", "partner_names", "active"]
    show_columns = ["username", "first_name", "last_name", "email", "role_labels", "partner_names",
                    "active", "last_login"]
    search_columns = ["username", "first_name", "last_name", "email", "active"]
    add_columns = ["username", "first_name", "last_name", "email", "role_name", "partner_set", "active",
                   "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "email", "role_name", "partner_set", "active"]

    _extra = {
        "role_name": SelectField(_l("Role"), choices=_role_choices, validators=[DataRequired()],
                                 widget=Select2Widget(), default="Staff"),  # never Admin by default
        "partner_set": QuerySelectMultipleField(_l("Partners"), query_func=_partners_in_scope,
                                                get_pk_func=lambda p: p.id, get_label="name",
                                                widget=Select2ManyWidget(),
                                                validators=[Optional()], default=_single_partner),
    }
    add_form_extra_fields = dict(_extra, **{
        "password": PasswordField(_l("Password"), validators=[DataRequired(), PasswordComplexityValidator()],
                                  widget=BS3PasswordFieldWidget()),
        "conf_password": PasswordField(_l("Confirm password"), widget=BS3PasswordFieldWidget(),
                                       validators=[DataRequired(),
                                                   EqualTo("password", message=_l("Passwords must match"))]),
    })
    edit_form_extra_fields = _extra

    def prefill_form(self, form, pk):
        user = self.datamodel.get(pk, self._base_filters)
        if user is None:
            abort(404)
        form.role_name.data = user.roles[0].name if user.roles else None
        form.partner_set.data = [m.partner for m in user.memberships]

    def pre_add(self, item):
        item.password = hash_password(item.password)
        item.created_by_fk = g.user.id
        self._apply(item)

    def pre_update(self, item):
        if not current_scope().is_admin and any(r.name not in ("Staff", "Management") for r in item.roles):
            raise ScopeError("user outside scope")
        item.changed_by_fk = g.user.id
        self._apply(item)

    def _apply(self, item):
        partner_ids = [p.id for p in (item.partner_set or [])]
        set_role_and_partners(item, item.role_name, partner_ids, current_scope())


def _role_labels(self):
    return ", ".join(str(ROLE_LABELS.get(r.name, r.name)) for r in self.roles)


def _partner_names(self):
    return ", ".join(sorted({str(m.partner) for m in self.memberships}))


User.role_labels = property(_role_labels)
User.partner_names = property(_partner_names)
