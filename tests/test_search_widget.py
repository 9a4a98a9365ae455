"""The search form kept per view and language (app/core/search_widget.py): the same HTML as FAB's stock
SearchWidget, a new reference record at once in its select, the active filters per request, and no
keeping for search forms whose choices depend on the user."""
import re

from flask_appbuilder.widgets import SearchWidget

from app.core import search_widget
from app.core.search_widget import KeptSearchWidget, _same_for_everyone


def _view(app, name):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def _render(app, widget_class, view, url="/caseview/list/"):
    from flask_appbuilder.urltools import get_filter_args

    with app.test_request_context(url):
        view._filters.clear_filters()
        get_filter_args(view._filters, disallow_if_not_in_search=False)
        widget = widget_class(route_base=view.route_base, form=view.search_form.refresh(),
                              include_cols=view.search_columns, exclude_cols=[], filters=view._filters)
        return re.sub(r'nonce="[^"]*"', "", str(widget()))


def test_kept_search_form_is_fabs_and_follows_the_active_filters(app):
    search_widget.forget()
    view = _view(app, "CaseView")
    stock = _render(app, SearchWidget, view)
    assert _render(app, KeptSearchWidget, view) == stock  # rendered and kept
    assert _render(app, KeptSearchWidget, view) == stock  # served from the kept copy
    filtered = "/caseview/list/?_flt_0_status=open"
    kept = _render(app, KeptSearchWidget, view, filtered)
    assert kept == _render(app, SearchWidget, view, filtered) and kept != stock  # active filters per request
    assert '"open"' in kept


def test_a_renamed_funding_period_shows_at_once(app, login_as, ctx):
    from app.funding.models import FundingPeriod

    web = login_as("t_sw_staff", "Staff", ("migra",))
    search_widget.forget()
    assert "Zeitraum t_sw" not in web.get("/caseview/list/").get_data(as_text=True)  # rendered and kept
    period = ctx.query(FundingPeriod).filter_by(code="2014").one()
    former = period.name
    period.name = "Zeitraum t_sw"
    ctx.commit()  # the flush drops the kept choices (app.core.choices), and with them the kept form
    try:
        page = web.get("/caseview/list/").get_data(as_text=True)
        assert "Zeitraum t_sw" in page and former not in page
    finally:
        period.name = former
        ctx.commit()


def test_search_forms_with_per_user_choices_are_not_kept(app):
    assert _same_for_everyone(_view(app, "CaseView").search_form)
    assert _same_for_everyone(_view(app, "ClientView").search_form)
    assert not _same_for_everyone(_view(app, "IqUserDBModelView").search_form)  # roles and groups read per page
