"""Bounds on list, id and query input, checked once per request before any view runs.

FAB 5.3 passes ``psize_<View>`` and ``page_<View>`` straight into the query (a page size of
100,000,000 renders every row; ``abc`` or 2^64 raise inside the driver → 500) and hands any path
id to the driver: above 2^63 SQLite's driver raises OverflowError, above 2^31 - 1 PostgreSQL's
``integer`` columns raise "integer out of range" (both 500). Here: page sizes 1–100, pages
0–1,000,000, anything else a translated 400; an id beyond ``MAX_ID`` cannot exist → 404.

The REST API's rison argument ``q`` is parsed here first (with FAB's JSON fallback): prison 0.2.1
recurses without end on unterminated input such as ``((((`` (RecursionError → FAB's 500 "Fatal
error") and raises TypeError on ``(a:``; a ``q`` that is no object, or a ``page_size`` outside
1–100 (FAB silently shrinks it to its maximum, so a client paging by its own size would skip
rows), is a translated 400 as well.

An unknown sort column or direction of a list (``_oc_<View>``, ``_od_<View>``) is a translated 400
(FAB 5.3 silently falls back to the default order).

ModelView's ``/download/<filename>`` serves uploaded files of file columns; no model has one and
there is no upload folder (FAB answers 500), so the route answers 404. A NUL character cannot be
stored in PostgreSQL text (psycopg raises ValueError → 500): in a query argument, form field or
JSON string it is a translated 400. FAB's ``POST /api/v1/security/login`` reads ``provider``
without checking that it was sent (KeyError → 500): a login body without it is a 400.
"""
import json
import re

import prison
from flask import abort, current_app, request
from flask_appbuilder import ModelView
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
MAX_QUERY_LENGTH = 10_000
MAX_ID = 2**31 - 1  # the ids are PostgreSQL ``integer`` (SQLite would allow 2^63 - 1)
_INTEGER = re.compile(r"^-?\d+$")


class ListArgumentError(BadRequest):
    """A page or page-size argument outside its bounds."""


class QueryArgumentError(BadRequest):
    """Input the app cannot take (the REST API's ``q``, a NUL character); ``message`` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _bounded_int(value, low, high):
    if not _INTEGER.match(value or "") or len(value) > 12:
        return False
    return low <= int(value) <= high


def _whole(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def parse_api_query(raw):
    """The REST API's ``q`` as FAB reads it (rison, else JSON), or QueryArgumentError."""
    if len(raw) > MAX_QUERY_LENGTH:
        raise QueryArgumentError(_("The query argument q is too long."))
    try:
        return prison.loads(raw)
    except prison.decoder.ParserException:
        pass
    except Exception:  # noqa: BLE001 - RecursionError, TypeError, IndexError inside prison
        raise QueryArgumentError(_("The query argument q is not valid rison.")) from None
    if current_app.config.get("FAB_API_ALLOW_JSON_QS", True):
        try:
            return json.loads(raw)
        except Exception:  # noqa: BLE001 - ValueError, RecursionError
            pass
    raise QueryArgumentError(_("The query argument q is not valid rison."))


def check_api_query():
    raw = request.args.get("q")
    if not raw:
        return
    value = parse_api_query(raw)
    if not isinstance(value, dict):
        raise QueryArgumentError(_("The query argument q must be a rison object, e.g. (page:0,page_size:25)."))
    if "page_size" in value and not _whole(value["page_size"], 1, MAX_PAGE_SIZE):
        raise QueryArgumentError(_("page_size must be a whole number from 1 to %(n)d.", n=MAX_PAGE_SIZE))
    if "page" in value and not _whole(value["page"], 0, MAX_PAGE):
        raise QueryArgumentError(_("page must be a whole number from 0 to %(n)d.", n=MAX_PAGE))


def _has_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def check_nul_characters():
    values = list(request.args.values())
    if request.method in ("POST", "PUT", "PATCH"):
        if request.is_json:
            values.append(request.get_json(silent=True))
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values.extend(request.form.values())
    if _has_nul(values) or "\x00" in request.path:
        raise QueryArgumentError(_("The input contains a NUL character, which cannot be stored."))


LOGIN_PATH = "/api/v1/security/login"


def check_login_body():
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict) and "provider" not in body:
        raise QueryArgumentError(_('The login needs "username", "password" and "provider": "db".'))


def check_input_bounds():
    check_nul_characters()
    if request.path == LOGIN_PATH and request.method == "POST":
        check_login_body()
    for name, value in request.args.items(multi=True):
        if name.startswith("psize_") and not _bounded_int(value, 1, MAX_PAGE_SIZE):
            raise ListArgumentError()
        if name.startswith("page_") and not _bounded_int(value, 0, MAX_PAGE):
            raise ListArgumentError()
        if name.startswith(("_oc_", "_od_")):
            check_list_order(name, value)
    if request.path.startswith("/api/"):
        check_api_query()
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "__func__", None) is ModelView.download:
        abort(404)
    for name, value in (request.view_args or {}).items():
        if name != "pk":
            continue
        if isinstance(value, str) and _INTEGER.match(value):
            value = int(value)
        if isinstance(value, int) and abs(value) > MAX_ID:
            abort(404)


def _list_view(name):
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == name and isinstance(view, ModelView):
            return view
    return None


def check_list_order(name, value):
    """``_oc_<View>``/``_od_<View>``: FAB ignores an unknown sort column silently, so a bookmarked or
    mistyped sort shows the default order as if it were the one asked for — a translated 400 says so."""
    if name.startswith("_od_") and value not in ("asc", "desc"):
        raise QueryArgumentError(_("The sort direction must be asc or desc."))
    if name.startswith("_oc_"):
        view = _list_view(name[4:])
        if view is not None and value not in (view.order_columns or ()):
            raise QueryArgumentError(_("The list cannot be sorted by %(column)s.", column=value[:40]))


def init_input_bounds(app):
    app.before_request(check_input_bounds)
