"""How a client is named on screen: "Nachname, Vorname (Nr.)" for those who may read personal data.

Staff, PartnerAdmins and Admins read clients (``Clients`` permission) and see the name with the
number; everybody else (Management) sees the pseudonymous number only. Which clients a user can
load at all is the partner scope's business, not this module's.
"""
from flask import current_app, has_request_context
from markupsafe import Markup, escape

from app.security.roles import CLIENTS


def may_see_names():
    """True if the current user may read clients' personal data (never Management)."""
    if not has_request_context():
        return False
    return bool(current_app.appbuilder.sm.has_access("can_read", CLIENTS))


def client_label(client, names=None):
    """``Kovalenko, Olena (MIGR-ABC1234)`` or ``MIGR-ABC1234``."""
    if client is None:
        return ""
    if names is None:
        names = may_see_names()
    if names and (client.last_name or client.first_name):
        person = ", ".join(part for part in (client.last_name, client.first_name) if part)
        return f"{person} ({client.client_number})"
    return client.client_number or ""


def client_link(client):
    """The label, linked to the client's page for users who may read clients."""
    if client is None:
        return ""
    if not may_see_names():
        return client_label(client, names=False)
    from app.security.access_log import note_clients

    note_clients([client.id])  # the name is shown: logged like a client page
    url = _client_url(client.id)
    return Markup(f'<a class="iq-client-link" href="{escape(url)}">{escape(client_label(client, True))}</a>')


_MARKER = "__iq_client_pk__"


def _client_url(pk):
    """``url_for("ClientView.show", pk=pk)``, built once per request with a marker for the key: a
    list shows 25 to 100 client links, and each ``url_for`` walks the URL map."""
    from flask import g, url_for

    template = g.get("_iq_client_url")
    if template is None:
        template = g._iq_client_url = url_for("ClientView.show", pk=_MARKER)
    return template.replace(_MARKER, str(int(pk)), 1)
