"""Warm a freshly started worker before it takes requests (gunicorn ``post_worker_init``).

Without this the first request of each page after a restart pays for what is done once per
process: a database connection (and its role switch), the translation catalogues, compiling the
Jinja templates, and WeasyPrint's first layout (fontconfig, Pango and the fonts of the reports).
After the warm-up the objects built so far are moved out of the garbage collector's reach
(``gc.freeze``): they live as long as the process, and a full collection no longer walks the
app's hundreds of thousands of objects (that walk was half of the summary PDF's rendering time).

``IQ_WARMUP=0`` switches it off (to measure the difference with ``bench/cold_start.py``).
"""
import gc
import logging
import os
import time

log = logging.getLogger(__name__)

TINY_REPORT = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<link rel="stylesheet" href="print.css"><link rel="stylesheet" href="letter.css"></head><body>
<h1>Warm</h1><h2>up</h2><p>Äöü ß – “…” <b>bold</b> <i>italic</i></p>
<table><thead><tr><th>a</th><th class="n">1</th></tr></thead><tbody><tr><td>b</td><td class="n">2</td></tr>
<tr class="total"><td>c</td><td class="n">3</td></tr></tbody></table>
<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100" height="20" font-size="10">
<text x="1" y="12">x</text><rect x="20" y="2" width="40" height="13" fill="#2f6f9f"/></svg>
</body></html>"""


def enabled():
    return os.environ.get("IQ_WARMUP", "1") != "0"


def warm_up(app):
    """Do the once-per-process work now; returns the seconds it took."""
    started = time.perf_counter()
    if enabled():
        _warm(app)
        gc.collect()
        gc.freeze()
    return time.perf_counter() - started


def _warm(app):
    from flask_babel import force_locale
    from flask_babel import gettext as _
    from sqlalchemy import text
    from sqlalchemy.orm import configure_mappers

    from app.extensions import db
    from app.reports.rendering import html_to_pdf

    configure_mappers()
    with app.app_context():
        try:
            db.session.execute(text("SELECT 1"))  # one pooled connection, role and settings applied
        finally:
            db.session.remove()
        with app.test_request_context("/"):
            for language in app.config.get("LANGUAGES", {"de": None, "en": None}):
                with force_locale(language):
                    _("Page")
            for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
                try:
                    app.jinja_env.get_template(name)
                except Exception:  # a template of an unused FAB feature may not compile alone
                    log.debug("warm-up: template %s not compiled", name)
            for language in ("de", "en"):
                with force_locale(language):
                    html_to_pdf(TINY_REPORT)
            from app.core.languages import language_code

            language_code("de")  # the languages' own names (CLDR files), read on the first case page
