"""What a report covers: period, partners, state and cut-off date, resolved against the partner scope.

The request names partners by code; a code outside the user's partners is answered like an unknown
one (404), so a report never tells anybody that another partner exists or what it did.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, NotFound

from app.core.enums import STATES
from app.core.models import format_date, programme_window
from app.funding.models import FundingPeriod
from app.partners.models import Partner
from app.security.scoping import current_scope


@dataclass(frozen=True)
class ReportScope:
    period: FundingPeriod | None
    partners: tuple  # the Partner rows the report covers, ordered by state and name
    state: str | None
    start: date
    end: date  # the last day counted: the period end or the cut-off date, whichever is earlier
    cutoff: date
    network_wide: bool  # no partner restriction is needed in SQL (all partners, unrestricted user)

    @property
    def partner_ids(self):
        return tuple(partner.id for partner in self.partners)

    @property
    def several_partners(self):
        return len(self.partners) > 1

    def describe(self):
        """One line for headers and footers: period, state, partner(s), cut-off date."""
        parts = [self.period.name if self.period else _("All funding periods")]
        if self.state:
            parts.append(STATES.label(self.state))
        if len(self.partners) == 1:
            parts.append(self.partners[0].name)
        elif not self.network_wide or self.state:
            parts.append(_("%(n)s partners", n=len(self.partners)))
        else:
            parts.append(_("whole network"))
        parts.append(_("cut-off date %(day)s", day=format_date(self.cutoff)))
        return " · ".join(parts)

    def filter(self, partner_column, date_column):
        """WHERE criteria for a partner-owned table; the ORM scope restricts it further."""
        criteria = [date_column >= self.start, date_column <= self.end]
        if not self.network_wide:
            criteria.append(partner_column.in_(self.partner_ids))
        return criteria


def resolve_scope(session, period="all", partner="all", state="all", cutoff=None):
    """Build the ReportScope from request parameters; unknown or foreign codes answer 404."""
    user_scope = current_scope(session)
    period = (period or "all").strip()
    partner = (partner or "all").strip()
    state = (state or "all").strip().upper()
    if state == "ALL":
        state = None
    elif state not in STATES:
        raise NotFound()

    found_period = None
    if period != "all":
        found_period = session.execute(select(FundingPeriod).where(FundingPeriod.code == period)).scalar()
        if found_period is None:
            raise NotFound()

    query = select(Partner).order_by(Partner.state, Partner.name)
    if partner != "all":
        query = query.where(Partner.code == partner)
    if state:
        query = query.where(Partner.state == state)
    partners = tuple(p for p in session.execute(query).scalars() if user_scope.allows(p.id))
    if partner != "all" and not partners:
        raise NotFound()

    first, last = programme_window()
    start, end = (found_period.start, found_period.end) if found_period else (first, last)
    if cutoff:
        try:
            cutoff = date.fromisoformat(cutoff)
        except ValueError:
            raise BadRequest(_("The cut-off date must be given as YYYY-MM-DD."))
    else:
        cutoff = min(date.today(), end)
    network_wide = user_scope.unrestricted and partner == "all" and state is None
    return ReportScope(found_period, partners, state, start, min(end, cutoff), cutoff, network_wide)
