"""HTML → PDF with WeasyPrint, locked down so that document content can never reach files or the network.

* Templates are Jinja with autoescape: a value like ``<img src="file:///etc/passwd">`` prints as text.
* The URL fetcher (below) serves only files under ``app/static/reports`` by path; every other URL
  (``file:`` elsewhere, ``http(s):``, ``data:``, ``ftp:`` …) is refused before anything is opened,
  and nothing follows redirects because nothing is ever requested over a network.
* Attachments (``<link rel="attachment">``) are dropped before the PDF is written.
* Size and time are bounded by the documents themselves: the summary has a fixed number of
  tables with at most a few dozen rows each; case lists stop at ``REPORTS_MAX_ROWS`` rows.
"""
import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "reports"
MAX_RESOURCE_BYTES = 2 * 1024 * 1024
PDF_MIMETYPE = "application/pdf"


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's own report assets by path and refuses every other URL."""

    def __init__(self, root=STATIC_DIR):
        super().__init__(timeout=1, allowed_protocols={"file"}, allow_redirects=False)
        self.root = Path(root).resolve()
        self.refused = []

    def fetch(self, url, headers=None):
        path = self._allowed_path(url)
        if path is None:
            self.refused.append(url)
            log.warning("PDF renderer refused URL %.200s", url)
            raise ValueError("URL refused by the report renderer")
        with path.open("rb") as handle:
            body = handle.read(MAX_RESOURCE_BYTES + 1)
        if len(body) > MAX_RESOURCE_BYTES:
            raise ValueError("resource too large")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path2url(str(path)), body, {"Content-Type": content_type})

    def _allowed_path(self, url):
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost") or parts.query:
            return None
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path


def css_string(value):
    """A CSS string literal with every character but letters, digits and spaces hex-escaped."""
    escaped = "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):x} " for c in str(value))
    return Markup(f'"{escaped}"')


def render_pdf(template, pdfa=False, **context):
    """Render ``template`` to PDF bytes (PDF/A-3b when ``pdfa``)."""
    html = render_template(template, **context)
    return html_to_pdf(html, pdfa=pdfa)


def html_to_pdf(html, pdfa=False):
    fetcher = StaticOnlyFetcher()
    document = HTML(string=html, base_url=path2url(str(STATIC_DIR)), url_fetcher=fetcher).render()
    document.metadata.attachments = []
    pdfa = pdfa or current_app.config["REPORTS_PDFA"]
    return document.write_pdf(pdf_variant="pdf/a-3b" if pdfa else None)


def template_filters():
    """Jinja filters of the report templates (German date format, locale-aware numbers)."""
    from babel.numbers import format_decimal

    from app.core.models import format_date

    return {
        "german_date": format_date,
        "format_number": lambda value, locale: format_decimal(value or 0, "#,##0.#", locale=locale),
        "format_money": lambda value, locale: format_decimal(value or 0, "#,##0.00", locale=locale),
        "css_string": css_string,
    }


def wants_pdfa(args):
    return args.get("pdfa", "").lower() in {"1", "true", "yes"}


def pdf_response(data, filename):
    """A generated PDF shown inline; it holds personal data or partner figures, so no cache keeps it."""
    from flask import make_response

    response = make_response(data)
    response.headers["Content-Type"] = PDF_MIMETYPE
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
