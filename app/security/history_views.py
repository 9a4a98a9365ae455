"""``GET /clients/<pk>/history`` and ``/cases/<pk>/history``: the "Verlauf" (history) of one record.

The show pages load their history tab from here when the tab is opened (issue 10: the history cost a
client page about ten statements and a case page nine — the events, the records deleted since, and a
name per table for the formatting — for a tab most visits never open). Asked with
``X-Requested-With: fetch`` it answers the tab's HTML fragment, otherwise a page of its own, so the
tab's link also works without JavaScript.

Permission: the same as the show page of the record (``Clients`` / ``Cases`` read); the record is read
through the partner scope (another partner's record: 404). The history shows old and new values of
personal fields, so it is a display of the client's personal data: logged in the read-access log.
"""
from flask import abort, render_template, request
from flask_appbuilder import BaseView, expose, has_access

from app.security.access_log import note_clients
from app.security.roles import CASES, CLIENTS


def history_url(kind, pk):
    """Jinja global: where the show page's history tab loads from."""
    return f"/{'clients' if kind == 'client' else 'cases'}/{int(pk)}/history"


def _answer(view, kind, pk):
    from app.security.history import record_history

    history = record_history(kind, pk)
    if history.record is None:
        abort(404)
    note_clients([history.record.id if kind == "client" else history.record.client_id])
    if request.headers.get("X-Requested-With") == "fetch":
        return render_template("security/history_fragment.html", history=history)
    from app.security import audit_format

    history.record_label = audit_format.record_label("client" if kind == "client" else "counselling_case", str(pk))
    back_url = f"/{'clientview' if kind == 'client' else 'caseview'}/show/{int(pk)}"
    return view.render_template("security/history_page.html", history=history, back_url=back_url)


class ClientHistoryView(BaseView):
    route_base = "/clients"
    class_permission_name = CLIENTS
    method_permission_name = {"history": "read"}

    @expose("/<int:pk>/history")
    @has_access
    def history(self, pk):
        return _answer(self, "client", pk)


class CaseHistoryView(BaseView):
    route_base = "/cases"
    class_permission_name = CASES
    method_permission_name = {"history": "read"}

    @expose("/<int:pk>/history")
    @has_access
    def history(self, pk):
        return _answer(self, "case", pk)
