"""``GET /clients/<pk>/art15.json`` and ``/clients/<pk>/art15.pdf``: the Art. 15 report of one client.

Permission: ``Clients`` read (Management has none: 403); who may produce it and the scope are decided
in ``app.clients.art15`` (another partner's client: 404; no Staff membership at its partner: 403).
The PDF is German; a client whose counselling language is one of the letter languages (en, ru, ar)
gets a cover letter in that language before the German one, as the confirmation letter does.
"""
import json
from datetime import date

from flask import make_response, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import force_locale, gettext as _

from app.clients.art15 import SECTION_TITLES, Art15Report, load_client, record_production
from app.extensions import db
from app.reports.confirmation import RTL, letter_languages
from app.reports.rendering import css_string, pdf_response, render_pdf, wants_pdfa
from app.security.access_log import note_clients
from app.security.roles import CLIENTS

REPORT_LANGUAGE = "de"  # the report itself; the cover letter follows the client's language


def _actor():
    from flask import g

    user = getattr(g, "user", None)
    return getattr(user, "username", None)


class Art15View(BaseView):
    route_base = "/clients"
    class_permission_name = CLIENTS
    method_permission_name = {"art15_json": "read", "art15_pdf": "read"}

    @expose("/<int:pk>/art15.json")
    @has_access
    def art15_json(self, pk):
        client = load_client(db.session, pk)
        report = Art15Report(db.session, client)
        body = report.as_json(_actor())
        record_production(db.session, client, "json")
        note_clients([client.id])
        response = make_response(json.dumps(body, ensure_ascii=False, indent=1))
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="art15-{client.client_number}.json"'
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:pk>/art15.pdf")
    @has_access
    def art15_pdf(self, pk):
        client = load_client(db.session, pk)
        report = Art15Report(db.session, client)
        languages = letter_languages(request.args.get("lang"), client.counselling_language)
        with force_locale(REPORT_LANGUAGE):
            context = report.pdf_context()
            html_args = dict(
                languages=languages, rtl=RTL, today=date.today(), sections={k: str(v) for k, v in SECTION_TITLES.items()},
                page_label=css_string(_("Page") + " "), of_label=css_string(" " + _("of") + " "), **context,
            )
            record_production(db.session, client, "pdf", languages[0])
            data = render_pdf("reports/art15.html", pdfa=wants_pdfa(request.args), **html_args)
        note_clients([client.id])
        return pdf_response(data, f"art15-{client.client_number}.pdf")
