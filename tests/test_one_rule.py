"""One rule per business fact (issue 9): the same rule, driven through every channel that writes —
the client form and the case form (UI, Flask test client with CSRF), the quick entry "Neue Beratung",
the REST API (JWT), the import page (app/transfer) and ``iq import`` (CLI) — gives the same outcome and
the same message."""
import io
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.clients.models import Client
from app.partners.models import Partner
from tests.api_support import STAFF
from tests.conftest import post_form
from tests.transfer_files import csv_bytes, row

CHANNELS = ["ui", "entry", "api", "import", "cli"]
BIRTH = date(1980, 5, 17)
CONSENT_FORM = {"counselling_consent": "y", "consent_text_version": "2026-1", "consent_given_how": "signed_form"}
API_CONSENT = [{"purpose": "counselling", "given_on": "2013-03-14", "given_how": "signed_form"}]


def _migra(ctx):
    return ctx.execute(select(Partner.id).where(Partner.code == "migra")).scalar()


class Channel:
    """Writes a new client (with a case where the channel always makes one) through one channel and
    answers (written?, the page's or answer's text)."""

    def __init__(self, name, client, ctx, login_as, api_token, app, tmp_path):
        self.name, self.client, self.ctx, self.app, self.tmp_path = name, client, ctx, app, tmp_path
        if name == "api":
            self.headers = api_token(*STAFF)
        elif name != "cli":
            login_as(*STAFF)

    def new_client(self, first, last, born, opened="14.03.2013", confirm=False):
        if self.name == "ui":
            response = post_form(self.client, "/clientview/add", {
                "first_name": first, "last_name": last, "birth_date": born.isoformat(), "gender": "female",
                "citizenship": "SY", "counselling_language": "ar", **CONSENT_FORM,
                **({"create_anyway": "y"} if confirm else {})})
            return response.status_code == 302, unescape(response.get_data(as_text=True))
        if self.name == "entry":
            response = post_form(self.client, "/entry/", {
                "opened_on": opened, "channel": "phone", "first_name": first, "last_name": last,
                "birth_date": born.strftime("%d.%m.%Y"), "gender": "female", "citizenship": "SY",
                "counselling_language": "ar", **CONSENT_FORM, **({"create_anyway": "y"} if confirm else {})})
            return response.status_code == 302, unescape(response.get_data(as_text=True))
        if self.name == "api":
            payload = {"first_name": first, "last_name": last, "birth_date": born.isoformat(), "gender": "female",
                       "citizenship": "SY", "consents": API_CONSENT, **({"create_anyway": True} if confirm else {})}
            response = self.client.post("/api/v1/client/", json=payload, headers=self.headers)
            return response.status_code == 201, (response.get_json() or {}).get("message", "")
        values = row(1, Vorname=first, Nachname=last, Geburtsdatum=born.strftime("%d.%m.%Y"), Beratungsbeginn=opened,
                     **({"Trotzdem anlegen": "ja"} if confirm else {}))
        data = csv_bytes([values])
        if self.name == "import":
            response = post_form(self.client, "/import/", {
                "partner": str(_migra(self.ctx)), "action": "import", "upload": (io.BytesIO(data), "cases.csv")},
                content_type="multipart/form-data")
            html = unescape(response.get_data(as_text=True))
            return 'id="import-done"' in html, html
        path = self.tmp_path / "cases.csv"
        path.write_bytes(data)
        result = self.app.test_cli_runner().invoke(args=["iq", "import", str(path), "--partner", "migra"])
        return result.exit_code == 0, result.output


    def new_case(self, person, opened):
        """A case for an existing client opened on ``opened`` (dd.mm.yyyy); the quick entry, the import
        and the CLI record a new client with it (their way of opening a case)."""
        if self.name == "ui":
            response = post_form(self.client, "/caseview/add", {"client": str(person.id), "opened_on": opened,
                                                                "outcome": "application_help"})
            return response.status_code == 302, unescape(response.get_data(as_text=True))
        if self.name == "api":
            day, month, year = opened.split(".")
            response = self.client.post("/api/v1/case/", json={"client": person.id, "opened_on": f"{year}-{month}-{day}"},
                                        headers=self.headers)
            return response.status_code == 201, (response.get_json() or {}).get("message", "")
        return self.new_client("Olena", "Kovalenko", date(1979, 1, 2), opened=opened)


@pytest.fixture
def channel(request, client, ctx, login_as, api_token, app, tmp_path):
    return Channel(request.param, client, ctx, login_as, api_token, app, tmp_path)


def _clients_born(ctx, day):
    ctx.rollback()
    return ctx.execute(select(Client).where(Client.birth_date == day)).scalars().all()


# --- a likely duplicate client is refused unless confirmed (app/clients/duplicates.check_new_client) --

@pytest.mark.parametrize("channel", CHANNELS, indirect=True)
def test_a_likely_duplicate_is_refused_with_the_same_message_unless_confirmed(channel, ctx, factories, app):
    from app.clients.duplicates import duplicate_message

    existing = factories.client(first_name="Amina", last_name="Haddad", birth_date=BIRTH)
    # Loaded here, in the factories' scope: inside a bare request context no user is logged in, so on
    # PostgreSQL row-level security would hide the row from a reload.
    (existing.id, existing.client_number, existing.last_name, existing.first_name, existing.birth_date)
    with app.test_request_context():
        expected = duplicate_message([existing])

    written, text = channel.new_client("Amina", "Hadad", BIRTH)
    assert not written and expected in text, text[-2000:]
    assert [c.id for c in _clients_born(ctx, BIRTH)] == [existing.id]

    written, text = channel.new_client("Amina", "Hadad", BIRTH, confirm=True)
    assert written, text[-2000:]
    assert len(_clients_born(ctx, BIRTH)) == 2


@pytest.mark.parametrize("channel", CHANNELS, indirect=True)
def test_another_person_is_not_a_duplicate(channel, ctx, factories):
    factories.client(first_name="Amina", last_name="Haddad", birth_date=BIRTH)
    written, text = channel.new_client("Olena", "Kovalenko", BIRTH)
    assert written, text[-2000:]
    assert len(_clients_born(ctx, BIRTH)) == 2


# --- the funding period follows the opening date (app/funding/periods.PeriodBound) ---------------

@pytest.mark.parametrize("channel", ["entry", "import", "cli"], indirect=True)
def test_a_new_case_gets_the_period_of_its_opening_date(channel, ctx):
    written, text = channel.new_client("Amina", "Haddad", BIRTH, opened="02.05.2012")
    assert written, text[-2000:]
    ctx.rollback()
    [case] = ctx.execute(select(Case)).scalars().all()
    assert (case.opened_on, case.funding_period.code) == (date(2012, 5, 2), "2012")


@pytest.mark.parametrize("channel", CHANNELS, indirect=True)
def test_a_case_outside_the_programme_window_is_refused_alike_and_one_inside_lands_in_its_period(channel, ctx,
                                                                                              factories):
    """Case form, quick entry, API, import page and ``iq import``: the same window rule (Case.validate)
    with the same message, nothing written; the same write a day earlier is accepted in period 2014."""
    person = factories.client(first_name="Amina", last_name="Haddad", birth_date=BIRTH)
    written, text = channel.new_case(person, "02.01.2015")
    assert not written
    assert "The date 02.01.2015 lies outside the programme window 01.07.2011 – 31.12.2014." in text, text[-2000:]
    ctx.rollback()
    assert ctx.execute(select(Case)).scalars().all() == []
    written, text = channel.new_case(person, "31.12.2014")
    assert written, text[-2000:]
    ctx.rollback()
    [case] = ctx.execute(select(Case)).scalars().all()
    assert (case.opened_on, case.funding_period.code) == (date(2014, 12, 31), "2014")


@pytest.mark.parametrize("how", ["ui", "api"])
def test_moving_a_case_to_another_year_moves_it_to_that_period(how, client, ctx, factories, login_as, api_token):
    case = factories.case(opened_on=date(2013, 3, 14))
    assert case.funding_period.code == "2013"
    if how == "ui":
        login_as(*STAFF)
        response = post_form(client, f"/caseview/edit/{case.id}", {
            "opened_on": "02.05.2012", "enquirer": "self", "qualification_title": "Bauingenieur",
            "qualification_type": "academic", "qualification_country": "SY", "outcome": "application_help",
            "version": "1"})
        assert response.status_code == 302, unescape(response.get_data(as_text=True))[-3000:]
    else:
        response = client.put(f"/api/v1/case/{case.id}", json={"opened_on": "2012-05-02", "version": 1},
                              headers=api_token(*STAFF))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["result"]["funding_period"] == factories.period("2012").id
    ctx.rollback()
    moved = ctx.get(Case, case.id)
    assert (moved.opened_on, moved.funding_period.code, moved.version) == (date(2012, 5, 2), "2012", 2)


@pytest.mark.parametrize("how", ["ui", "api"])
def test_moving_a_training_to_another_year_moves_it_to_that_period(how, client, ctx, factories, login_as, api_token):
    """The same mixin (PeriodBound) for trainings, by their date."""
    from app.trainings.models import Training

    training = factories.training(date=date(2013, 6, 4))
    assert training.funding_period.code == "2013"
    if how == "ui":
        login_as(*STAFF)
        response = post_form(client, f"/trainingview/edit/{training.id}", {
            "date": "04.06.2012", "title": training.title, "target_institution": "jobcenter", "hours": "6",
            "participants_female": "8", "participants_male": "5", "participants_diverse": "0"})
        assert response.status_code == 302, unescape(response.get_data(as_text=True))[-3000:]
    else:
        response = client.put(f"/api/v1/training/{training.id}", json={"date": "2012-06-04"},
                              headers=api_token(*STAFF))
        assert response.status_code == 200, response.get_json()
    ctx.rollback()
    moved = ctx.get(Training, training.id)
    assert (moved.date, moved.funding_period.code) == (date(2012, 6, 4), "2012")


def test_a_period_chosen_over_the_api_must_contain_the_date(client, ctx, factories, api_token):
    """Only a period given in the same write is checked: then the date must lie in it (422, nothing changed)."""
    case = factories.case(opened_on=date(2013, 3, 14))
    headers = api_token(*STAFF)
    response = client.put(f"/api/v1/case/{case.id}", json={"funding_period": factories.period("2012").id,
                                                           "version": 1}, headers=headers)
    assert response.status_code == 422 and response.get_json()["field"] == "funding_period"
    assert "lies in funding period 2013, not in the one given" in response.get_json()["message"]
    response = client.put(f"/api/v1/case/{case.id}", json={"funding_period": factories.period("2012").id,
                                                           "opened_on": "2012-05-02", "version": 1}, headers=headers)
    assert response.status_code == 200, response.get_json()
    ctx.rollback()
    assert ctx.get(Case, case.id).funding_period.code == "2012"


# --- refused writes: one mapping from exception to (status, field, message) (app/core/refusals) ---

def _refusal_cases():
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from app.core.errors import DomainError, ScopeError
    from app.core.field_labels import DomainErrors
    from app.core import refusals

    several = DomainErrors([DomainError("first", field="gender"), DomainError("second", field="citizenship")])
    return [
        (DomainError("broken", field="opened_on"), 422, "opened_on", "broken"),
        (several, 422, "gender", "first second"),
        (ScopeError("elsewhere"), 404, None, str(refusals.NOT_FOUND)),
        (StaleDataError("stale"), 409, None, str(refusals.STALE_MESSAGE)),
        (DataError("stmt", {}, Exception("out of range")), 422, None, str(refusals.VALUE_OUT_OF_RANGE)),
        (IntegrityError("stmt", {}, Exception("uq_x")), 409, None, str(refusals.CONFLICT_MESSAGE)),
        (OperationalError("stmt", {}, Exception("gone")), 500, None, str(refusals.DATABASE_MESSAGE)),
    ]


def test_every_refusal_maps_to_one_status_field_and_message(app):
    from app.core.refusals import refusal_for

    with app.test_request_context():
        for error, status, field, message in _refusal_cases():
            refusal = refusal_for(error)
            assert (refusal.status, refusal.field, str(refusal)) == (status, field, message), error
            assert "stmt" not in str(refusal) and "uq_x" not in str(refusal)
        assert refusal_for(KeyError("a bug")) is None


@pytest.mark.parametrize("how", ["ui", "api"])
def test_a_stale_edit_gets_the_same_message_in_the_form_and_the_api(how, client, ctx, factories, login_as,
                                                                     api_token, app):
    from app.core.refusals import STALE_MESSAGE

    case = factories.case(opened_on=date(2013, 3, 14))
    with app.test_request_context():
        expected = str(STALE_MESSAGE)
    if how == "ui":
        login_as(*STAFF)
        response = post_form(client, f"/caseview/edit/{case.id}", {
            "opened_on": "14.03.2013", "notes": "overwrite", "version": "7"})
        assert response.status_code == 200 and expected in unescape(response.get_data(as_text=True))
    else:
        response = client.put(f"/api/v1/case/{case.id}", json={"notes": "overwrite", "version": 7},
                              headers=api_token(*STAFF))
        assert response.status_code == 409 and response.get_json()["message"] == expected
    ctx.rollback()
    assert ctx.get(Case, case.id).notes is None


# --- a new case's counsellor is the user who records it, its partner its client's (Counselled, Case) --

@pytest.mark.parametrize("channel", ["entry", "import"], indirect=True)
def test_a_new_case_and_first_contact_are_counselled_by_the_user_who_records_them(channel, ctx):
    from app.cases.models import Contact

    written, text = channel.new_client("Amina", "Haddad", BIRTH)
    assert written, text[-2000:]
    ctx.rollback()
    [case] = ctx.execute(select(Case)).scalars().all()
    assert case.counsellor.username == STAFF[0] and case.partner_id == case.client.partner_id
    for contact in ctx.execute(select(Contact)).scalars():
        assert contact.counsellor_id == case.counsellor_id and contact.partner_id == case.partner_id


@pytest.mark.parametrize("how", ["ui", "api"])
def test_a_case_added_by_the_network_admin_belongs_to_its_clients_partner(how, client, ctx, factories, login_as,
                                                                         api_token):
    person = factories.client(partner="vsp")
    if how == "ui":
        login_as("t_admin", "Admin", ())
        response = post_form(client, "/caseview/add", {"client": str(person.id), "opened_on": "02.05.2013",
                                                       "outcome": "application_help"})
        assert response.status_code == 302, unescape(response.get_data(as_text=True))[-3000:]
    else:
        response = client.post("/api/v1/case/", json={"client": person.id, "opened_on": "2013-05-02"},
                               headers=api_token("t_admin", "Admin", ()))
        assert response.status_code == 201, response.get_json()
    ctx.rollback()
    [case] = ctx.execute(select(Case)).scalars().all()
    assert case.partner.code == "vsp" and case.counsellor.username == "t_admin"
    assert case.funding_period.code == "2013"


def test_the_command_line_import_records_no_counsellor(app, ctx, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes([row(1)]))
    result = app.test_cli_runner().invoke(args=["iq", "import", str(path), "--partner", "migra"])
    assert result.exit_code == 0, result.output
    ctx.rollback()
    [case] = ctx.execute(select(Case)).scalars().all()
    assert case.counsellor_id is None and case.partner.code == "migra"


@pytest.mark.parametrize("how", ["ui", "api"])
def test_a_consent_belongs_to_its_clients_partner(how, client, ctx, factories, login_as, api_token):
    """Consent.validate states it (no view sets it): the consent form of the network Admin, and the
    client API's ``consents`` field."""
    from app.clients.consent import Consent

    person = factories.client(partner="vsp")
    if how == "ui":
        login_as("t_admin", "Admin", ())
        response = post_form(client, f"/consentview/add?_flt_0_client={person.id}", {
            "client": str(person.id), "purpose": "referral", "given_on": "14.03.2013", "text_version": "2026-1",
            "language": "de", "given_how": "signed_form"}, form_url="/consentview/add")
        assert response.status_code == 302, unescape(response.get_data(as_text=True))[-3000:]
    else:
        response = client.put(f"/api/v1/client/{person.id}", headers=api_token("t_admin", "Admin", ()), json={
            "version": person.version, "consents": [{"purpose": "referral", "given_on": "2013-03-14",
                                                     "given_how": "signed_form"}]})
        assert response.status_code == 200, response.get_json()
    ctx.rollback()
    [consent] = ctx.execute(select(Consent).where(Consent.purpose == "referral")).scalars().all()
    assert (consent.client_id, consent.partner.code) == (person.id, "vsp")


@pytest.fixture
def migra_inactive(app):
    """migra (the Staff user's only partner) has left the network for the duration of the test."""
    from app.extensions import db
    from app.security.scoping import system_scope

    def set_active(value):
        with app.app_context(), system_scope():
            db.session.execute(select(Partner).where(Partner.code == "migra")).scalar_one().active = value
            db.session.commit()

    set_active(False)
    yield
    set_active(True)


@pytest.mark.parametrize("channel", ["ui", "entry", "api", "cli"], indirect=True)
def test_no_new_records_at_a_partner_that_left_the_network(channel, ctx, migra_inactive):
    """app.core.models.check_active_partner: the same refusal from the client form, the quick entry,
    the API and ``iq import``; the partner selects never offer such a partner (selectable_partners)."""
    written, text = channel.new_client("Amina", "Haddad", BIRTH)
    assert not written
    assert "migra e.V. is no longer active in the network: no new records can be created for it." in text, \
        text[-2000:]
    assert _clients_born(ctx, BIRTH) == []


def test_the_import_page_offers_no_partner_that_left_the_network(client, login_as, request):
    login_as(*STAFF)
    assert "migra e.V." in client.get("/import/").get_data(as_text=True)  # offered while active
    request.getfixturevalue("migra_inactive")
    assert "migra e.V." not in client.get("/import/").get_data(as_text=True)


# --- which partners may this user pick: selectable_partners() (app/security/partner_choice) -------

def test_selectable_partners_follow_the_membership_roles_and_offer_only_active_partners(app, ctx, make_user):
    from app.extensions import db
    from app.security.models import Membership
    from app.security.partner_choice import selectable_partners
    from app.security.scoping import system_scope

    user_id = make_user("t_mixed", "Staff", ("migra",))
    with app.app_context(), system_scope():
        ids = dict(db.session.execute(select(Partner.code, Partner.id)).all())
        db.session.add(Membership(user_id=user_id, partner_id=ids["genres"], role="Management"))
        db.session.add(Membership(user_id=user_id, partner_id=ids["vsp"], role="Staff"))
        db.session.get(Partner, ids["vsp"]).active = False
        db.session.commit()
    try:
        with app.test_request_context():
            from flask import g
            from flask_appbuilder.security.sqla.models import User

            g.user = db.session.get(User, user_id)
            assert [p.code for p in selectable_partners("write")] == ["migra"]  # vsp: inactive
            assert sorted(p.code for p in selectable_partners("aggregate")) == ["genres", "migra", "vsp"]
            assert selectable_partners("admin") == []
    finally:
        with app.app_context(), system_scope():
            db.session.get(Partner, ids["vsp"]).active = True
            db.session.commit()


# --- an enumeration is declared once (Enumeration.column_info): validator, form select, formatter ---

@pytest.mark.parametrize("how", ["ui", "api"])
def test_an_unknown_enumeration_key_is_refused_with_the_same_message(how, client, ctx, factories, login_as,
                                                                    api_token):
    person = factories.client()
    expected = "Unknown value “teleported” for Outcome."
    if how == "ui":
        login_as(*STAFF)
        response = post_form(client, "/caseview/add", {"client": str(person.id), "opened_on": "02.05.2013",
                                                       "outcome": "teleported"})
        assert response.status_code == 200 and expected in unescape(response.get_data(as_text=True))
    else:
        response = client.post("/api/v1/case/", json={"client": person.id, "opened_on": "2013-05-02",
                                                      "outcome": "teleported"}, headers=api_token(*STAFF))
        assert response.status_code == 422 and response.get_json()["message"] == expected, response.get_json()
    ctx.rollback()
    assert ctx.execute(select(Case)).scalars().all() == []


def test_enumeration_columns_are_declared_once_and_views_read_them(app):
    from sqlalchemy import inspect as sa_inspect

    from app.core.enums import OUTCOMES, column_enumeration

    assert column_enumeration(sa_inspect(Case).columns["outcome"]) == (OUTCOMES, False)
    views = {type(view).__name__: view for view in app.appbuilder.baseviews}
    case_view = views["CaseView"]
    assert case_view.formatters_columns["outcome"]("on_hold") == str(OUTCOMES.label("on_hold"))
    with app.test_request_context():
        form = case_view.add_form()
        assert [key for key, _label in form.outcome.choices][1:] == OUTCOMES.keys
    with pytest.raises(Exception, match="teleported"):
        Case(outcome="teleported")


def test_every_enumeration_column_is_declared_once_on_its_column(app):
    """Each CHECK constraint ``col IN (...)`` of the schema is written from the enumeration the column
    declares (``column_info``), and no model keeps a validator of its own for such a column: the
    check, the validator, the form select, the formatter and the filter read one declaration."""
    import re

    from flask_appbuilder import Model
    from sqlalchemy import CheckConstraint

    from app.core.enums import column_enumeration

    checked = 0
    for mapper in Model.registry.mappers:
        table = mapper.local_table
        for constraint in table.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            found = re.fullmatch(r"(\w+) IN \((.*)\)", str(constraint.sqltext))
            if not found:
                continue
            column, keys = found.group(1), re.findall(r"'([^']*)'", found.group(2))
            declared = column_enumeration(table.c[column])
            assert declared is not None, f"{table.name}.{column}: CHECK without column_info"
            enumeration, required = declared
            assert keys == enumeration.keys and str(constraint.sqltext) == enumeration.check_sql(column)
            assert required is not table.c[column].nullable, f"{table.name}.{column}"
            assert column not in mapper.validators, f"{table.name}.{column}: a second validator"
            checked += 1
    assert checked >= 17  # clients, cases, contacts, trainings, partners, catalogues, consents, funding, memberships


@pytest.mark.parametrize("model,values,field", [
    ("app.partners.models.Partner", {"state": "BY"}, "state"),
    ("app.funding.models.Funding", {"funder": "ESF"}, "funder"),
    ("app.security.models.Membership", {"role": "Owner"}, "role"),
    ("app.clients.consent.Consent", {"purpose": "marketing"}, "purpose"),
    ("app.catalogues.models.CompetentBody", {"kind": "guild"}, "kind"),
])
def test_the_remaining_enumerations_refuse_unknown_keys_from_their_column(app, model, values, field):
    from importlib import import_module

    from app.core.errors import DomainError

    module, name = model.rsplit(".", 1)
    cls = getattr(import_module(module), name)
    with app.test_request_context():
        with pytest.raises(DomainError) as refused:
            cls(**values)
    assert refused.value.field == field and "Unknown value" in str(refused.value.message)
