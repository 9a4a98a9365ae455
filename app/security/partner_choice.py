"""Which partners may this user pick? ``selectable_partners(kind)``, the one partner-choice policy
(DESIGN.md §6.12) behind every partner select of the application:

* ``write`` — the owning partner of a new record (client, case, training, funding forms; "Neue
  Beratung"; the import page): the partners where the user's membership role is Staff;
* ``admin`` — the partners whose memberships a user administration form may grant (PartnerAdmin);
* ``aggregate`` — the partner filter of dashboards and reports (Management or more).

Only active partners are offered for ``write`` and ``admin`` (no new records or memberships at a
partner that left the network; for records the model refuses them on every channel too,
``app.core.models.check_active_partner``); reading figures offers every partner of the set, active or not.
The network Admin (and an explicit system scope) gets all partners. The list is a choice, not the
check: ``owning_partner_id`` and the ``before_flush`` scope check decide on save.
"""
from sqlalchemy import select

_CREATING = {"write", "admin"}


def selectable_partners(kind="write", session=None):
    """The partners of ``kind`` (see the module's docstring) the current user may pick, by name."""
    from app.extensions import db
    from app.partners.models import Partner
    from app.security.scoping import current_scope

    ids = current_scope().ids_for(kind)
    query = select(Partner).order_by(Partner.name)
    if kind in _CREATING:
        query = query.where(Partner.active.is_(True))
    if ids is not None:
        if not ids:
            return []
        query = query.where(Partner.id.in_(sorted(ids)))
    return list((session or db.session).execute(query).scalars())
