"""Values as people read them (issue 9, item 9): no "None", "True", 20000.00, 16.0 or UTC timestamps;
the audit trail with labels, names and local time; no stock FAB leftovers."""
import re
from datetime import datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.core import display
from app.core.fab_strings import FAB_STRINGS
from app.security.models import AuditEvent
from tests.conftest import logout, post_form


def _text(response):
    html = response.get_data(as_text=True)
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_plain_values_in_german_and_english(app):
    with app.test_request_context():
        with force_locale("de"):
            assert display.money(Decimal("20000.00")) == "20.000,00\xa0€"
            assert display.number(Decimal("16.0")) == "16"
            assert display.number(Decimal("2.5")) == "2,5"
            assert display.plain(None) == "" and display.plain(True) == "ja"
            # stored in UTC, shown in Berlin time (CET in winter: +1 h)
            assert display.local_datetime(datetime(2026, 12, 1, 20, 37, 26, 281035)) == "01.12.2026, 21:37:26"
        with force_locale("en"):
            assert display.money(Decimal("20000.00")) == "€20,000.00"
            assert display.plain(False) == "no"


def test_case_page_shows_no_none(login_as, client, factories):
    case = factories.case(notes=None, closed_on=None)
    login_as("t_disp_staff", "Staff", ["migra"])
    text = _text(client.get(f"/caseview/show/{case.id}"))
    assert "Notes" in text and "None" not in text


def test_money_and_hours_in_the_ui_language(login_as, client, factories, german_default):
    factories.funding(planned_amount=Decimal("20000.00"), spent_amount=Decimal("1234.5"))
    factories.training(hours=Decimal("16.0"), title="Schulung Sechzehn")
    login_as("t_disp_admin", "Admin", [])
    text = _text(client.get("/fundingview/list/"))
    assert "20.000,00 €" in text and "1.234,50 €" in text and "20000.00" not in text
    text = _text(client.get("/trainingview/list/"))
    assert "Schulung Sechzehn" in text and " 16 " in text and "16.0" not in text
    client.get("/lang/en")
    text = _text(client.get("/fundingview/list/"))
    assert "€20,000.00" in text


def test_user_page_formats_active_and_last_login(login_as, client, ctx, make_user, german_default):
    from flask_appbuilder.security.sqla.models import User

    make_user("t_disp_member", "Staff", ["migra"])
    user = ctx.execute(select(User).filter_by(username="t_disp_member")).scalar_one()
    user.last_login = datetime(2026, 12, 1, 20, 37, 26, 281035)
    ctx.commit()
    login_as("t_disp_admin", "Admin", [])
    text = _text(client.get(f"/partnerusers/show/{user.id}"))
    assert "Aktiv ja" in text and "True" not in text
    assert "01.12.2026, 21:37:26" in text and "281035" not in text


def test_new_user_form_preselects_staff_and_the_single_partner(login_as, client, ctx):
    from app.partners.models import Partner

    migra = ctx.execute(select(Partner.id).filter_by(code="migra")).scalar_one()
    login_as("t_disp_padmin", "PartnerAdmin", ["migra"])
    html = client.get("/partnerusers/add").get_data(as_text=True)
    assert f'<option selected value="{migra}:Staff">' in html
    logout(client)
    login_as("t_disp_admin", "Admin", [])
    html = client.get("/partnerusers/add").get_data(as_text=True)
    assert 'selected value="network:Admin"' not in html
    assert re.search(r'id="membership_set"[^>]*>(?:(?!</select>).)*selected', html, flags=re.S) is None


def test_admin_menu_has_no_stock_security_category(login_as, client):
    login_as("t_disp_admin", "Admin", [])
    html = client.get("/caseview/list/").get_data(as_text=True)
    assert "/roles/list/" not in html and "/groups/list/" not in html and "/permissions/list/" not in html
    assert "/partnerusers/list/" in html  # the app's own user administration


STOCK_SECURITY_PAGES = ["/users/list/", "/users/show/{me}", "/users/add", "/users/edit/{me}", "/roles/list/",
                        "/roles/add", "/groups/list/", "/groups/add", "/permissions/list/", "/viewmenus/list/",
                        "/permissionviews/list/", "/userstatschartview/chart/"]


@pytest.mark.parametrize("path", STOCK_SECURITY_PAGES)
def test_stock_security_pages_answer_404_even_for_admin(login_as, client, ctx, path):
    """FAB's user, role, group and permission pages (Groups, regex permissions, "Ist aktiv? True") are
    replaced by the app's user administration (app/security/stock_views.py), not only hidden."""
    from flask_appbuilder.security.sqla.models import User

    login_as("t_disp_admin", "Admin", [])
    me = ctx.query(User.id).filter_by(username="t_disp_admin").scalar()
    assert client.get(path.format(me=me)).status_code == 404


def test_profile_page_reads_like_the_app(login_as, client, german_default):
    login_as("t_disp_staff", "Staff", ["migra"])
    text = _text(client.get("/users/userinfo/"))
    assert "Aktiv ja" in text and "Rolle Beratungspersonal" in text
    assert "True" not in text and "[Staff]" not in text and "Ist aktiv?" not in text
    html = client.get("/users/userinfo/").get_data(as_text=True)
    for action, target in (("resetmypassword", "/resetmypassword/form"), ("userinfoedit", "/userinfoeditview/form")):
        path = re.search(rf'action="([^"]*/users/action/{action}/\d+)"', html)  # the button's form (POST)
        assert path, action
        response = post_form(client, path.group(1), {"action": action}, form_url="/users/userinfo/")
        assert response.status_code == 302 and response.headers["Location"].endswith(target), action
        assert client.get(target).status_code == 200


def test_stock_fab_strings_are_german(app, login_as, client, factories, german_default):
    with app.test_request_context(), force_locale("de"):
        untranslated = [str(s) for s in FAB_STRINGS if str(s) == s._args[0] and s._args[0] != "OK"]
    assert untranslated == []
    factories.case()
    login_as("t_disp_admin", "Admin", [])  # deleting cases (and its confirmation) is for Admin only
    html = client.get("/caseview/list/").get_data(as_text=True)
    assert "Hinzufügen" in html and ">Add<" not in html and "Bearbeiten" in html
    assert "Soll dieser Datensatz wirklich gelöscht werden?" in html
    assert ">Cancel<" not in html and "Abbrechen" in html


def _event(ctx, table):
    ctx.rollback()
    return ctx.execute(select(AuditEvent).filter_by(table_name=table).order_by(AuditEvent.id.desc())).scalars().first()


def test_audit_trail_reads_like_the_ui(login_as, client, ctx, factories, german_default):
    case = factories.case(outcome="on_hold")
    case.outcome = "application_filed"
    ctx.commit()
    login_as("t_disp_admin", "Admin", [])
    text = _text(client.get("/auditeventview/list/"))
    assert "Zeitpunkt" in text and "UTC" not in text
    assert "Beratungsfall angelegt" in text and "Beratungsfall geändert" in text
    assert "counselling_case" not in text and " insert " not in text
    update = _event(ctx, "counselling_case")
    text = _text(client.get(f"/auditeventview/show/{update.id}"))
    assert "Ergebnis der Beratung ruhend Antrag gestellt" in text  # label, old, new – translated
    assert "on_hold" not in text and '"outcome"' not in text
    insert = ctx.execute(select(AuditEvent).filter_by(table_name="counselling_case", action="insert")).scalar_one()
    text = _text(client.get(f"/auditeventview/show/{insert.id}"))
    client_row = f"Ratsuchende(r) {case.client.last_name}, {case.client.first_name} ({case.client.client_number})"
    assert client_row in text  # the client's id resolved to its name for an Admin
    assert "Eröffnet am 14.03.2013" in text and "2013-03-14" not in text
    local = display.local_datetime
    with client.application.test_request_context(), force_locale("de"):
        shown = local(insert.at)
    assert shown in text


def test_audit_names_stay_hidden_outside_the_scope(app, ctx, factories):
    """A related record the reader may not load is shown as a bare number, never its name."""
    from app.security import audit_format
    from app.security.scoping import partner_scope

    other_id = factories.client(partner="genres", last_name="Geheim").id
    own = factories.client(partner="migra")
    own_id, own_number = own.id, own.client_number
    migra = factories.partner("migra").id
    with app.app_context(), partner_scope([migra]):
        assert audit_format.value_text("counselling_case", "client_id", other_id) == f"#{other_id}"
        # outside a request nobody "may see names": the number only
        assert audit_format.value_text("counselling_case", "client_id", own_id) == own_number


def test_fab_internals_the_overrides_rely_on():
    """Checked against FAB 5.3: the hooks and attributes app.core.views/filters and the case views use."""
    import inspect
    from pathlib import Path

    import flask_appbuilder
    from flask_appbuilder.baseviews import BaseCRUDView, BaseModelView
    from flask_appbuilder.models.filters import Filters

    assert flask_appbuilder.__version__.startswith("5.3")
    assert list(inspect.signature(BaseCRUDView._get_show_widget).parameters) == \
        ["self", "pk", "item", "widgets", "actions", "show_fieldsets"]
    assert list(inspect.signature(BaseCRUDView._get_add_widget).parameters) == \
        ["self", "form", "exclude_cols", "widgets"]
    assert "_init_properties" in vars(BaseModelView) and "_init_forms" in vars(BaseModelView)
    source = inspect.getsource(Filters)
    assert "self._search_filters" in source and "self._all_filters[column_name]" in source
    # our confirm dialog is FAB's with translated buttons: FAB's still hard-codes them
    stock = Path(flask_appbuilder.__file__).parent / "templates/appbuilder/general/confirm.html"
    ours = Path(__file__).parent.parent / "templates/appbuilder/general/confirm.html"
    assert ">Cancel<" in stock.read_text()
    assert ours.read_text().split("\n", 1)[1].replace('{{ _("Cancel") }}', "Cancel").replace(
        '{{ _("OK") }}', "OK") == stock.read_text()
