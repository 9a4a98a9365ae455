"""Dates in forms and list filters (app.core.dates): one parser, German and ISO, input kept when refused."""
import re
from datetime import date

import pytest

from app.cases.models import Case, Contact
from app.core.dates import DateInputError, parse_date
from tests.conftest import post_form


# --- the parser ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("21.10.2013", date(2013, 10, 21)),
    ("1.2.2013", date(2013, 2, 1)),
    (" 01.02.2013 ", date(2013, 2, 1)),      # day first: 1 February, not 2 January
    ("2013-10-21", date(2013, 10, 21)),
    ("2013-1-2", date(2013, 1, 2)),
    ("29.02.2012", date(2012, 2, 29)),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_parser_reads_german_and_iso_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31.02.2013", "29.02.2013", "32.01.2013", "21.13.2013", "21.10.13",
                                  "01/02/2013", "2013/10/21", "21-10-2013", "20131021", "21.10.2013x",
                                  "heute", "0.0.0"])
def test_parser_refuses_impossible_and_ambiguous_dates(text):
    with pytest.raises(DateInputError) as refused:
        parse_date(text)
    assert refused.value.text == text.strip()


def test_message_names_the_input_and_the_format(app):
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("de"):
            assert str(DateInputError("31.02.2013")) == "„31.02.2013“ ist kein gültiges Datum (TT.MM.JJJJ)."
        with force_locale("en"):
            assert str(DateInputError("31.02.2013")) == "“31.02.2013” is not a valid date (DD.MM.YYYY)."


def test_fab_signatures_the_overrides_rely_on():
    """Checked against FAB 5.3: what app.core.dates replaces is still where it was."""
    import flask_appbuilder
    from flask_appbuilder.fieldwidgets import DatePickerWidget
    from flask_appbuilder.forms import FieldConverter
    from flask_appbuilder.models.sqla.filters import (FilterEqual, FilterGreater, FilterNotEqual, FilterSmaller,
                                                      SQLAFilterConverter)
    from wtforms import DateField

    from app.core.dates import DateFilterConverter
    from app.core.listing import ScaledInterface

    assert flask_appbuilder.__version__.startswith("5.3")
    assert ("is_date", DateField, DatePickerWidget) in FieldConverter.conversion_table
    stock = dict(SQLAFilterConverter.conversion_table)["is_date"]
    assert stock == [FilterEqual, FilterGreater, FilterSmaller, FilterNotEqual]
    ours = DateFilterConverter.conversion_table[0]
    assert ours[0] == "is_date" and [f.arg_name for f in ours[1]] == [f.arg_name for f in stock]
    assert ScaledInterface.filter_converter_class is DateFilterConverter


# --- forms ---------------------------------------------------------------------------------------
def _input(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def _value(html, name):
    return re.search(r'value="([^"]*)"', _input(html, name)).group(1)


def test_follow_up_contact_takes_a_german_date(german_default, login_as, client, ctx, factories):
    case = factories.case(partner="migra", opened_on=date(2013, 10, 14))
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/contactview/add", {"case": str(case.id), "date": "21.10.2013",
                                                      "kind": "follow_up", "channel": "phone"})
    assert response.status_code == 302
    ctx.expire_all()
    assert [c.date for c in ctx.query(Contact).all()] == [date(2013, 10, 21)]


def test_case_edit_shows_german_date_and_keeps_an_impossible_one(german_default, login_as, client, ctx,
                                                                   factories):
    case = factories.case(partner="migra", opened_on=date(2013, 10, 14))
    login_as("t_staff", "Staff", ("migra",))
    html = client.get(f"/caseview/edit/{case.id}").get_data(as_text=True)
    field = _input(html, "opened_on")
    assert 'value="14.10.2013"' in field and 'placeholder="TT.MM.JJJJ"' in field
    assert "appbuilder_date" not in field and 'data-date-format="dd.mm.yyyy"' in field
    # The picker opens inside the programme window (config PROGRAMME_START/END).
    assert 'data-date-start-date="01.07.2011"' in field and 'data-date-end-date="31.12.2014"' in field
    response = post_form(client, f"/caseview/edit/{case.id}",
                         {"opened_on": "31.02.2013", "version": str(case.version),
                          "qualification_title": "Bauingenieur"}, form_url=f"/caseview/edit/{case.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "„31.02.2013“ ist kein gültiges Datum (TT.MM.JJJJ)." in html
    assert _value(html, "opened_on") == "31.02.2013"  # the input is kept
    assert "Dieses Feld wird benötigt" not in html and "Kein gültiges Datum." not in html
    ctx.expire_all()
    assert ctx.get(Case, case.id).opened_on == date(2013, 10, 14)
    response = post_form(client, f"/caseview/edit/{case.id}",
                         {"opened_on": "21.10.2013", "version": str(case.version),
                          "qualification_title": "Bauingenieur"}, form_url=f"/caseview/edit/{case.id}")
    assert response.status_code == 302
    ctx.expire_all()
    assert ctx.get(Case, case.id).opened_on == date(2013, 10, 21)


def test_english_forms_show_day_first_and_accept_iso(login_as, client, ctx, factories):
    case = factories.case(partner="migra", opened_on=date(2013, 10, 14))
    login_as("t_staff", "Staff", ("migra",))
    field = _input(client.get(f"/caseview/edit/{case.id}").get_data(as_text=True), "opened_on")
    assert 'value="14.10.2013"' in field and 'placeholder="DD.MM.YYYY"' in field
    response = post_form(client, f"/caseview/edit/{case.id}",
                         {"opened_on": "2013-10-21", "version": str(case.version),
                          "qualification_title": "Bauingenieur"})
    assert response.status_code == 302
    ctx.expire_all()
    assert ctx.get(Case, case.id).opened_on == date(2013, 10, 21)


def test_birth_date_picker_is_not_bound_to_the_programme_window(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    field = _input(client.get("/clientview/add").get_data(as_text=True), "birth_date")
    assert "iq-date" in field and "data-date-start-date" not in field


def test_required_empty_date_says_required(german_default, login_as, client, ctx, factories):
    case = factories.case(partner="migra")
    login_as("t_staff", "Staff", ("migra",))
    response = post_form(client, "/contactview/add", {"case": str(case.id), "date": "", "kind": "follow_up",
                                                      "channel": "phone"})
    assert response.status_code == 200
    assert ctx.query(Contact).count() == 0


# --- list filters ----------------------------------------------------------------------------------
def _listed_ids(html):
    return {int(pk) for pk in re.findall(r'/caseview/show/(\d+)', html)}


def test_list_filter_takes_german_dates(german_default, login_as, client, factories):
    first = factories.case(partner="migra", opened_on=date(2013, 1, 1))
    factories.case(partner="migra", opened_on=date(2013, 2, 1))
    later = factories.case(partner="migra", opened_on=date(2013, 3, 5))
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/caseview/list/?_flt_0_opened_on=01.01.2013").get_data(as_text=True)
    assert _listed_ids(html) == {first.id}
    html = client.get("/caseview/list/?_flt_1_opened_on=01.02.2013").get_data(as_text=True)  # after
    assert _listed_ids(html) == {later.id}
    html = client.get("/caseview/list/?_flt_0_opened_on=2013-01-01").get_data(as_text=True)
    assert _listed_ids(html) == {first.id}


def test_unreadable_filter_finds_nothing_and_says_why(german_default, login_as, client, factories):
    factories.case(partner="migra", opened_on=date(2013, 1, 1))
    login_as("t_staff", "Staff", ("migra",))
    html = client.get("/caseview/list/?_flt_1_opened_on=31.02.2013").get_data(as_text=True)
    assert _listed_ids(html) == set()
    assert html.count("„31.02.2013“ ist kein gültiges Datum (TT.MM.JJJJ).") == 1


def test_export_and_api_refuse_an_unreadable_date_filter(login_as, client, api_token, factories):
    factories.case(partner="migra", opened_on=date(2013, 1, 1))
    headers = api_token("t_api", "Staff", ("migra",))
    response = client.get("/api/v1/case/?q=(filters:!((col:opened_on,opr:gt,value:'31.02.2013')))",
                          headers=headers)
    assert response.status_code == 400
    assert response.get_json()["message"] == "“31.02.2013” is not a valid date (DD.MM.YYYY)."
    ok = client.get("/api/v1/case/?q=(filters:!((col:opened_on,opr:eq,value:'2013-01-01')))", headers=headers)
    assert ok.status_code == 200 and ok.get_json()["count"] == 1
    later = client.get("/api/v1/case/?q=(filters:!((col:opened_on,opr:gt,value:'2013-01-01')))", headers=headers)
    assert later.status_code == 200 and later.get_json()["count"] == 0
    # FAB maps "eq"/"gt" globally to the last filter class of that name: other columns keep FAB's filters.
    for status, count in (("open", 1), ("closed", 0)):
        listed = client.get(f"/api/v1/case/?q=(filters:!((col:status,opr:eq,value:{status})))", headers=headers)
        assert listed.status_code == 200 and listed.get_json()["count"] == count
    login_as("t_staff", "Staff", ("migra",))
    refused = client.get("/exports/cases.csv?_flt_1_opened_on=31.02.2013")
    assert refused.status_code == 400 and "31.02.2013" in refused.get_data(as_text=True)


def test_api_keeps_iso_dates(api_token, client, factories):
    """CONTRACT.md: the API takes ISO dates; a German one is refused with a message, not garbled."""
    person = factories.client(partner="migra")
    headers = api_token("t_api", "Staff", ("migra",))
    refused = client.post("/api/v1/case/", json={"client": person.id, "opened_on": "21.10.2013"}, headers=headers)
    assert refused.status_code in (400, 422)
    assert "opened_on" in refused.get_data(as_text=True)
    created = client.post("/api/v1/case/", json={"client": person.id, "opened_on": "2013-10-21"}, headers=headers)
    assert created.status_code == 201, created.get_json()
