"""A list's search form rendered once per view and language while its choices stay the same (issue 10).

FAB 5.3.0's ``SearchWidget`` renders every search field on every list page (the case list: ten fields,
three of them selects of reference tables) and hands them to the page's script as JSON; the form is
always empty (the active filters travel separately, ``get_filters_values_tojson``), so its HTML
depends only on the view, the UI language and the fields' choices. It is kept when every field's
choices are the same for every user: fields without choices, enumeration selects
(``app.core.forms.enum_field``) and the reference-table selects of ``app.core.choices``; it is
kept under that module's ``generation()``, which changes whenever one of its lists is read anew or
dropped, and only until the first of those lists expires, so it is never older than the lists it shows. A search form
with any other select (FAB's user and role views: choices read per request) is rendered per page.
"""
import time

from flask import current_app, request
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.widgets import SearchWidget
from flask_babel import get_locale
from wtforms.fields.core import UnboundField

from app.core import choices as kept_choices

_MAX_ENTRIES = 512
_cache = {}  # key -> (expires at, (label_columns, form_fields, search_filters))


def _same_for_everyone(form_class):
    """True if no field of the (unbound) form offers choices that depend on the request's user."""
    for unbound in vars(form_class).values():
        if not isinstance(unbound, UnboundField):
            continue
        query_func, choices = unbound.kwargs.get("query_func"), unbound.kwargs.get("choices")
        if query_func is not None and not getattr(query_func, "iq_kept", False):
            return False
        if callable(choices) and not getattr(choices, "iq_same_for_everyone", False):
            return False
    return True


class KeptSearchWidget(SearchWidget):
    """FAB's ``SearchWidget`` (checked against FAB 5.3.0) with its rendered fields kept; the active
    filters are read per request as FAB does."""

    def __call__(self, **kwargs):
        form = self.template_args["form"]
        if not _same_for_everyone(type(form)):
            return super().__call__(**kwargs)
        key = (id(current_app._get_current_object()), self.template_args.get("route_base"),
               str(get_locale() or ""), request.script_root, kept_choices.generation())
        now = time.monotonic()
        hit = _cache.get(key)
        if hit is None or hit[0] <= now:
            rendered = self._render_fields(form)
            if len(_cache) >= _MAX_ENTRIES:
                _cache.clear()
            _cache[key] = hit = (min(now + kept_choices.TTL, kept_choices.kept_until()), rendered)
        label_columns, form_fields, search_filters = hit[1]
        kwargs["label_columns"] = label_columns
        kwargs["form_fields"] = form_fields
        kwargs["search_filters"] = search_filters
        kwargs["active_filters"] = self.filters.get_filters_values_tojson()
        return super(SearchWidget, self).__call__(**kwargs)

    def _render_fields(self, form):
        """What FAB's ``SearchWidget.__call__`` builds per page, as plain strings."""
        label_columns, form_fields, search_filters = {}, {}, {}
        dict_filters = self.filters.get_search_filters()
        for col in self.template_args["include_cols"]:
            label_columns[col] = as_unicode(form[col].label.text)
            form_fields[col] = str(form[col]())
            search_filters[col] = [as_unicode(flt.name) for flt in dict_filters[col]]
        return label_columns, form_fields, search_filters


def forget():
    _cache.clear()
