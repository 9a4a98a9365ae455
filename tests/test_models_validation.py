"""Model-layer rules (shared by UI, API, CLI and import): accepted and refused cases."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.cases.models import Case, Contact
from app.clients.consent import Consent
from app.clients.models import Client
from app.core.errors import DomainError
from app.funding.models import Funding, FundingPeriod
from app.partners.models import Partner
from app.trainings.models import Training


def count(session, model):
    return session.execute(select(func.count()).select_from(model)).scalar()


def refused(session, build, match=None):
    """Building/flushing must raise DomainError and leave nothing behind."""
    with pytest.raises(DomainError) as info:
        obj = build()
        session.add(obj)
        session.flush()
    session.rollback()
    if match:
        assert match in str(info.value)
    return info.value


# Funding periods -------------------------------------------------------------------------------

def test_seeded_periods_are_valid_and_cover_the_programme(ctx):
    periods = ctx.execute(select(FundingPeriod).order_by(FundingPeriod.start)).scalars().all()
    assert [p.code for p in periods] == ["2011", "2012", "2013", "2014"]
    assert periods[0].start == date(2011, 7, 1) and periods[-1].end == date(2014, 12, 31)


def test_period_outside_programme_window_is_refused(ctx):
    refused(ctx, lambda: FundingPeriod(code="2015", name="2015", start=date(2015, 1, 1), end=date(2015, 12, 31)),
            "programme window")
    assert count(ctx, FundingPeriod) == 4


def test_period_ending_before_start_is_refused(ctx):
    period = ctx.execute(select(FundingPeriod).filter_by(code="2013")).scalar_one()
    period.end = date(2012, 12, 1)
    with pytest.raises(DomainError, match="after its start"):
        ctx.flush()
    ctx.rollback()


def test_overlapping_periods_are_refused(ctx):
    period = ctx.execute(select(FundingPeriod).filter_by(code="2013")).scalar_one()
    period.end = date(2014, 2, 1)
    with pytest.raises(DomainError, match="overlaps"):
        ctx.flush()
    ctx.rollback()
    assert ctx.execute(select(FundingPeriod.end).filter_by(code="2013")).scalar() == date(2013, 12, 31)


def test_programme_window_is_configurable(app, ctx):
    period_2015 = lambda: FundingPeriod(code="2015", name="2015", start=date(2015, 1, 1), end=date(2015, 12, 31))  # noqa: E731
    refused(ctx, period_2015, "programme window")  # the configured window ends in 2014
    app.config["PROGRAMME_END"] = date(2015, 12, 31)
    try:
        ctx.add(period_2015())
        ctx.flush()
        assert count(ctx, FundingPeriod) == 5  # accepted inside the widened window
        assert ctx.execute(select(FundingPeriod.end).filter_by(code="2015")).scalar() == date(2015, 12, 31)
    finally:
        ctx.rollback()
        app.config["PROGRAMME_END"] = date(2014, 12, 31)


# Partners --------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,message", [
    ("state", "BY", "Unknown value"),
    ("role", "boss", "Unknown value"),
    ("code", "Not Valid", "lower-case"),
    ("postcode", "1234", "five digits"),
    ("name", "x" * 201, "longer than"),
])
def test_partner_field_rules(ctx, field, value, message):
    values = dict(code="newpartner", name="Neuer Partner", city="Rostock", state="MV", role="partner")
    values[field] = value
    refused(ctx, lambda: Partner(**values), message)
    assert count(ctx, Partner) == 8


# Clients ---------------------------------------------------------------------------------------

def _client(factories, **fields):
    values = dict(first_name="Ana", last_name="Popescu", birth_date=date(1985, 2, 3), gender="female",
                  citizenship="RO")
    values.update(fields)

    def build():
        client = Client(partner=factories.partner("migra"), **values)
        client.consents.append(Consent(purpose="counselling", given_on=date(2013, 1, 2), text_version="2026-1",
                                       language="de", given_how="verbal"))
        return client

    return build


def test_valid_client_is_stored_with_normalised_country_and_number(ctx, factories):
    client = _client(factories, citizenship="ro")()
    ctx.add(client)
    ctx.commit()
    assert client.citizenship == "RO"
    assert client.client_number.startswith("MIGR-") and len(client.client_number) == 12
    assert client.version == 1


@pytest.mark.parametrize("fields,message", [
    (dict(gender="unknown"), "Unknown value"),
    (dict(citizenship="XX"), "ISO 3166"),
    (dict(citizenship=None), "required"),
    (dict(second_citizenship="ZZZ"), "ISO 3166"),
    (dict(birth_date=date.today() + timedelta(days=1)), "past"),
    (dict(birth_date=date(1850, 1, 1)), "plausible"),
    (dict(first_name=""), "required"),
    (dict(last_name="x" * 101), "longer than"),
    (dict(german_level="D1"), "Unknown value"),
    (dict(email="not-an-address"), "e-mail"),
    (dict(year_of_entry=1970, birth_date=date(1985, 1, 1)), "before the birth date"),
    (dict(last_name=None), "required"),
])
def test_client_rules(ctx, factories, fields, message):
    refused(ctx, _client(factories, **fields), message)
    assert count(ctx, Client) == 0


# Cases -----------------------------------------------------------------------------------------

def test_case_period_is_derived_and_status_follows_closing(ctx, factories):
    case = factories.case(opened_on=date(2011, 7, 1), closed_on=date(2011, 9, 1))
    assert case.funding_period.code == "2011"
    assert case.status == "closed"


def test_case_with_matching_period_given_is_accepted(ctx, factories):
    case = factories.case(opened_on=date(2014, 12, 31), funding_period=factories.period("2014"))
    assert case.funding_period.code == "2014"


@pytest.mark.parametrize("fields,message", [
    (dict(opened_on=date(2011, 6, 30)), "programme window"),
    (dict(opened_on=date(2015, 1, 1)), "programme window"),
    (dict(opened_on=date(2013, 5, 1), closed_on=date(2013, 4, 30)), "closed before"),
    (dict(outcome="won"), "Unknown value"),
    (dict(enquirer="alien"), "Unknown value"),
    (dict(qualification_type="phd"), "Unknown value"),
    (dict(qualification_country="QQ"), "ISO 3166"),
    (dict(qualification_year=2020), "not plausible"),
    (dict(qualification_title="t" * 301), "longer than"),
])
def test_case_rules(ctx, factories, fields, message):
    client = factories.client()
    values = dict(opened_on=date(2013, 5, 1))
    values.update(fields)
    refused(ctx, lambda: Case(partner=client.partner, client=client, **values), message)
    assert count(ctx, Case) == 0


def test_case_with_wrong_period_is_refused(ctx, factories):
    client = factories.client()
    refused(ctx, lambda: Case(partner=client.partner, client=client, opened_on=date(2013, 5, 1),
                              funding_period=factories.period("2012")), "2013")


@pytest.mark.parametrize("birth,message", [(date(2000, 1, 1), "15 to 80"), (date(1930, 1, 1), "15 to 80")])
def test_case_client_age_must_be_plausible(ctx, factories, birth, message):
    client = factories.client(birth_date=birth)
    refused(ctx, lambda: Case(partner=client.partner, client=client, opened_on=date(2013, 5, 1)), message)


def test_case_cannot_reference_another_partners_client(ctx, factories):
    client = factories.client(partner="genres")
    refused(ctx, lambda: Case(partner=factories.partner("migra"), client=client, opened_on=date(2013, 5, 1)),
            "another partner")


def test_version_increments_on_update(ctx, factories):
    case = factories.case()
    case.notes = "Termin vereinbart"
    ctx.commit()
    assert case.version == 2


# Contacts, trainings, funding ------------------------------------------------------------------

def test_contact_takes_partner_from_case_and_respects_dates(ctx, factories):
    case = factories.case(opened_on=date(2013, 3, 1))
    contact = factories.contact(case, date=date(2013, 3, 8), kind="follow_up", channel="phone")
    assert contact.partner_id == case.partner_id
    refused(ctx, lambda: Contact(case=case, date=date(2013, 2, 1), kind="follow_up", channel="phone"),
            "before the case")
    refused(ctx, lambda: Contact(case=case, date=date(2013, 3, 9), kind="visit", channel="phone"), "Unknown value")
    refused(ctx, lambda: Contact(case=case, date=date(2013, 3, 9), kind="follow_up", channel="phone",
                                 minutes=900), "600 minutes")


def test_training_rules(ctx, factories):
    training = factories.training(date=date(2012, 10, 10))
    assert training.funding_period.code == "2012"
    assert training.participants == 13
    partner = factories.partner("migra")
    refused(ctx, lambda: Training(partner=partner, date=date(2010, 1, 1), title="x",
                                  target_institution="jobcenter"), "programme window")
    refused(ctx, lambda: Training(partner=partner, date=date(2012, 1, 1), title="x",
                                  target_institution="school"), "Unknown value")
    refused(ctx, lambda: Training(partner=partner, date=date(2012, 1, 1), title="x",
                                  target_institution="jobcenter", participants_male=-1), "between 0 and 1000")


def test_funding_rules(ctx, factories):
    funding = factories.funding(funder="BA")
    assert str(funding.planned_amount) == "100000.00"
    partner, period = factories.partner("migra"), factories.period("2013")
    refused(ctx, lambda: Funding(partner=partner, funding_period=period, funder="EU"), "Unknown value")
    refused(ctx, lambda: Funding(partner=partner, funding_period=period, funder="BMBF", planned_amount=-5),
            "negative")


def test_closed_period_freezes_its_records_except_for_admin(ctx, factories):
    from app.security.scoping import partner_scope

    case = factories.case(opened_on=date(2012, 3, 1))
    training = factories.training(date=date(2012, 5, 5))
    period = factories.period("2012")
    period.closed = True
    ctx.commit()
    try:
        with partner_scope([case.partner_id]):
            case.notes = "late change"
            with pytest.raises(DomainError, match="closed"):
                ctx.flush()
            ctx.rollback()
            with pytest.raises(DomainError, match="closed"):
                ctx.add(Contact(case=case, date=date(2012, 3, 5), kind="follow_up", channel="phone"))
                ctx.flush()
            ctx.rollback()
            with pytest.raises(DomainError, match="closed"):
                ctx.delete(training)
                ctx.flush()
            ctx.rollback()
            with pytest.raises(DomainError, match="closed"):
                client = factories.client(commit=False)
                ctx.add(Case(partner=client.partner, client=client, opened_on=date(2012, 6, 1)))
                ctx.flush()
            ctx.rollback()
        # Admin (here: the system scope) may still correct a reported period.
        case.notes = "correction by admin"
        ctx.commit()
        assert case.version == 2
    finally:
        ctx.rollback()
        period = factories.period("2012")
        period.closed = False
        ctx.commit()
