"""Browser-facing protections for the whole app: CSRF on every state change, security headers.

Checked against Flask-AppBuilder 5.3 and Flask-WTF 1.x:

* ``CSRFProtect`` must be bound *before* ``appbuilder.init_app``: FAB's ``BaseApi.create_blueprint``
  exempts every REST API blueprint (``csrf_exempt = True``, JWT auth) only if the ``csrf`` extension
  is already registered. With it registered, FAB's ``is_get_mutation_allowed()`` answers False, so
  ``GET /<view>/delete/<pk>`` and ``GET /<view>/action/...`` refuse to change anything; the stock
  list's delete button already posts a hidden form with the token.
* CSP: FAB's templates carry inline ``<script>`` blocks whose content varies per row (delete
  buttons, filters, select2 set-up), so neither nonces nor hashes can cover them without forking
  FAB's templates. Scripts are therefore limited to this origin plus inline (``'unsafe-inline'``),
  while everything else that makes XSS or clickjacking useful is closed: no plugins, no foreign
  origins for scripts, styles, images, fonts or connections, forms post only here, ``base-uri``
  pinned, no framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``).
"""
import re
import uuid

from flask import g, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# A client-sent request id lands in logs and the audit trail: only a plain token is accepted.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def safe_request_id(value):
    """The client's X-Request-ID if it is a plain token, else a new one."""
    if value and _SAFE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def _is_static(path):
    return "/static/" in path


def init_web_security(app):
    """Bind CSRF protection (call before ``appbuilder.init_app``) and the response headers."""
    app.config.setdefault("WTF_CSRF_ENABLED", True)
    # Tokens live as long as the session; a form left open over lunch still saves.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        # Behind a reverse proxy: the client address (login limit per address) and scheme come
        # from the proxy's X-Forwarded-* headers, trusting exactly that many hops.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def _assign_request_id():
        g.request_id = safe_request_id(request.headers.get("X-Request-ID"))

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Request-ID", getattr(g, "request_id", ""))
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if not _is_static(request.path):
            # Pages, exports, letters and API answers may carry personal data: never cached.
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Pragma", "no-cache")
        return response
