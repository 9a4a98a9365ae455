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


def test_audit_records_ids_old_and_new_values(factories, ctx):
    client = factories.client(first_name="Olena")
    client.first_name = "Olha"
    ctx.commit()
    events = ctx.query(AuditEvent).filter_by(table_name="client", record_id=str(client.id)).order_by(AuditEvent.id).all()
    assert [e.action for e in events] == ["insert", "update"]
    assert events[0].new_values["first_name"] == "Olena"
    assert events[1].old_values == {"first_name": "Olena"} and events[1].new_values == {"first_name": "Olha"}
    assert all(e.actor == "system" for e in events)
