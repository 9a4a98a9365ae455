"""Report pages and documents: dashboard, management summary and case list (Reports), and the
counselling confirmation (Cases: it carries personal data, so Staff may fetch it, Management not).

Permissions collapse to ``can_read`` on the domain (app/security/roles.py); the partner scope
restricts every query underneath, so the views hold no scope code of their own.
"""
from datetime import date

from flask import current_app, request, send_file
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from app.core.enums import STATES
from app.extensions import db
from app.funding.models import FundingPeriod
from app.reports.caselist import case_rows, listing_pages
from app.reports.confirmation import RTL, letter_languages, load_confirmation
from app.reports.monitoring import XLSX_MIMETYPE, resolve_monitoring, write_workbook
from app.reports.monitoring_queries import monitoring_figures
from app.reports.rendering import css_string, pdf_response, render_pdf, wants_pdfa
from app.reports.scope import resolve_scope
from app.reports.summary import build_summary
from app.security.access_log import note_clients
from app.security.partner_choice import selectable_partners
from app.security.roles import CASES, REPORTS
from app.security.scoping import use_aggregate_scope

SUMMARY_LANGUAGES = ("de", "en")


def _scope_from_request():
    """Reports show figures and pseudonymous rows only: they read over the aggregate scope (the
    partners where the user's membership role is Management or more), in the ORM and in RLS."""
    use_aggregate_scope()
    args = request.args
    return resolve_scope(db.session, args.get("period"), args.get("partner"), args.get("state"),
                         args.get("cutoff"))


def _language():
    lang = (request.args.get("lang") or "de").lower()
    return lang if lang in SUMMARY_LANGUAGES else "de"


class ReportsView(BaseView):
    route_base = "/reports"
    default_view = "dashboard"
    class_permission_name = REPORTS
    # The monitoring workbook is for Management and the network Admin only (not PartnerAdmin, Staff).
    method_permission_name = {"dashboard": "read", "summary": "read", "case_list": "read",
                              "monitoring_form": "monitor", "monitoring": "monitor"}

    @expose("/dashboard")
    @has_access
    def dashboard(self):
        scope = _scope_from_request()
        lang = str(get_locale() or "de")[:2]
        summary = build_summary(db.session, scope, lang)
        partners = selectable_partners("aggregate")
        periods = db.session.execute(select(FundingPeriod).order_by(FundingPeriod.start)).scalars().all()
        return self.render_template(
            "reports/dashboard.html", scope=scope, summary=summary, locale=lang, partners=partners,
            periods=periods, states=STATES.choices(), args=request.args, scope_text=scope.describe(),
        )

    @expose("/summary.pdf")
    @has_access
    def summary(self):
        scope = _scope_from_request()
        lang = _language()
        with force_locale(lang):
            summary = build_summary(db.session, scope, lang)
            data = render_pdf(
                "reports/summary.html", pdfa=wants_pdfa(request.args), scope=scope, summary=summary,
                locale=lang, scope_text=scope.describe(), state_label=STATES.label(scope.state),
                created=date.today(), page_label=css_string(_("Page") + " "), of_label=css_string(" " + _("of") + " "),
            )
        return pdf_response(data, f"summary-{scope.period.code if scope.period else 'all'}.pdf")

    @expose("/cases.pdf")
    @has_access
    def case_list(self):
        """Pseudonymous list of the cases in the scope (client numbers, no names), bounded in length."""
        scope = _scope_from_request()
        lang = _language()
        limit = current_app.config["REPORTS_MAX_ROWS"]
        rows = case_rows(db.session, scope, lang, limit)
        with force_locale(lang):
            data = render_pdf(
                "reports/case_list.html", pdfa=wants_pdfa(request.args), pages=listing_pages(rows[:limit]),
                truncated=len(rows) > limit, limit=limit, locale=lang, scope_text=scope.describe(),
                page_label=css_string(_("Page") + " "), of_label=css_string(" " + _("of") + " "),
            )
        return pdf_response(data, "cases.pdf")


    @expose("/monitoring")
    @has_access
    def monitoring_form(self):
        """The GET form of the monitoring workbook (it changes nothing)."""
        use_aggregate_scope()
        periods = db.session.execute(select(FundingPeriod).order_by(FundingPeriod.start)).scalars().all()
        return self.render_template("reports/monitoring.html", periods=periods, partners=selectable_partners("aggregate"),
                                    states=STATES.choices(), args=request.args)

    @expose("/monitoring.xlsx")
    @has_access
    def monitoring(self):
        """The quarterly monitoring workbook (app/reports/monitoring.py); bad parameters are a 400."""
        use_aggregate_scope()
        lang = _language()
        with force_locale(lang):
            try:
                chosen = resolve_monitoring(db.session, request.args)
            except BadRequest as error:
                return self.render_template("error.html", status=400, message=error.description), 400
            handle = write_workbook(db.session, chosen, monitoring_figures(db.session, chosen.report))
        period = chosen.report.period.code if chosen.report.period else "all"
        quarter = f"-q{chosen.quarter}" if chosen.quarter else ""
        response = send_file(handle, mimetype=XLSX_MIMETYPE, as_attachment=True,
                             download_name=f"monitoring-{period}{quarter}.xlsx")
        response.headers["Cache-Control"] = "private, no-store"
        return response


class ConfirmationView(BaseView):
    route_base = "/cases"
    class_permission_name = CASES
    method_permission_name = {"confirmation": "read"}

    @expose("/<int:pk>/confirmation.pdf")
    @has_access
    def confirmation(self, pk):
        facts = load_confirmation(db.session, pk)
        note_clients([facts["client"].id])
        languages = letter_languages(request.args.get("lang"), facts["client"].counselling_language)
        data = render_pdf("reports/confirmation.html", pdfa=wants_pdfa(request.args),
                          languages=languages, rtl=RTL, **facts)
        return pdf_response(data, f"confirmation-{pk}.pdf")
