"""Start page (per role: what each came for) and health check.

Staff: "New counselling", its open cases, the cases without contact for 90 days; Management: the key
figures of its partners and the summary; Admin/PartnerAdmin: users and partners. Which sections show
follows the user's FAB roles (the union of its membership roles); what they contain follows the
partner scope (``app.home.figures``).
"""
from flask import Blueprint, g, jsonify
from flask_appbuilder import IndexView, expose
from sqlalchemy import text

from app.core.display import local_datetime, number
from app.home import figures


class HomeView(IndexView):
    index_template = "iq_index.html"

    @expose("/")
    def index(self):
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        sections = {}
        if user is not None:
            sections = home_sections(user)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, number=number,
                                    local_datetime=local_datetime, **sections)


def home_sections(user):
    from app.clients.naming import client_label, may_see_names
    from app.extensions import db
    from app.security.access_log import note_clients
    from app.security.scoping import current_scope

    session = db.session
    scope = current_scope()
    roles = {role.name for role in user.roles}
    sections = {"day": figures.reference_day()}
    if "Staff" in roles:
        names = may_see_names()
        mine, mine_rows = figures.my_open_cases(session, user.id, scope.write_ids)
        since, stale, stale_rows = figures.stale_cases(session, scope.write_ids, sections["day"])
        shown = [row for row in mine_rows] + [row[0] for row in stale_rows]
        if names:
            note_clients([case.client_id for case in shown])  # names on the page: logged like a list
        sections["staff"] = {
            "mine": mine, "mine_rows": [(c, client_label(c.client, names)) for c in mine_rows],
            "since": since, "stale": stale,
            "stale_rows": [(c, client_label(c.client, names), last) for c, last in stale_rows],
        }
    if "Management" in roles:
        period = figures.reporting_period(session, sections["day"])
        sections["management"] = {"period": period, "figures": figures.key_figures(session, period)}
    if roles & {"Admin", "PartnerAdmin"}:
        total, active, recent = figures.user_figures(session, scope)
        sections["admin"] = {"users": total, "active": active, "recent": recent,
                             "partners": figures.partner_figures(session),
                             "network": scope.admin_ids is None}
    return sections


health = Blueprint("health", __name__)


@health.route("/health")
def health_check():
    """Liveness and database reachability for load balancers and operators."""
    from app.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        db.session.rollback()
        database = "error"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if database == "ok" else "error", database=database), status
