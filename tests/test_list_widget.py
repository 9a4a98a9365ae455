"""The lighter list widget (templates/appbuilder/general/widgets/list.html) renders what FAB 5.3.0's
stock widget renders: the same page, byte for byte up to whitespace and the per-request nonce and
CSRF token, for Staff and Admin, with and without filters."""
import re
from datetime import date, timedelta
from pathlib import Path

import flask_appbuilder
import pytest
from jinja2 import ChoiceLoader, DictLoader

NAME = "appbuilder/general/widgets/list.html"
STOCK = (Path(flask_appbuilder.__file__).parent / "templates" / NAME).read_text()
VOLATILE = re.compile(r'(nonce|value|content)="[^"]*"')


def _normalised(html):
    return " ".join(VOLATILE.sub(r'\1=""', html).split())


def _page(app, client, url, template_source=None):
    env = app.jinja_env
    original = env.loader
    if template_source is not None:
        env.loader = ChoiceLoader([DictLoader({NAME: template_source}), original])
    env.cache.clear()
    try:
        response = client.get(url)
    finally:
        env.loader = original
        env.cache.clear()
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def some_cases(factories, ctx):
    for n in range(4):
        factories.case(opened_on=date(2013, 1, 1) + timedelta(days=n), commit=False)
    factories.case(partner="agsa", opened_on=date(2013, 1, 1), commit=False)
    ctx.commit()


@pytest.mark.parametrize("role,partners", [("Staff", ["migra"]), ("Admin", [])])
def test_our_list_widget_is_fabs_markup(app, login_as, some_cases, role, partners):
    assert "btn_crud" in STOCK  # the stock widget this one is compared with
    client = login_as(f"t_widget_{role.lower()}", role, partners)
    for url in ("/caseview/list/", "/caseview/list/?_flt_0_status=open", "/clientview/list/",
                "/partnerview/list/"):
        ours = _page(app, client, url)
        stock = _page(app, client, url, STOCK)
        assert "btn-group btn-group-xs" in ours, url  # rows with buttons were rendered
        assert _normalised(ours) == _normalised(stock), (role, url)
