"""Start page and health check."""
from flask import Blueprint, jsonify
from flask_appbuilder import IndexView
from sqlalchemy import text


class HomeView(IndexView):
    index_template = "iq_index.html"


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
