"""User administration per partner: Admins for the network, PartnerAdmins for their own partners.

Roles are per partner membership. The form lists the user's memberships as pairs of partner and
role, offering only the pairs the acting user may hand out: a PartnerAdmin Staff and Management at
its own partners. Memberships elsewhere are neither shown as choices nor changed, and the account
itself (name, e-mail, active, password) of a user who also belongs to another partner stays as it
is (``app.security.accounts``, shared with the CLI's ``iq user-add --by``).
"""
from flask import abort, current_app, g
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, Select2ManyWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.validators import PasswordComplexityValidator, Unique
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import PasswordField, SelectMultipleField, ValidationError
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, EqualTo

from app.core.enums import MEMBERSHIP_ROLES
from app.core.views import IqModelView
from app.extensions import db
from app.security.partner_choice import selectable_partners
from app.security.accounts import (NETWORK_ADMIN, TAKEN_MESSAGE, changed_account_fields, check_account_change,
                                   check_grant, choice_value, grantable_roles, memberships_of, name_taken,
                                   parse_choices, set_memberships)
from app.security.models import Membership
from app.security.passwords import hash_password
from app.security.roles import ADMIN_ROLES, ROLE_LABELS, USERS
from app.security.scoping import current_scope

__all__ = ["check_grant", "grantable_roles", "PartnerUserView", "COUNSELLOR_CHOICES"]


class UsersInScope(BaseFilter):
    """Admins see every user; a PartnerAdmin the users with a membership at one of its partners,
    except network Admins and its fellow PartnerAdmins (those are the network Admin's)."""

    name = "in scope"

    def apply(self, query, value):
        scope = current_scope()
        if scope.is_admin:
            return query
        ids = sorted(scope.admin_ids or ())
        members = select(Membership.user_id).where(Membership.partner_id.in_(ids))
        peers = members.where(Membership.role.in_(ADMIN_ROLES))
        role_model = current_app.appbuilder.sm.role_model
        return query.filter(User.id.in_(members), User.id.notin_(peers),
                            ~User.roles.any(role_model.name == "Admin"))


class MembersOfMyPartners(BaseFilter):
    """Counsellor choices: the users who belong to the current user's partners (Membership is scoped)."""

    name = "members"

    def apply(self, query, value):
        scope = current_scope()
        members = select(Membership.user_id)  # restricted by the partner scope hook
        if scope.write_ids is not None:
            members = members.where(Membership.partner_id.in_(sorted(scope.write_ids)))
        return query.filter(User.active.is_(True), User.id.in_(members))


COUNSELLOR_CHOICES = [["id", MembersOfMyPartners, None]]


def _administered_partners():
    return selectable_partners("admin")


def _default_memberships():
    """A PartnerAdmin of one partner gets Staff there preselected (never Admin by default)."""
    scope = current_scope()
    if scope.is_admin or scope.admin_ids is None or len(scope.admin_ids) != 1:
        return []
    return [choice_value(next(iter(scope.admin_ids)), "Staff")]


def _membership_choices():
    """The pairs of partner and role the acting user may hand out."""
    scope = current_scope()
    roles = [role for role in grantable_roles(scope) if role != "Admin"]
    choices = [(NETWORK_ADMIN, _("Whole network – %(role)s", role=ROLE_LABELS["Admin"]))] if scope.is_admin else []
    for partner in _administered_partners():
        choices += [(choice_value(partner.id, role), f"{partner.name} – {MEMBERSHIP_ROLES.label(role)}")
                    for role in roles]
    return choices


class FreeAccountName:
    """User name and e-mail address must be free, checked case-insensitively; the refusal does not
    say which (or whose) account has it, so that nobody learns other partners' users."""

    def __init__(self, column):
        self.column = column

    def __call__(self, form, field):
        exclude = getattr(form, "_id", None)
        if name_taken(db.session, current_app.appbuilder.sm.user_model, self.column, field.data, exclude):
            raise ValidationError(str(TAKEN_MESSAGE))


class PartnerUserView(IqModelView):
    datamodel = SQLAInterface(User)
    route_base = "/partnerusers"
    class_permission_name = USERS
    include_route_methods = {"list", "show", "add", "edit"}
    base_filters = [["id", UsersInScope, lambda: None]]
    base_order = ("username", "asc")
    show_template = "security/user_show.html"  # the "View as" button (app/security/view_as.py)

    list_title = _l("Users")
    show_title = _l("User")
    add_title = _l("New user")
    edit_title = _l("Edit user")

    label_columns = {
        "username": _l("User name"), "first_name": _l("First name"), "last_name": _l("Last name"),
        "email": _l("E-mail"), "active": _l("Active"), "role_labels": _l("Role"),
        "membership_labels": _l("Roles per partner"), "password": _l("Password"),
        "conf_password": _l("Confirm password"), "membership_set": _l("Roles per partner"),
        "last_login": _l("Last login"),
    }
    description_columns = {
        "membership_set": _l("The user's role at each of your partners. Its memberships at other partners stay "
                             "as they are."),
    }
    list_columns = ["username", "first_name", "last_name", "membership_labels", "active"]
    show_columns = ["username", "first_name", "last_name", "email", "role_labels", "membership_labels",
                    "active", "last_login"]
    search_columns = ["username", "first_name", "last_name", "email", "active"]
    add_columns = ["username", "first_name", "last_name", "email", "membership_set", "active",
                   "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "email", "membership_set", "active"]

    _extra = {
        "membership_set": SelectMultipleField(_l("Roles per partner"), choices=_membership_choices,
                                              validate_choice=False, widget=Select2ManyWidget(),
                                              default=_default_memberships),
    }
    add_form_extra_fields = dict(_extra, **{
        "password": PasswordField(_l("Password"), validators=[DataRequired(), PasswordComplexityValidator()],
                                  widget=BS3PasswordFieldWidget()),
        "conf_password": PasswordField(_l("Confirm password"), widget=BS3PasswordFieldWidget(),
                                       validators=[DataRequired(),
                                                   EqualTo("password", message=_l("Passwords must match"))]),
    })
    edit_form_extra_fields = _extra
    form_only_fields = ("conf_password",)

    def _init_forms(self):
        """FAB's ``Unique`` validators say "Already exists." per field: replaced by one check for both
        fields with one message that discloses nothing about the existing account."""
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for name in ("username", "email"):
                unbound = getattr(form, name, None)
                if isinstance(unbound, UnboundField):
                    validators = [v for v in unbound.kwargs.get("validators", []) if not isinstance(v, Unique)]
                    unbound.kwargs["validators"] = validators + [FreeAccountName(name)]

    @staticmethod
    def record_label(item):
        return item.username

    def prefill_form(self, form, pk):
        user = self.datamodel.get(pk, self._base_filters)
        if user is None:
            abort(404)
        offered = {value for value, _label in _membership_choices()}
        values = [choice_value(m.partner_id, m.role) for m in memberships_of(db.session, user.id)]
        if any(role.name == "Admin" for role in user.roles):
            values.append(NETWORK_ADMIN)
        form.membership_set.data = [value for value in values if value in offered]

    def pre_add(self, item):
        item.password = hash_password(item.password)
        item.created_by_fk = g.user.id
        self._apply(item)

    def pre_update(self, item):
        scope = current_scope()
        check_account_change(db.session, scope, item, changed_account_fields(item))
        item.changed_by_fk = g.user.id
        self._apply(item)

    def _apply(self, item):
        pairs, network_admin = parse_choices(getattr(item, "membership_set", None))
        set_memberships(db.session, item, pairs, current_scope(), network_admin=network_admin)


def _role_labels(self):
    return ", ".join(str(ROLE_LABELS.get(r.name, r.name)) for r in self.roles)


def _membership_labels(self):
    """The memberships the viewer may see (the relationship load is partner-scoped)."""
    return ", ".join(sorted(str(m) for m in self.memberships))


User.role_labels = property(_role_labels)
User.membership_labels = property(_membership_labels)
