"""The case page shows the person and can be edited and closed; the follow-up contact form knows
its case (issue 9, items 5 and 6). Another partner's Staff sees neither names nor links."""
import re
from datetime import date

from sqlalchemy import select

from app.cases.models import Case, Contact
from app.security.models import AccessLogEntry
from tests.conftest import csrf_token, post_form


def _case(ctx, pk):
    ctx.expire_all()
    return ctx.execute(select(Case).where(Case.id == pk)).unique().scalar_one()


def test_staff_see_name_number_and_link_of_the_client(login_as, client, ctx, factories):
    case = factories.case(client=factories.client(first_name="Olena", last_name="Kovalenko"))
    factories.contact(case)
    number, client_id = case.client.client_number, case.client_id
    login_as("t_case_staff", "Staff", ["migra"])
    page = client.get(f"/caseview/show/{case.id}").get_data(as_text=True)
    link = f'<a class="iq-client-link" href="/clientview/show/{client_id}">Kovalenko, Olena ({number})</a>'
    assert link in page
    assert f'href="/caseview/edit/{case.id}"' in page and 'id="iq-close-case"' in page
    listing = client.get("/caseview/list/").get_data(as_text=True)
    assert link in listing
    contacts = client.get("/contactview/list/").get_data(as_text=True)
    assert f"#{case.id} Kovalenko, Olena ({number})" in contacts
    # showing the name is a display of personal data: logged like the client's own page
    logged = ctx.execute(select(AccessLogEntry.client_id, AccessLogEntry.path)).all()
    assert (client_id, f"/caseview/show/{case.id}") in logged and (client_id, "/caseview/list/") in logged


def test_staff_of_another_partner_sees_no_name_and_no_link(login_as, client, factories):
    case = factories.case(client=factories.client(first_name="Olena", last_name="Kovalenko"))
    client_id = case.client_id
    login_as("t_case_other", "Staff", ["genres"])
    assert client.get(f"/caseview/show/{case.id}").status_code == 404
    for url in ("/caseview/list/", "/contactview/list/", "/clientview/list/"):
        page = client.get(url).get_data(as_text=True)
        assert "Kovalenko" not in page and f"/clientview/show/{client_id}" not in page


def test_management_gets_numbers_only(app, ctx, factories, make_user):
    """Management never sees names, wherever a client is named (here: the shared label)."""
    from flask import g
    from flask_appbuilder.security.sqla.models import User

    from app.clients.naming import client_label, client_link

    person = factories.client(first_name="Olena", last_name="Kovalenko")
    make_user("t_case_mgmt", "Management", ["migra"])
    user = ctx.execute(select(User).filter_by(username="t_case_mgmt")).scalar_one()
    number = person.client_number  # loaded now: in the request below, Management's scope has no clients
    with app.test_request_context("/"):
        g.user = user
        assert client_label(person) == number
        assert client_link(person) == number


def test_close_case_with_outcome_by_post(login_as, client, ctx, factories):
    case = factories.case(opened_on=date(2013, 3, 14), outcome=None)
    login_as("t_case_staff", "Staff", ["migra"])
    show = f"/caseview/show/{case.id}"
    token = csrf_token(client, show)
    response = client.post(f"/caseview/close/{case.id}", data={
        "csrf_token": token, "version": case.version, "outcome": "application_filed", "closed_on": "20.06.2013"})
    assert response.status_code == 302 and response.headers["Location"].endswith(show)
    closed = _case(ctx, case.id)
    assert (closed.status, closed.closed_on, closed.outcome) == ("closed", date(2013, 6, 20), "application_filed")
    assert 'id="iq-close-case"' not in client.get(show).get_data(as_text=True)  # closed: no close form


def test_close_refusals_change_nothing(login_as, client, ctx, factories):
    case = factories.case(opened_on=date(2013, 3, 14), outcome=None)
    login_as("t_case_staff", "Staff", ["migra"])
    show = f"/caseview/show/{case.id}"
    attempts = [
        ({"outcome": "", "closed_on": "20.06.2013"}, "Choose the outcome of the counselling to close the case."),
        ({"outcome": "application_filed", "closed_on": "01.01.2013"}, "A case cannot be closed before it was opened."),
        ({"outcome": "application_filed", "closed_on": "31.02.2013"}, "“31.02.2013” is not a valid date (DD.MM.YYYY)."),
        ({"outcome": "application_filed", "closed_on": "20.06.2013", "version": "999"}, "changed by someone else"),
    ]
    for data, message in attempts:
        payload = {"csrf_token": csrf_token(client, show), "version": case.version, **data}
        response = client.post(f"/caseview/close/{case.id}", data=payload, follow_redirects=True)
        assert message in response.get_data(as_text=True)
        fresh = _case(ctx, case.id)
        assert (fresh.status, fresh.closed_on, fresh.outcome) == ("open", None, None)
    # without CSRF token: refused
    response = client.post(f"/caseview/close/{case.id}", data={"version": case.version, "outcome": "on_hold",
                                                               "closed_on": "20.06.2013"})
    assert response.status_code == 400 and _case(ctx, case.id).status == "open"


def test_close_another_partners_case_is_404(login_as, client, ctx, factories):
    case = factories.case(outcome=None)
    login_as("t_case_other", "Staff", ["genres"])
    token = csrf_token(client, "/caseview/add")
    response = client.post(f"/caseview/close/{case.id}", data={
        "csrf_token": token, "version": case.version, "outcome": "on_hold", "closed_on": "20.06.2013"})
    assert response.status_code == 404 and _case(ctx, case.id).status == "open"


def test_close_needs_write_permission(login_as, client, ctx, factories):
    case = factories.case(outcome=None)
    login_as("t_case_padmin", "PartnerAdmin", ["migra"])
    page = client.get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert 'id="iq-close-case"' not in page and f"/caseview/edit/{case.id}" not in page
    token = csrf_token(client, f"/caseview/show/{case.id}")
    client.post(f"/caseview/close/{case.id}", data={
        "csrf_token": token, "version": case.version, "outcome": "on_hold", "closed_on": "20.06.2013"})
    assert _case(ctx, case.id).status == "open"


def test_contact_form_names_its_case_and_offers_the_partners_counsellors(login_as, client, make_user, factories):
    case = factories.case(client=factories.client(first_name="Olena", last_name="Kovalenko"))
    make_user("t_case_mgmt", "Management", ["migra"])
    make_user("t_case_padmin", "PartnerAdmin", ["migra"])
    make_user("t_case_colleague", "Staff", ["migra"])
    make_user("t_case_elsewhere", "Staff", ["genres"])
    login_as("t_case_staff", "Staff", ["migra"])
    page = client.get(f"/contactview/add?_flt_0_case={case.id}").get_data(as_text=True)
    header = re.search(r'<div id="iq-contact-case".*?</div>', page, flags=re.S).group(0)
    assert f"#{case.id}" in header and "Kovalenko, Olena" in header
    select_html = re.search(r'<select[^>]*id="counsellor".*?</select>', page, flags=re.S).group(0)
    assert set(re.findall(r"t_case_\w+", select_html)) == {"t_case_staff", "t_case_colleague"}
    assert re.search(r'<option selected value="\d+">t_case_staff', select_html)  # the current user


def test_contact_form_with_another_partners_case_is_404(login_as, client, ctx, factories):
    case = factories.case()
    login_as("t_case_other", "Staff", ["genres"])
    url = f"/contactview/add?_flt_0_case={case.id}"
    response = client.get(url)
    assert response.status_code == 404
    assert f"Case #{case.id} was not found" in response.get_data(as_text=True)
    token = csrf_token(client, "/contactview/add")
    response = client.post(url, data={"csrf_token": token, "date": "2013-03-20", "kind": "follow_up",
                                      "channel": "phone"})
    assert response.status_code == 404
    ctx.expire_all()
    assert ctx.query(Contact).count() == 0


def test_contact_edit_offers_counsellors_of_the_contacts_partner(login_as, client, make_user, factories):
    case = factories.case()
    contact = factories.contact(case)
    make_user("t_case_elsewhere", "Staff", ["genres"])
    make_user("t_case_mgmt", "Management", ["migra"])
    login_as("t_case_staff", "Staff", ["migra", "genres"])
    page = client.get(f"/contactview/edit/{contact.id}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*id="counsellor".*?</select>', page, flags=re.S).group(0)
    assert set(re.findall(r"t_case_\w+", select_html)) == {"t_case_staff"}


def test_case_edit_offers_the_partners_staff_and_keeps_the_current_counsellor(login_as, client, ctx, make_user,
                                                                                factories):
    from flask_appbuilder.security.sqla.models import User

    make_user("t_case_mgmt", "Management", ["migra"])
    make_user("t_case_elsewhere", "Staff", ["genres"])
    former = make_user("t_case_former", "PartnerAdmin", ["migra"])  # counselled once, now administers
    case = factories.case(counsellor=ctx.get(User, former))
    login_as("t_case_staff", "Staff", ["migra", "genres"])
    page = client.get(f"/caseview/edit/{case.id}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*id="counsellor".*?</select>', page, flags=re.S).group(0)
    assert set(re.findall(r"t_case_\w+", select_html)) == {"t_case_staff", "t_case_former"}
    assert re.search(rf'<option selected value="{former}">', select_html)
    add = client.get("/caseview/add").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*id="counsellor".*?</select>', add, flags=re.S).group(0)
    assert set(re.findall(r"t_case_\w+", select_html)) == {"t_case_staff", "t_case_elsewhere"}
    assert re.search(r'<option selected value="\d+">t_case_staff', select_html)


def test_case_edit_page_is_the_form_only_and_the_case_page_keeps_the_contacts(login_as, client, factories):
    """templates/iq_edit.html: the edit page renders the form, not the related contacts' list (which
    is read only on the case page)."""
    case = factories.case()
    factories.contact(case)
    login_as("t_case_editonly", "Staff", ["migra"])
    edit = client.get(f"/caseview/edit/{case.id}").get_data(as_text=True)
    assert 'id="qualification_title"' in edit and 'name="version"' in edit
    assert 'href="#ContactView"' not in edit and "/contactview/show/" not in edit
    show = client.get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert "ContactView" in show
