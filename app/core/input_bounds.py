"""Bounds on list and id input, checked once per request before any view runs.

FAB 5.3 passes ``psize_<View>`` and ``page_<View>`` straight into the query (a page size of
100,000,000 renders every row; ``abc`` or 2^64 raise inside the driver → 500) and hands path ids
above the database's 64-bit integers to the driver (OverflowError → 500). Here: page sizes 1–100,
pages 0–1,000,000, anything else a translated 400; an id beyond 64 bits cannot exist → 404.
"""
import re

from flask import abort, request
from werkzeug.exceptions import BadRequest

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
_MAX_ID = 2**63 - 1
_INTEGER = re.compile(r"^-?\d+$")


class ListArgumentError(BadRequest):
    """A page or page-size argument outside its bounds."""


def _bounded_int(value, low, high):
    if not _INTEGER.match(value or "") or len(value) > 12:
        return False
    return low <= int(value) <= high


def check_input_bounds():
    for name, value in request.args.items(multi=True):
        if name.startswith("psize_") and not _bounded_int(value, 1, MAX_PAGE_SIZE):
            raise ListArgumentError()
        if name.startswith("page_") and not _bounded_int(value, 0, MAX_PAGE):
            raise ListArgumentError()
    for name, value in (request.view_args or {}).items():
        if name != "pk":
            continue
        if isinstance(value, str) and _INTEGER.match(value):
            value = int(value)
        if isinstance(value, int) and abs(value) > _MAX_ID:
            abort(404)


def init_input_bounds(app):
    app.before_request(check_input_bounds)
