"""app/core/forms.Select2Widget writes exactly what FAB's Select2Widget writes, only faster."""
from flask_appbuilder.fieldwidgets import Select2Widget as FabSelect2Widget
from wtforms import Form, SelectField

from app.core.forms import Select2Widget

CHOICES = [("", "—"), ("SY", "Syrien"), ("x\"<&>", "Tücke <b>&amp;</b> \"q\""), (7, 7), ("nolabel", "")]


def _forms(data):
    class Ours(Form):
        field = SelectField("F", choices=CHOICES, validate_choice=False, widget=Select2Widget())

    class Stock(Form):
        field = SelectField("F", choices=CHOICES, validate_choice=False, widget=FabSelect2Widget())

    return Ours(data={"field": data}), Stock(data={"field": data})


def test_same_markup_as_fab_for_every_selection(app):
    with app.test_request_context("/"):
        for selected in ("", "SY", "x\"<&>", 7, "nolabel", "absent"):
            ours, stock = _forms(selected)
            assert str(ours.field()) == str(stock.field()), selected
            assert str(ours.field(**{"aria-required": "true"})) == str(stock.field(**{"aria-required": "true"}))


def test_options_with_attributes_go_the_stock_way(app):
    class Both(Form):
        ours = SelectField("F", choices=[("a", "A", {"disabled": True}), (True, "yes")], widget=Select2Widget())
        stock = SelectField("F", choices=[("a", "A", {"disabled": True}), (True, "yes")], widget=FabSelect2Widget())

    with app.test_request_context("/"):
        form = Both()
        assert str(form.ours()).replace("ours", "X") == str(form.stock()).replace("stock", "X")


class _Row:
    def __init__(self, pk, name):
        self.id, self.name = pk, name

    def __str__(self):
        return self.name


def _query_forms(rows, data, allow_blank=True):
    from flask_appbuilder.fields import QuerySelectField

    def field(widget):
        return QuerySelectField("R", query_func=lambda: rows, get_pk_func=lambda row: row.id,
                                allow_blank=allow_blank, blank_text="—", widget=widget)

    class Ours(Form):
        rel = field(Select2Widget())

    class Stock(Form):
        rel = field(FabSelect2Widget())

    return Ours(data={"rel": data}), Stock(data={"rel": data})


def test_relation_selects_same_markup_as_fab_and_no_selection_kept_from_the_cache(app):
    """FAB's QuerySelectField (relations of the add/edit/search forms) through the cached options:
    the same markup as FAB's widget for each selection, one after the other over the same cached list."""
    import warnings

    rows = [_Row(1, "Ärztin <Humanmedizin>"), _Row(2, "Elektroniker & Co"), _Row(3, "Pflege")]
    with app.test_request_context("/"):
        for data in (rows[1], None, rows[0], rows[2], None):
            for allow_blank in (True, False):
                ours, stock = _query_forms(rows, data, allow_blank)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # FAB's tuples, normalised by WTForms
                    expected = str(stock.rel())
                assert str(ours.rel()) == expected, (data, allow_blank)
                assert str(ours.rel()).count("selected") == (0 if data is None and not allow_blank else 1)


def test_a_changed_label_or_row_is_rendered_anew(app):
    rows = [_Row(1, "Alt"), _Row(2, "Zwei")]
    with app.test_request_context("/"):
        first, _stock = _query_forms(rows, None)
        assert ">Alt<" in str(first.rel())
        rows[0].name = "Neu"
        rows.append(_Row(9, "Neun"))
        second, stock = _query_forms(rows, rows[2])
        html = str(second.rel())
        assert ">Neu<" in html and ">Alt<" not in html
        assert '<option selected value="9">Neun</option>' in html


def test_edit_form_relation_selects_use_the_cached_widget(app):
    """Every relation select of the views' add, edit and search forms is this module's widget."""
    from flask_appbuilder.fields import QuerySelectField
    from wtforms.fields.core import UnboundField

    from app.cases.views import CaseView

    view = next(v for v in app.appbuilder.baseviews if isinstance(v, CaseView))
    seen = 0
    for form in (view.add_form, view.edit_form, view.search_form):
        for unbound in vars(form).values():
            if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, QuerySelectField):
                assert isinstance(unbound.kwargs.get("widget"), Select2Widget), unbound
                seen += 1
    assert seen >= 4  # reference occupation and competent body in add and edit, the search form's relations
