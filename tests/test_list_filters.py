"""List filters (issue 9, item 4): enumerations through translated selects, no "__None", translated
operations, and a scoped search for a client's name or number on the case list."""
import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from app.cases.models import Case


def _filter_widget(html):
    """(labels, form_fields, search_filters) as the list page hands them to FAB's AdminFilters."""
    match = re.search(r"new AdminFilters\(\s*'#filter_form',\s*(.*?),\s*(\{.*?\}),\s*(\{.*?\}),\s*(\[.*?\])\s*\);",
                      html, flags=re.S)
    return json.loads(match.group(1)), json.loads(match.group(2)), json.loads(match.group(3))


def _ids(html):
    return {int(pk) for pk in re.findall(r'href="/caseview/show/(\d+)"', html)}


@pytest.fixture
def cases(factories):
    olena = factories.client(first_name="Olena", last_name="Kovalenko")
    jakub = factories.client(first_name="Jakub", last_name="Kowalski")
    open_case = factories.case(client=olena, outcome="on_hold")
    closed = factories.case(client=jakub, outcome="application_filed", closed_on=date(2013, 5, 2))
    foreign = factories.case(client=factories.client(partner="genres", first_name="Olga", last_name="Kovalenko"),
                             partner="genres", outcome="on_hold")
    return {"open": open_case.id, "closed": closed.id, "foreign": foreign.id,
            "olena": (olena.client_number, olena.id), "jakub": jakub.client_number}


def test_status_and_outcome_are_translated_selects(login_as, client, cases, german_default):
    login_as("t_flt_staff", "Staff", ["migra"])
    html = client.get("/caseview/list/").get_data(as_text=True)
    _labels, fields, operations = _filter_widget(html)
    assert '<option value="open">offen</option>' in fields["status"]
    assert '<option value="on_hold">ruhend</option>' in fields["outcome"]
    assert operations["status"] == ["Ist gleich", "Ist nicht gleich"] == operations["outcome"]
    # what the select sends finds what it says
    assert _ids(client.get("/caseview/list/?_flt_0_status=open").get_data(as_text=True)) == {cases["open"]}
    assert _ids(client.get("/caseview/list/?_flt_1_status=open").get_data(as_text=True)) == {cases["closed"]}
    assert _ids(client.get("/caseview/list/?_flt_0_outcome=on_hold").get_data(as_text=True)) == {cases["open"]}


def test_english_labels_in_english(login_as, client, cases):
    login_as("t_flt_staff", "Staff", ["migra"])
    client.get("/lang/en")
    _labels, fields, _ops = _filter_widget(client.get("/caseview/list/").get_data(as_text=True))
    assert '<option value="on_hold">on hold</option>' in fields["outcome"]


def test_relation_filters_offer_no_empty_choice_and_operations_are_translated(login_as, client, german_default):
    login_as("t_flt_staff", "Staff", ["migra"])
    html = client.get("/caseview/list/").get_data(as_text=True)
    _labels, fields, operations = _filter_widget(html)
    assert "__None" not in fields["reference_occupation"] and "__None" not in html
    assert operations["reference_occupation"] == ["ist", "ist nicht"]
    assert "ist einer von" in operations["qualification_title"] and "In" not in operations["qualification_title"]


def test_every_enumeration_search_column_gets_the_select(app):
    """Contacts (kind, channel), clients (gender), trainings, funding, partners: all from the formatter."""
    from app.core.filters import ENUM_FILTERS

    checked = 0
    from app.core.views import IqModelView

    for view in app.appbuilder.baseviews:
        if not isinstance(view, IqModelView):
            continue
        filters = view._filters
        for column in getattr(view, "search_columns", None) or ():
            owner = getattr((view.formatters_columns or {}).get(column), "__self__", None)
            if owner is not None and hasattr(owner, "keys"):
                classes = [type(f) for f in filters.get_search_filters()[column]]
                assert classes == list(ENUM_FILTERS), (type(view).__name__, column)
                assert [type(f) for f in filters._all_filters[column]] == classes  # the URL uses these
                checked += 1
    assert checked >= 8


def test_case_list_finds_a_client_by_name_or_number(login_as, client, cases, german_default):
    login_as("t_flt_staff", "Staff", ["migra"])
    html = client.get("/caseview/list/").get_data(as_text=True)
    labels, fields, operations = _filter_widget(html)
    assert labels["client"] == "Ratsuchende(r)" and operations["client"] == ["Name oder Nummer beginnt mit"]
    assert '<input class="form-control" id="client"' in fields["client"]  # a text field, no select of all clients
    number, _client_id = cases["olena"]

    def found(term):
        return _ids(client.get("/caseview/list/", query_string={"_flt_0_client": term}).get_data(as_text=True))

    assert found("Kovalenko") == {cases["open"]}  # genres' Kovalenko is out of scope
    assert found("kov") == {cases["open"]}
    assert found("Kow") == {cases["closed"]}
    assert found("Kovalenko, Ol") == {cases["open"]}
    assert found("Kovalenko, J") == set()
    assert found(number) == {cases["open"]}
    assert found(cases["jakub"][:8]) >= {cases["closed"]}
    assert found("100%_") == set()  # wildcards are literal


def test_staff_of_another_partner_finds_only_its_own(login_as, client, cases):
    login_as("t_flt_other", "Staff", ["genres"])
    html = client.get("/caseview/list/", query_string={"_flt_0_client": "Kovalenko"}).get_data(as_text=True)
    assert _ids(html) == {cases["foreign"]}
    number, client_id = cases["olena"]
    html = client.get("/caseview/list/", query_string={"_flt_0_client": number}).get_data(as_text=True)
    assert _ids(html) == set() and "Olena" not in html and f"/clientview/show/{client_id}" not in html


def test_without_the_right_to_read_names_only_the_number_is_searched(app, ctx, cases, make_user):
    """Management never sees names, so a name finds nothing for it; the number still does."""
    from flask import g
    from flask_appbuilder.security.sqla.models import User

    from app.cases.views import CaseView
    from app.core.filters import FilterClientNameOrNumber
    from app.extensions import db

    make_user("t_flt_mgmt", "Management", ["migra"])
    user = ctx.execute(select(User).filter_by(username="t_flt_mgmt")).scalar_one()
    number, _client_id = cases["olena"]
    view = next(v for v in app.appbuilder.baseviews if isinstance(v, CaseView))
    flt = FilterClientNameOrNumber("client", view.datamodel)
    from app.security.scoping import aggregate_scope

    # Management reads cases only as figures (roles per membership: aggregate scope, as reports do).
    with app.test_request_context("/caseview/list/"), aggregate_scope():
        g.user = user
        by_name = flt.apply(db.session.query(Case), ["Kovalenko"]).all()
        by_number = flt.apply(db.session.query(Case), [number]).all()
        assert by_name == [] and [c.id for c in by_number] == [cases["open"]]
