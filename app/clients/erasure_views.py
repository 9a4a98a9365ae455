"""Erasure (two steps, on the client page and by API) and the retention list (administration).

The rules live in ``app.clients.erasure`` and ``app.clients.retention``; these views only find the
client through the partner scope (another partner's client: 404), call the service, commit, and say
what happened in the user's language.
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.clients.erasure import confirm_erasure, open_request, request_erasure
from app.clients.models import Client
from app.clients.retention import count_due, due_clients
from app.core.errors import ScopeError
from app.core.refusals import REFUSED, refusal_for
from app.extensions import db
from app.security.roles import CLIENTS, DATA_PROTECTION
from app.security.scoping import log_denied

LISTED = 500  # rows on the retention page; the total is counted


def _client_or_404(pk):
    client = db.session.scalars(select(Client).where(Client.id == pk)).first()
    if client is None:
        log_denied("Client", None)
        abort(404)
    return client


def _user():
    user = getattr(g, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _run(step, client):
    """Run one step in one transaction: None, or the ``Refusal`` (status, field, message) mapped like
    every refused write (``app.core.refusals``); nothing is kept on any failure."""
    try:
        step(db.session, client, _user())
        db.session.commit()
        return None
    except REFUSED as error:
        db.session.rollback()
        if isinstance(error, ScopeError):
            raise  # another partner's record: answered 404 by the error handler, as in every view
        return refusal_for(error, where=f"in the erasure of client {client.id}")


def erasure_state(client):
    """For the client page: 'erased', 'requested' (with the request) or None."""
    if client.erased_at is not None:
        return "erased", None
    pending = open_request(db.session, client)
    return ("requested", pending) if pending is not None else (None, None)


class ErasureView(BaseView):
    route_base = "/clients"
    class_permission_name = CLIENTS
    method_permission_name = {"request_erasure": "write", "confirm_erasure": "write"}

    def _back(self, pk):
        return redirect(url_for("ClientView.show", pk=pk))

    @expose("/<int:pk>/erasure", methods=["POST"])
    @has_access
    def request_erasure(self, pk):
        client = _client_or_404(pk)
        refusal = _run(request_erasure, client)
        if refusal is None:
            flash(_("Erasure requested. A second person (staff of the partner or an administrator) must "
                    "confirm it."), "success")
        else:
            flash(str(refusal), "danger")
        return self._back(pk)

    @expose("/<int:pk>/erasure/confirm", methods=["POST"])
    @has_access
    def confirm_erasure(self, pk):
        client = _client_or_404(pk)
        refusal = _run(confirm_erasure, client)
        if refusal is None:
            flash(_("The client has been erased: personal data removed, statistics kept."), "success")
        else:
            flash(str(refusal), "danger")
        return self._back(pk)


class RetentionView(BaseView):
    """Administration → Retention: the clients whose delete-after day has passed (scoped)."""

    route_base = "/retention"
    default_view = "due"
    class_permission_name = DATA_PROTECTION
    method_permission_name = {"due": "read"}

    @expose("/")
    @has_access
    def due(self):
        rows = due_clients(db.session, limit=LISTED)
        return self.render_template("clients/retention.html", rows=rows, total=count_due(db.session))


class ClientErasureApi(BaseApi):
    """``POST /api/v1/client/<pk>/erasure``: the first call requests the erasure, a call by a second
    person confirms it (the client is then anonymised). JWT only, like the other APIs."""

    resource_name = "client"
    class_permission_name = CLIENTS
    method_permission_name = {"erasure": "write"}
    openapi_spec_tag = "Client erasure"

    @expose("/<int:pk>/erasure", methods=["POST"])
    @protect()
    def erasure(self, pk):
        """Request or confirm the erasure of a client (GDPR Art. 17).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: erased (second person)
            202:
              description: requested; a second person must confirm
            404:
              description: no such client in the user's partners
            409:
              description: changed by someone else meanwhile (nothing changed)
            422:
              description: refused by a rule, with the reason (and field)
        """
        client = db.session.scalars(select(Client).where(Client.id == pk)).first()
        if client is None:
            log_denied("Client", None)
            return self.response_404()
        step = confirm_erasure if open_request(db.session, client) is not None else request_erasure
        refusal = _run(step, client)
        if refusal is not None:
            return self.response(refusal.status, **refusal.as_json())
        if step is confirm_erasure:
            return self.response(200, status="erased", message=_("The client has been erased: personal data "
                                                                 "removed, statistics kept."))
        return self.response(202, status="requested",
                             message=_("Erasure requested. A second person (staff of the partner or an "
                                       "administrator) must confirm it."))
