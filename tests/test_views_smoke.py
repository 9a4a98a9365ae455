"""UI smoke test: list, show, add and edit of every view, logged in as Admin and as Staff."""
import re

import pytest

from app.catalogues.models import CompetentBody, ReferenceOccupation


@pytest.fixture
def records(factories, ctx):
    """One record of every partner-owned kind (partner migra) plus catalogue rows to look at."""
    case = factories.case(qualification_title="Bauingenieurin", notes="vertraulich")
    contact = factories.contact(case)
    training = factories.training(title="Interkulturelle Kompetenz im Jobcenter")
    funding = factories.funding(planned_cases=321)
    occupation = ctx.query(ReferenceOccupation).order_by(ReferenceOccupation.id).first()
    body = ctx.query(CompetentBody).order_by(CompetentBody.id).first()
    return {
        "client": (case.client_id, case.client.last_name),
        "case": (case.id, case.client.client_number),
        "contact": (contact.id, "14.03.2013"),
        "training": (training.id, training.title),
        "funding": (funding.id, "321"),
        "partner": (case.partner_id, "migra e.V."),
        "funding_period": (case.funding_period_id, case.funding_period.name),
        "occupation": (occupation.id, occupation.name_de),
        "body": (body.id, body.name),
        "country": ("AF", "Afghanistan"),
    }


# view route, record key, may Staff write?, may Staff read?
VIEWS = [
    ("clientview", "client", True, True),
    ("caseview", "case", True, True),
    ("contactview", "contact", True, True),
    ("trainingview", "training", True, True),
    ("fundingview", "funding", False, False),
    ("partnerview", "partner", False, True),
    ("fundingperiodview", "funding_period", False, True),
    ("referenceoccupationview", "occupation", False, True),
    ("competentbodyview", "body", False, True),
    ("countryview", "country", False, True),
]


def _escaped(text):
    return str(text).replace("&", "&amp;").replace('"', "&#34;")


def _has_form(html):
    return re.search(r"<form[^>]*method=\"post\"", html, re.I) and 'name="csrf_token"' in html


@pytest.mark.parametrize("route,key,_write,_read", VIEWS)
def test_admin_lists_shows_and_opens_forms_of_every_view(login_as, client, records, route, key, _write, _read):
    login_as("t_admin", "Admin", ())
    pk, expected = records[key]

    listing = client.get(f"/{route}/list/")
    assert listing.status_code == 200
    assert _escaped(expected) in listing.get_data(as_text=True)
    show = client.get(f"/{route}/show/{pk}")
    assert show.status_code == 200
    assert _escaped(expected) in show.get_data(as_text=True)
    add = client.get(f"/{route}/add")
    assert add.status_code == 200 and _has_form(add.get_data(as_text=True))
    edit = client.get(f"/{route}/edit/{pk}")
    assert edit.status_code == 200 and _has_form(edit.get_data(as_text=True))


@pytest.mark.parametrize("route,key,may_write,may_read", VIEWS)
def test_staff_gets_exactly_what_the_role_allows(login_as, client, records, route, key, may_write, may_read):
    login_as("t_staff", "Staff", ("migra",))
    pk, expected = records[key]

    listing = client.get(f"/{route}/list/")
    # A logged-in user without the permission gets 403 (never an error page counted as "denied").
    assert listing.status_code == (200 if may_read else 403)
    if may_read:
        assert _escaped(expected) in listing.get_data(as_text=True)
        assert _escaped(expected) in client.get(f"/{route}/show/{pk}").get_data(as_text=True)
    else:
        assert _escaped(expected) not in listing.get_data(as_text=True)
    for url in (f"/{route}/add", f"/{route}/edit/{pk}"):
        response = client.get(url)
        assert response.status_code == (200 if may_write else 403), url
        if may_write:
            assert _has_form(response.get_data(as_text=True))


def test_audit_trail_is_read_only_for_admin(login_as, client, records):
    login_as("t_admin", "Admin", ())
    listing = client.get("/auditeventview/list/")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Case created" in html and "counselling_case" not in html  # labels, not table names
    pk = re.search(r"/auditeventview/show/(\d+)", html).group(1)
    show = client.get(f"/auditeventview/show/{pk}")
    assert show.status_code == 200
    assert client.get("/auditeventview/add").status_code == 403
    assert client.get(f"/auditeventview/edit/{pk}").status_code == 403


def test_lists_show_german_dates_and_translated_enumerations(login_as, client, records):
    login_as("t_admin", "Admin", ())
    client.get("/lang/en")
    html = client.get("/caseview/list/").get_data(as_text=True)
    assert "14.03.2013" in html and "2013-03-14" not in html
    cells = re.sub(r"new AdminFilters\(.*?\);", "", html, flags=re.S)  # the filter select carries the keys
    assert "help with the application" in cells and "application_help" not in cells
    show = client.get(f"/clientview/show/{records['client'][0]}").get_data(as_text=True)
    assert "17.05.1980" in show and "Syria" in show and "female" in show


def test_management_sees_no_personal_data(login_as, client, records):
    login_as("t_mgmt", "Management", ("migra",))
    assert client.get("/clientview/list/").status_code != 200
    assert client.get(f"/caseview/show/{records['case'][0]}").status_code != 200
    partner = client.get(f"/partnerview/show/{records['partner'][0]}")
    assert partner.status_code == 200
    html = partner.get_data(as_text=True)
    assert records["client"][1] not in html and "vertraulich" not in html
    assert "Interkulturelle Kompetenz im Jobcenter" in html  # the trainings tab it may read


def test_case_form_searches_clients_instead_of_listing_them(login_as, client, records):
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/caseview/add").get_data(as_text=True)
    assert 'class="form-control iq-ajax-select"' in html
    assert records["client"][1] not in html  # no client rendered into the form
    number = records["case"][1]
    found = client.get(f"/caseview/options/client?q={number[:6]}").get_json()["results"]
    assert [row["id"] for row in found] == [records["client"][0]]
    assert client.get("/caseview/options/client?q=zzz").get_json()["results"] == []
