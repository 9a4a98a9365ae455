"""Saving through the UI forms: owning partner from the user, refused input kept, optimistic locking."""
from datetime import date

from app.cases.models import Case, Contact
from app.clients.models import Client
from app.funding.models import Funding
from app.partners.models import Partner
from app.trainings.models import Training
from tests.conftest import post_form

CLIENT_FORM = {"first_name": "Amina", "last_name": "Haddad", "birth_date": "1985-02-03", "gender": "female",
               "citizenship": "SY", "counselling_language": "ar",
               "counselling_consent": "y", "consent_text_version": "2026-1", "consent_given_how": "signed_form"}


def _count(ctx, model):
    ctx.expire_all()
    return ctx.query(model).count()


def test_staff_adds_a_client_for_its_only_partner_without_choosing(login_as, client, ctx, factories):
    login_as("t_staff", "Staff", ("genres",))
    response = post_form(client, "/clientview/add", CLIENT_FORM)
    assert response.status_code == 302
    saved = ctx.query(Client).filter_by(last_name="Haddad").one()
    assert saved.partner.code == "genres" and saved.citizenship == "SY" and saved.birth_date == date(1985, 2, 3)
    assert saved.client_number.startswith("GENR-")


def test_staff_cannot_add_a_client_for_a_foreign_partner(login_as, client, ctx, factories):
    login_as("t_staff", "Staff", ("genres",))
    foreign = factories.partner("migra").id
    response = post_form(client, "/clientview/add", {**CLIENT_FORM, "partner": str(foreign)})
    assert response.status_code == 404  # another partner is answered as "not found"
    assert _count(ctx, Client) == 0


def test_staff_with_two_partners_must_choose_one(login_as, client, ctx, factories):
    login_as("t_staff", "Staff", ("genres", "vsp"))
    response = post_form(client, "/clientview/add", CLIENT_FORM)
    assert response.status_code == 200
    assert "Please choose the partner the record belongs to." in response.get_data(as_text=True)
    assert _count(ctx, Client) == 0
    vsp = factories.partner("vsp").id
    assert post_form(client, "/clientview/add", {**CLIENT_FORM, "partner": str(vsp)}).status_code == 302
    assert ctx.query(Client).one().partner_id == vsp


def test_case_takes_partner_from_its_client_and_period_from_the_date(login_as, client, ctx, factories):
    person = factories.client(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/caseview/add", {"client": str(person.id), "opened_on": "2012-05-02",
                                                   "qualification_title": "Ärztin", "outcome": "application_filed"})
    assert response.status_code == 302
    case = ctx.query(Case).one()
    assert case.partner.code == "migra" and case.funding_period.code == "2012"
    assert case.outcome == "application_filed" and case.counsellor.username == "t_staff"


def test_case_for_a_client_of_another_partner_is_refused(login_as, client, ctx, factories):
    foreign = factories.client(partner="vsp")
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/caseview/add", {"client": str(foreign.id), "opened_on": "2012-05-02"})
    assert response.status_code == 200
    assert "does not exist or is not accessible" in response.get_data(as_text=True)
    assert _count(ctx, Case) == 0


def test_contact_and_training_get_the_users_partner(login_as, client, ctx, factories):
    case = factories.case(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    assert post_form(client, f"/contactview/add?_flt_0_case={case.id}",
                     {"date": "2013-03-20", "kind": "follow_up", "channel": "phone", "minutes": "30"}).status_code == 302
    contact = ctx.query(Contact).one()
    assert contact.case_id == case.id and contact.partner_id == case.partner_id and contact.channel == "phone"
    assert post_form(client, "/trainingview/add", {"date": "2014-02-11", "title": "Vielfalt im Jobcenter",
                                                   "target_institution": "jobcenter", "hours": "4",
                                                   "participants_female": "3", "participants_male": "2",
                                                   "participants_diverse": "0"}).status_code == 302
    training = ctx.query(Training).one()
    assert training.partner.code == "migra" and training.funding_period.code == "2014"


def test_closed_before_opened_is_shown_in_the_form_with_the_input_kept(login_as, client, ctx, factories):
    person = factories.client(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/caseview/add", {"client": str(person.id), "opened_on": "2013-05-02",
                                                   "closed_on": "2013-04-01", "qualification_title": "Zahnärztin"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A case cannot be closed before it was opened." in html
    assert 'value="Zahnärztin"' in html and 'value="2013-04-01"' in html
    assert f'<option value="{person.id}" selected>' in html  # the chosen client stays chosen
    assert _count(ctx, Case) == 0


def test_unknown_enumeration_value_is_refused_with_the_models_message(login_as, client, ctx):
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/clientview/add", {**CLIENT_FORM, "gender": "martian"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unknown value “martian” for Gender." in html  # the label, not the column
    assert 'value="Haddad"' in html
    assert _count(ctx, Client) == 0


def test_edit_with_a_domain_error_changes_nothing(login_as, client, ctx, factories):
    case = factories.case(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, f"/caseview/edit/{case.id}",
                         {"opened_on": "2013-03-14", "closed_on": "2013-01-01", "notes": "neu", "version": "1"})
    assert response.status_code == 200
    assert "A case cannot be closed before it was opened." in response.get_data(as_text=True)
    ctx.expire_all()
    stored = ctx.get(Case, case.id)
    assert stored.closed_on is None and stored.notes is None and stored.version == 1


def test_duplicate_partner_code_is_refused_in_the_form(login_as, client, ctx):
    login_as("t_admin", "Admin", ())
    client.get("/lang/en")
    response = post_form(client, "/partnerview/add", {"code": "migra", "name": "Doppelt", "city": "Rostock",
                                                      "state": "MV", "role": "partner", "active": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Already exists." in html and 'value="Doppelt"' in html
    assert ctx.query(Partner).filter_by(name="Doppelt").count() == 0


def test_database_conflict_gets_a_generic_message_without_sql(login_as, client, ctx, factories):
    existing = factories.funding(partner="migra", period="2013", funder="BMAS")
    login_as("t_admin", "Admin", ())
    response = post_form(client, "/fundingview/add", {
        "partner": str(existing.partner_id), "funding_period": str(existing.funding_period_id), "funder": "BMAS",
        "planned_amount": "5000", "spent_amount": "0", "planned_cases": "77", "planned_trainings": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "conflicts with an existing one" in html
    assert "IntegrityError" not in html and "INSERT INTO" not in html and "uq_funding" not in html
    assert 'value="77"' in html
    ctx.expire_all()
    assert ctx.query(Funding).count() == 1


def test_edit_saves_and_increments_the_version(login_as, client, ctx, factories):
    person = factories.client(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    form = {**CLIENT_FORM, "version": "1"}
    assert post_form(client, f"/clientview/edit/{person.id}", form).status_code == 302
    ctx.expire_all()
    stored = ctx.get(Client, person.id)
    assert stored.last_name == "Haddad" and stored.version == 2 and stored.partner.code == "migra"


def test_stale_version_is_refused_and_changes_nothing(login_as, client, ctx, factories):
    person = factories.client(partner="migra", last_name="Original")
    login_as("t_staff", "Staff", ("migra",))
    page = client.get(f"/clientview/edit/{person.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    person.district = "Rostock"  # someone else saves meanwhile
    ctx.commit()
    assert person.version == 2
    response = post_form(client, f"/clientview/edit/{person.id}", {**CLIENT_FORM, "version": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed by someone else in the meantime" in html
    assert 'value="Haddad"' in html
    ctx.expire_all()
    stored = ctx.get(Client, person.id)
    assert stored.last_name == "Original" and stored.district == "Rostock" and stored.version == 2


def test_stale_case_version_is_refused(login_as, client, ctx, factories):
    case = factories.case(partner="migra")
    case.notes = "von Kollegin"
    ctx.commit()
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, f"/caseview/edit/{case.id}", {"opened_on": "2013-03-14", "notes": "meins",
                                                                "version": "1"})
    assert "changed by someone else in the meantime" in response.get_data(as_text=True)
    ctx.expire_all()
    assert ctx.get(Case, case.id).notes == "von Kollegin"


def test_delete_removes_a_record_and_refuses_one_still_in_use(login_as, client, ctx, factories):
    case = factories.case(partner="migra")
    unused = factories.client(partner="migra")
    login_as("t_admin", "Admin", ())  # deleting clients is for the network Admin only
    refused = post_form(client, f"/clientview/delete/{case.client_id}", {}, form_url="/clientview/list/",
                        follow_redirects=True)
    assert "still used by other records" in refused.get_data(as_text=True)
    assert post_form(client, f"/clientview/delete/{unused.id}", {}, form_url="/clientview/list/").status_code == 302
    ctx.expire_all()
    assert [c.id for c in ctx.query(Client)] == [case.client_id]


def test_moving_a_case_to_another_year_moves_it_to_that_funding_period(login_as, client, ctx, factories):
    case = factories.case(partner="migra", opened_on=date(2013, 3, 14))
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, f"/caseview/edit/{case.id}", {"opened_on": "2012-11-05", "version": "1"})
    assert response.status_code == 302
    ctx.expire_all()
    stored = ctx.get(Case, case.id)
    assert stored.opened_on == date(2012, 11, 5) and stored.funding_period.code == "2012" and stored.version == 2


def test_counsellor_choices_are_the_users_of_my_partners(login_as, make_user, client):
    make_user("t_colleague", "Staff", ("migra",))
    make_user("t_stranger", "Staff", ("genres",))
    login_as("t_staff", "Staff", ("migra",))
    for url in ("/caseview/add", "/contactview/add"):
        html = client.get(url).get_data(as_text=True)
        assert "t_colleague" in html and "t_stranger" not in html
