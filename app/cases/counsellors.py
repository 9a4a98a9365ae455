"""Who may be chosen as the counsellor of a contact: active counselling staff of the case's partner.

Management and PartnerAdmin memberships do not counsel; a case of partner X is counselled by Staff
of X. The membership query runs through the partner scope, so only partners of the current user
can ever contribute names. The case's partner travels on ``g`` for the form being built (views are
shared between requests).
"""
from flask import g
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import and_, or_, select

from app.core.forms import Select2Widget
from app.extensions import db
from app.security.models import Membership

COUNSELLING_ROLE = "Staff"


def set_form_partner(partner_id, keep=None):
    """The partner whose staff the counsellor select offers in this request; ``keep``: the record's
    current counsellor stays choosable (an edit must not drop it silently)."""
    g.iq_counsellor_partner = partner_id
    g.iq_counsellor_keep = keep


def counselling_staff(partner_id=None):
    """Active users with a Staff membership at the partner (default: the form's partner, else any
    partner in the current user's scope), by name."""
    if partner_id is None:
        partner_id = g.get("iq_counsellor_partner")
    members = select(Membership.user_id).where(Membership.role == COUNSELLING_ROLE)
    if partner_id is not None:
        members = members.where(Membership.partner_id == partner_id)
    offered = and_(User.active.is_(True), User.id.in_(members))
    keep = g.get("iq_counsellor_keep")
    if keep is not None:
        offered = or_(offered, User.id == keep)
    return db.session.query(User).filter(offered).order_by(User.last_name, User.first_name).all()


def default_counsellor():
    """The current user, if it is one of the counsellors offered."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((u for u in counselling_staff() if u.id == user.id), None)


def _label(user):
    return " ".join(part for part in (user.first_name, user.last_name) if part) or user.username


def counsellor_field(label, **kwargs):
    return QuerySelectField(label, query_func=counselling_staff, get_pk_func=lambda user: user.id,
                            get_label=_label, allow_blank=True, blank_text="—", widget=Select2Widget(),
                            **kwargs)
