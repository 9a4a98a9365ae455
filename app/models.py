"""Every model of the application, imported in one place for the mapper registry and Alembic."""
from flask_appbuilder.security.sqla.models import User  # noqa: F401

from app.catalogues.models import CompetentBody, Country, ReferenceOccupation  # noqa: F401
from app.cases.models import Case, Contact  # noqa: F401
from app.clients.consent import Consent, ConsentText  # noqa: F401
from app.clients.erasure import ErasureRequest  # noqa: F401
from app.clients.models import Client  # noqa: F401
from app.funding.models import Funding, FundingPeriod  # noqa: F401
from app.partners.models import Partner  # noqa: F401
from app.referrals.models import Referral, ReferralIntake, ReferralPayload  # noqa: F401
from app.reports.models import SummaryTally  # noqa: F401
from app.security.models import AccessLogEntry, AuditEvent, Membership  # noqa: F401
from app.trainings.models import Training  # noqa: F401

import app.security.audit  # noqa: F401,E402  (registers the audit hook)
import app.security.sessions  # noqa: F401,E402  (ab_user.security_stamp and its rotation)
import app.security.scoping  # noqa: F401,E402  (registers the partner scope)
import app.clients.retention  # noqa: F401,E402  (keeps delete_after current)
