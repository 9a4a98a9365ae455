"""`flask iq demo`: deterministic, valid synthetic data in the requested amounts."""
import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select, text

from app.cases.models import Case, Contact
from app.clients.consent import has_consent
from app.clients.models import Client
from app.funding.models import Funding
from app.security.models import AuditEvent
from app.trainings.models import Training


def _demo(app, *args):
    return app.test_cli_runner().invoke(args=["iq", "demo", *args])


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def _checksum(session):
    """A digest over the generated content (not the ids, which depend on the table's history)."""
    digest = hashlib.sha256()
    for row in session.execute(text(
        "SELECT c.client_number, c.first_name, c.last_name, c.birth_date, c.gender, c.citizenship,"
        " k.opened_on, k.closed_on, k.outcome, k.reference_occupation_id, k.qualification_country"
        " FROM counselling_case k JOIN client c ON c.id = k.client_id ORDER BY k.id"
    )):
        digest.update(repr(tuple(str(v) for v in row)).encode())
    for row in session.execute(text("SELECT date, kind, channel, minutes FROM contact ORDER BY id")):
        digest.update(repr(tuple(str(v) for v in row)).encode())
    return digest.hexdigest()


def _wipe(session):
    for table in ("audit_event", "contact", "counselling_case", "consent", "client", "training", "funding"):
        session.execute(text(f"DELETE FROM {table}"))
    session.commit()


def test_demo_loads_the_requested_amounts(app, ctx):
    result = _demo(app, "--clients", "40", "--cases", "100", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert _count(ctx, Client) == 40
    assert _count(ctx, Case) == 100
    contacts = _count(ctx, Contact)
    assert 100 <= contacts <= 400
    first_contacts = ctx.scalar(select(func.count()).select_from(Contact).where(Contact.kind == "first_contact"))
    assert first_contacts == 100
    assert _count(ctx, Funding) == 8 * 4 * 3
    assert _count(ctx, Training) >= 8 * 4
    # Every client has a case when there are at least as many cases as clients.
    assert ctx.scalar(select(func.count(func.distinct(Case.client_id)))) == 40
    # The load itself is audited once, not row by row.
    events = ctx.scalars(select(AuditEvent).where(AuditEvent.actor == "iq demo")).all()
    assert [(e.table_name, e.record_id) for e in events] == [("demo_data", "seed=3")]
    assert events[0].new_values["cases"] == 100


def test_demo_is_deterministic(app, ctx):
    assert _demo(app, "--clients", "30", "--cases", "60", "--seed", "7").exit_code == 0
    first = _checksum(ctx)
    _wipe(ctx)
    assert _demo(app, "--clients", "30", "--cases", "60", "--seed", "7").exit_code == 0
    assert _checksum(ctx) == first
    _wipe(ctx)
    assert _demo(app, "--clients", "30", "--cases", "60", "--seed", "8").exit_code == 0
    assert _checksum(ctx) != first


def _age(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_demo_data_keeps_every_model_rule(app, ctx):
    assert _demo(app, "--clients", "120", "--cases", "300", "--seed", "11").exit_code == 0
    cases = ctx.scalars(select(Case)).unique().all()
    partners, genders = set(), set()
    for case in cases:
        period = case.funding_period
        assert period.start <= case.opened_on <= period.end
        assert date(2011, 7, 1) <= case.opened_on <= date(2014, 12, 31)
        assert case.client.partner_id == case.partner_id
        assert 15 <= _age(case.client.birth_date, case.opened_on) <= 80
        assert (case.status == "closed") == (case.closed_on is not None)
        assert case.closed_on is None or case.closed_on >= case.opened_on
        assert case.version == 1 and case.created_at is not None and case.updated_at >= case.created_at
        if case.reference_occupation is not None:
            occupation = case.reference_occupation
            assert case.regulated == occupation.regulated
            assert case.legal_basis == occupation.legal_basis
            body = occupation.competent_body_for(case.partner.state)
            assert case.competent_body_id == (body.id if body else None)
        kinds = sorted(c.kind for c in case.contacts)
        assert kinds.count("first_contact") == 1 and len(kinds) <= 4
        assert all(c.date >= case.opened_on and c.partner_id == case.partner_id for c in case.contacts)
        case.validate()  # the model's own rules accept the generated row
        partners.add(case.partner.code)
        genders.add(case.client.gender)
    assert len(partners) == 8
    assert {"female", "male"} <= genders
    for model in (Client, Contact, Training):
        for obj in ctx.scalars(select(model)).unique():
            obj.validate()
    # Names only with the counselling consent; the anonymous clients hold only statistical fields.
    clients = ctx.scalars(select(Client)).unique().all()
    anonymous = [c for c in clients if c.anonymous]
    assert 0 < len(anonymous) < len(clients)
    for person in clients:
        if person.anonymous:
            assert (person.phone, person.email, person.district, person.consents) == (None, None, None, [])
        else:
            assert has_consent(person, "counselling") and person.consents[0].partner_id == person.partner_id
            assert all(person.consents[0].given_on <= case.opened_on for case in person.cases)
    numbers = ctx.execute(select(Client.partner_id, Client.client_number)).all()
    assert len(numbers) == len(set(numbers))
    for training in ctx.scalars(select(Training)).unique():
        assert training.funding_period.start <= training.date <= training.funding_period.end
    assert not ctx.dirty  # validate() found nothing to correct


def test_demo_refuses_to_load_twice(app, ctx):
    assert _demo(app, "--clients", "10", "--cases", "20").exit_code == 0
    again = _demo(app, "--clients", "10", "--cases", "20")
    assert again.exit_code != 0
    assert "client: 10" in again.output
    assert _count(ctx, Client) == 10 and _count(ctx, Case) == 20


@pytest.mark.parametrize("args", [["--clients", "0"], ["--cases", "-1"]])
def test_demo_refuses_impossible_amounts(app, ctx, args):
    result = _demo(app, *args)
    assert result.exit_code != 0
    assert _count(ctx, Client) == 0
