from datetime import date

from app.cases.models import Case
from app.security.models import AuditEvent


def test_case_gets_period_from_opening_date_and_is_audited(factories, ctx):
    case = factories.case(opened_on=date(2012, 4, 2))
    assert case.funding_period.code == "2012"
    assert case.version == 1
    assert case.client.client_number.startswith("MIGR-")
    events = ctx.query(AuditEvent).filter_by(table_name="counselling_case").all()
    assert [e.action for e in events] == ["insert"]
    assert events[0].partner_id == case.partner_id
