"""The start page per role (issue 9 item 10): Staff, Management, Admin and PartnerAdmin each see
their part, through the partner scope, in German and English."""
import re
from datetime import date

import pytest

from tests.conftest import PASSWORD, logout, post_form


def _login(client, make_user, username, role, partners):
    user_id = make_user(username, role, partners)
    assert post_form(client, "/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return user_id


def _section(html, name):
    match = re.search(rf'<section id="iq-home-{name}".*?</section>', html, re.S)
    return match.group(0) if match else ""


@pytest.fixture
def staff_cases(factories, make_user):
    """Staff of migra (counsellor of two open cases, one of them without contact since spring 2014)
    and the same situation at genres, which the migra user must never see."""
    staff_id = make_user("t_home_staff", "Staff", ["migra"])
    other_id = make_user("t_home_other", "Staff", ["genres"])
    mine_recent = factories.case(partner="migra", counsellor_id=staff_id, opened_on=date(2014, 3, 1),
                                 client=factories.client(partner="migra", last_name="Aktuell"))
    factories.contact(mine_recent, date=date(2014, 11, 20))
    mine_stale = factories.case(partner="migra", counsellor_id=staff_id, opened_on=date(2014, 2, 3),
                                client=factories.client(partner="migra", last_name="Vergessen"))
    factories.contact(mine_stale, date=date(2014, 5, 6))
    closed = factories.case(partner="migra", counsellor_id=staff_id, opened_on=date(2013, 2, 3), status="closed",
                            closed_on=date(2013, 4, 1), client=factories.client(partner="migra", last_name="Erledigt"))
    colleague_stale = factories.case(partner="migra", opened_on=date(2013, 5, 5),
                                     client=factories.client(partner="migra", last_name="Kollegial"))
    foreign = factories.case(partner="genres", counsellor_id=other_id, opened_on=date(2012, 5, 5),
                             client=factories.client(partner="genres", last_name="Fremdpartner"))
    return dict(recent=mine_recent.id, stale=mine_stale.id, closed=closed.id, colleague=colleague_stale.id,
                foreign=foreign.id)


def test_staff_sees_new_counselling_its_open_cases_and_the_stale_ones(client, staff_cases):
    assert post_form(client, "/login/", {"username": "t_home_staff", "password": PASSWORD}).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert 'href="/entry/"' in html and "New counselling" in html
    mine = re.search(r'id="iq-my-open-cases".*?</table>', html, re.S).group(0)
    assert f"/caseview/show/{staff_cases['recent']}" in mine and f"/caseview/show/{staff_cases['stale']}" in mine
    assert "Aktuell" in mine and "Vergessen" in mine
    assert f"/caseview/show/{staff_cases['closed']}" not in mine and "Kollegial" not in mine
    assert '<span class="iq-count">(2)</span>' in mine
    stale = re.search(r'id="iq-stale-cases".*?</table>', html, re.S).group(0)
    assert "02.10.2014" in stale  # 90 days before the programme's last day
    assert f"/caseview/show/{staff_cases['stale']}" in stale and "06.05.2014" in stale
    assert f"/caseview/show/{staff_cases['colleague']}" in stale  # the partner's, not only the user's
    assert f"/caseview/show/{staff_cases['recent']}" not in stale
    assert "Key figures" not in html and "User administration" not in html


def test_staff_of_one_partner_never_sees_another_partners_cases(client, staff_cases):
    assert post_form(client, "/login/", {"username": "t_home_staff", "password": PASSWORD}).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Fremdpartner" not in html and f"/caseview/show/{staff_cases['foreign']}\"" not in html
    # and the other way round: genres' counsellor sees its own case only
    logout(client)
    assert post_form(client, "/login/", {"username": "t_home_other", "password": PASSWORD}).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Fremdpartner" in html
    assert "Vergessen" not in html and "Kollegial" not in html and "Aktuell" not in html


def test_home_page_logs_the_names_it_shows(client, staff_cases, ctx):
    from sqlalchemy import select

    from app.security.models import AccessLogEntry

    assert post_form(client, "/login/", {"username": "t_home_staff", "password": PASSWORD}).status_code == 302
    client.get("/")
    logged = set(ctx.scalars(select(AccessLogEntry.client_id).where(AccessLogEntry.path == "/")))
    assert len(logged) == 3  # Aktuell, Vergessen, Kollegial


def test_management_sees_key_figures_of_its_partners_without_names(client, make_user, factories):
    for n in range(3):
        factories.case(partner="migra", opened_on=date(2014, 2, 1 + n), status="open" if n else "closed",
                       closed_on=None if n else date(2014, 3, 1), client=factories.client(last_name=f"Geheim{n}"))
    factories.case(partner="migra", opened_on=date(2013, 2, 1))  # another period
    factories.case(partner="genres", opened_on=date(2014, 2, 1), client=factories.client(partner="genres"))
    _login(client, make_user, "t_home_mgmt", "Management", ["migra"])
    html = client.get("/").get_data(as_text=True)
    section = _section(html, "management")
    assert "Key figures – " in section and "2014" in section
    row = re.search(r"<tr><th scope=\"row\">migra e.V.</th>(.*?)</tr>", section, re.S).group(1)
    assert re.findall(r">(\d+)<", row) == ["3", "3", "2"]
    assert "Genres" not in section
    assert "/reports/summary.pdf?period=2014" in section
    assert "Geheim" not in html and "MIGR-" not in html
    assert 'href="/entry/"' not in html and "My open cases" not in html


def test_management_of_two_partners_sees_one_row_each(client, make_user, factories):
    factories.case(partner="migra", opened_on=date(2014, 2, 1))
    factories.case(partner="genres", opened_on=date(2014, 2, 1), client=factories.client(partner="genres"))
    factories.case(partner="vsp", opened_on=date(2014, 2, 1), client=factories.client(partner="vsp"))
    _login(client, make_user, "t_home_mgmt2", "Management", ["migra", "genres"])
    section = _section(client.get("/").get_data(as_text=True), "management")
    assert "migra e.V." in section and "Genres e.V." in section and "VSP" not in section


def test_admin_sees_users_and_partners(client, make_user):
    make_user("t_home_someone", "Staff", ["migra"])
    _login(client, make_user, "t_home_admin", "Admin", [])
    html = client.get("/").get_data(as_text=True)
    section = _section(html, "admin")
    assert 'href="/partnerusers/list/"' in section and 'href="/partnerusers/add"' in section
    assert 'href="/partnerview/list/"' in section and "8 active partners" in section
    assert re.search(r"\d+ users, \d+ of them active", section)
    assert "t_home_admin" in section  # the latest login
    assert "My open cases" not in html and "Key figures" not in html


def test_partner_admin_sees_its_partner_and_its_users_only(client, make_user):
    make_user("t_home_migra", "Staff", ["migra"])
    make_user("t_home_genres", "Staff", ["genres"])
    _login(client, make_user, "t_home_padmin", "PartnerAdmin", ["migra"])
    section = _section(client.get("/").get_data(as_text=True), "admin")
    assert "migra e.V." in section and "Genres" not in section
    assert "1 users, 1 of them active" in section  # t_home_migra (PartnerAdmins are the Admin's)
    assert "t_home_genres" not in section


def test_home_page_in_german(client, make_user, factories, german_default):
    staff_id = make_user("t_home_de", "Staff", ["migra"])
    factories.case(partner="migra", counsellor_id=staff_id, opened_on=date(2014, 2, 3))
    assert post_form(client, "/login/", {"username": "t_home_de", "password": PASSWORD}).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Neue Beratung" in html and "Meine offenen Fälle" in html
    assert "Offene Fälle ohne Kontakt seit 90 Tagen" in html
    client.get("/lang/en")
    english = client.get("/").get_data(as_text=True)
    assert "My open cases" in english and "Meine offenen Fälle" not in english


def test_management_home_page_in_german(client, make_user, factories, german_default):
    factories.case(partner="migra", opened_on=date(2014, 2, 3))
    _login(client, make_user, "t_home_mgmt_de", "Management", ["migra"])
    html = client.get("/").get_data(as_text=True)
    assert "Kennzahlen" in html and "Zusammenfassung für die Leitung (PDF)" in html


def test_anonymous_home_page_offers_the_login(client):
    html = client.get("/").get_data(as_text=True)
    assert "/login/" in html and "iq-home-staff" not in html


@pytest.mark.parametrize("role, partners, limit", [
    ("Staff", ["migra"], 10), ("Management", ["migra"], 8), ("Admin", [], 7), ("PartnerAdmin", ["migra"], 8),
])
def test_home_page_takes_few_statements_whatever_the_data(app, client, make_user, factories, role, partners, limit):
    """Counts, one page of each list and no statement per row: 12 cases or 1 make no difference."""
    from tests.test_statement_counts import count

    staff_id = make_user("t_home_counsellor", "Staff", ["migra"])
    for n in range(12):
        factories.case(partner="migra", counsellor_id=staff_id, opened_on=date(2014, 1, 1 + n))
    if role == "Staff":
        assert post_form(client, "/login/", {"username": "t_home_counsellor", "password": PASSWORD}).status_code == 302
    else:
        _login(client, make_user, "t_home_counted", role, partners)
    statements = count(app, client, "/")
    assert len(statements) <= limit, "\n".join(statements)
