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
