"""The FAB overrides stay in one documented place (app/core/views.py, issue 9), checked against
Flask-AppBuilder 5.3.0: a FAB upgrade that moves or renames what they rely on fails here, not in a
user's form."""
import inspect

import flask_appbuilder
from flask_appbuilder import ModelView

from app.core import views

#: FAB members IqModelView overrides (the table in app/core/views.py's docstring).
OVERRIDDEN = {"__init__", "_init_titles", "_init_forms", "_init_properties", "_related_views",
              "get_init_inner_views", "_add", "_edit", "_delete", "action", "action_post", "search_widget"}

#: FAB methods the overrides (and the domain views' hooks) call or replace, with their 5.3.0 parameters.
FAB_SIGNATURES = {
    "_add": ["self"],
    "_edit": ["self", "pk"],
    "_delete": ["self", "pk"],
    "_show": ["self", "pk"],
    "action": ["self", "name", "pk"],
    "action_post": ["self"],
    "_init_titles": ["self"],
    "_init_forms": ["self"],
    "_init_properties": ["self"],
    "get_init_inner_views": ["self"],
    "_get_add_widget": ["self", "form", "exclude_cols", "widgets"],
    "_get_edit_widget": ["self", "form", "exclude_cols", "widgets"],
    "_get_show_widget": ["self", "pk", "item", "widgets", "actions", "show_fieldsets"],
    "_fill_form_exclude_cols": ["self", "exclude_cols", "form"],
    "_get_related_views_widgets": ["self", "item", "orders", "pages", "page_sizes", "widgets", "args"],
    "_deserialize_pk_if_composite": ["self", "pk"],
    "process_form": ["self", "form", "is_created"],
    "prefill_form": ["self", "form", "pk"],
    "update_redirect": ["self"],
    "get_redirect": ["self"],
    "get_action_permission_name": ["self", "name"],
    "pre_add": ["self", "item"], "pre_update": ["self", "item"], "pre_delete": ["self", "item"],
    "post_add": ["self", "item"], "post_update": ["self", "item"], "post_delete": ["self", "item"],
}


def test_checked_against_this_fab_version():
    assert flask_appbuilder.__version__ == "5.3.0"
    assert "Flask-AppBuilder 5.3.0" in views.__doc__


def test_iq_model_view_overrides_exactly_the_documented_fab_members():
    own = {name for name, value in vars(views.IqModelView).items()
           if hasattr(ModelView, name) and (callable(value) or isinstance(value, property))}
    assert own == OVERRIDDEN
    for name in OVERRIDDEN - {"__init__"}:
        assert f"``{name}``" in views.__doc__, name


def test_the_fab_methods_relied_on_keep_their_signatures():
    for name, parameters in FAB_SIGNATURES.items():
        assert list(inspect.signature(getattr(ModelView, name)).parameters) == parameters, name
    # _related_views: FAB 5.3 reads and assigns it as a plain attribute (IqModelView makes it a property).
    source = inspect.getsource(flask_appbuilder.baseviews.BaseCRUDView)
    assert "self._related_views = self._related_views or []" in source
    assert "for view in self._related_views:" in source


def test_the_domain_helpers_live_outside_the_overrides():
    from app.core import display, forms

    for helper in ("enum_formatter", "country_formatter", "date_formatters", "json_formatter", "version_field",
                   "declare_enumerations"):
        assert getattr(getattr(views, helper, None), "__module__", None) != views.__name__, helper
    assert callable(display.enum_formatter) and callable(display.date_formatters)
    assert callable(forms.version_field) and callable(forms.declare_enumerations)
