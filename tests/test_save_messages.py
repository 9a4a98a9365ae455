"""Edit forms show amounts and hours in the UI language and read them back in German and English
notation; saves and deletes say which record (issue 9 item 9: no "Added Row"/"Changed Row")."""
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import select

from app.funding.models import Funding
from app.trainings.models import Training
from tests.conftest import post_form


def form_values(html, form_id=None):
    """The fields a browser would send: inputs (not checkboxes left unticked), selected options."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or re.search(r'type="(submit|button|checkbox)"', tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body)
        if chosen:
            values[name] = unescape(chosen.group(1))
    return values


def _flashes(html):
    return [unescape(m) for m in re.findall(r'<div class="alert alert-[a-z]+[^"]*"[^>]*>.*?</button>\s*(.*?)\s*</div>',
                                            html, re.S)]


@pytest.fixture
def funding(factories):
    return factories.funding(planned_amount=Decimal("20000.00"), spent_amount=Decimal("1234.50"))


def test_funding_edit_form_shows_and_reads_german_amounts(login_as, client, ctx, funding, german_default):
    login_as("t_num_admin", "Admin", [])
    html = client.get(f"/fundingview/edit/{funding.id}").get_data(as_text=True)
    values = form_values(html)
    assert values["planned_amount"] == "20.000,00" and values["spent_amount"] == "1.234,50"
    assert "20000.00" not in html
    values.update(planned_amount="25.000,50", spent_amount="2000.5")  # German, and a plain decimal point
    response = post_form(client, f"/fundingview/edit/{funding.id}", values, follow_redirects=True)
    assert response.status_code == 200
    ctx.expire_all()
    saved = ctx.get(Funding, funding.id)
    assert saved.planned_amount == Decimal("25000.50") and saved.spent_amount == Decimal("2000.50")


def test_funding_edit_form_in_english(login_as, client, ctx, funding):
    login_as("t_num_admin", "Admin", [])
    values = form_values(client.get(f"/fundingview/edit/{funding.id}").get_data(as_text=True))
    assert values["planned_amount"] == "20,000.00"
    values.update(planned_amount="30,000.25", spent_amount="3.000,75")  # English, and German notation
    post_form(client, f"/fundingview/edit/{funding.id}", values)
    ctx.expire_all()
    saved = ctx.get(Funding, funding.id)
    assert saved.planned_amount == Decimal("30000.25") and saved.spent_amount == Decimal("3000.75")


def test_a_bad_amount_is_kept_with_a_message(login_as, client, ctx, funding, german_default):
    login_as("t_num_admin", "Admin", [])
    values = form_values(client.get(f"/fundingview/edit/{funding.id}").get_data(as_text=True))
    values.update(planned_amount="20.000,5x")
    html = post_form(client, f"/fundingview/edit/{funding.id}", values).get_data(as_text=True)
    assert "„20.000,5x“ ist keine gültige Zahl" in unescape(html)
    assert 'value="20.000,5x"' in html
    ctx.expire_all()
    assert ctx.get(Funding, funding.id).planned_amount == Decimal("20000.00")


@pytest.mark.parametrize("stored, shown_de, shown_en", [("16.0", "16", "16"), ("16.5", "16,5", "16.5")])
def test_training_hours_in_the_edit_form(login_as, client, factories, app, stored, shown_de, shown_en):
    training = factories.training(hours=Decimal(stored))
    login_as("t_num_staff", "Staff", ["migra"])
    client.get("/lang/de")
    assert form_values(client.get(f"/trainingview/edit/{training.id}").get_data(as_text=True))["hours"] == shown_de
    client.get("/lang/en")
    assert form_values(client.get(f"/trainingview/edit/{training.id}").get_data(as_text=True))["hours"] == shown_en


def test_training_hours_are_read_back_in_german(login_as, client, ctx, factories, german_default):
    training = factories.training(hours=Decimal("16.0"))
    login_as("t_num_staff", "Staff", ["migra"])
    values = form_values(client.get(f"/trainingview/edit/{training.id}").get_data(as_text=True))
    values["hours"] = "7,5"
    post_form(client, f"/trainingview/edit/{training.id}", values)
    ctx.expire_all()
    assert ctx.get(Training, training.id).hours == Decimal("7.5")


def test_save_names_the_record_in_german(login_as, client, ctx, factories, german_default):
    case = factories.case()
    number = case.client.client_number
    login_as("t_msg_staff", "Staff", ["migra"])
    values = form_values(client.get(f"/caseview/edit/{case.id}").get_data(as_text=True))
    values["qualification_title"] = "Ärztin"
    html = post_form(client, f"/caseview/edit/{case.id}", values, follow_redirects=True).get_data(as_text=True)
    assert f"Beratungsfall #{case.id} {number} gespeichert." in unescape(html)
    assert "Changed Row" not in html and "Zeile" not in html


def test_add_and_delete_name_the_record_in_english(login_as, client, ctx, factories):
    login_as("t_msg_admin", "Admin", [])
    values = form_values(client.get("/trainingview/add").get_data(as_text=True))
    migra = factories.partner("migra").id
    values.update(partner=str(migra), date="04.06.2013", title="Interkulturelle Öffnung", target_institution="jobcenter",
                  hours="6", participants_female="3", participants_male="2", participants_diverse="0")
    html = post_form(client, "/trainingview/add", values, follow_redirects=True).get_data(as_text=True)
    assert "Training Interkulturelle Öffnung created." in unescape(html) and "Added Row" not in html
    training = ctx.execute(select(Training).filter_by(title="Interkulturelle Öffnung")).scalar_one()
    html = post_form(client, f"/trainingview/delete/{training.id}", {}, form_url="/trainingview/list/",
                     follow_redirects=True).get_data(as_text=True)
    assert "Training Interkulturelle Öffnung deleted." in unescape(html) and "Deleted Row" not in html


def test_fab_save_messages_this_replaces():
    """Checked against FAB 5.3: the stock messages are class attributes flashed by its _add/_edit/_delete."""
    import inspect

    from flask_appbuilder.baseviews import BaseCRUDView

    assert str(BaseCRUDView.add_row_message._args[0]) == "Added Row"
    assert str(BaseCRUDView.edit_row_message._args[0]) == "Changed Row"
    assert str(BaseCRUDView.delete_row_message._args[0]) == "Deleted Row"
    assert "self.add_row_message" in inspect.getsource(BaseCRUDView._add)
    assert "self.delete_row_message" in inspect.getsource(BaseCRUDView._delete)


def test_detail_pages_show_no_none_true_or_raw_numbers(login_as, client, factories, german_default):
    """Issue 9 item 9 walked through the other detail pages: empty values stay empty."""
    import re as _re

    person = factories.client(phone=None, email=None, district=None)
    case = factories.case(client=person, notes=None, closed_on=None, reference_occupation_id=None)
    contact = factories.contact(case, minutes=None)
    training = factories.training(hours=Decimal("16.0"))
    funding = factories.funding(planned_amount=Decimal("20000.00"), spent_amount=None)
    login_as("t_none_admin", "Admin", [])
    for url in (f"/clientview/show/{person.id}", f"/caseview/show/{case.id}", f"/contactview/show/{contact.id}",
                f"/trainingview/show/{training.id}", f"/fundingview/show/{funding.id}",
                f"/partnerview/show/{case.partner_id}"):
        html = client.get(url).get_data(as_text=True)
        text = _re.sub(r"\s+", " ", _re.sub(r"<[^>]+>", " ", _re.sub(r"<script.*?</script>", " ", html, flags=_re.S)))
        assert " None " not in text and " True " not in text and " False " not in text, url
        assert "16.0" not in text and "20000.00" not in text, url
