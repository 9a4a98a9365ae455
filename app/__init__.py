"""Application factory of the IQ network back office."""
import logging

from flask import Flask, g

from config import BASE_DIR, Config


def create_app(config=None):
    """Build the app; ``config`` is a Config instance (default: from the environment)."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "app" / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config or Config())
    from app.security.roles import FAB_ROLES

    app.config.setdefault("FAB_ROLES", FAB_ROLES)
    from app.security.passwords import password_complexity

    # One password policy for the CLI, the API and FAB's password forms.
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_complexity)
    logging.basicConfig(
        level=app.config.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
    )
    _install_request_id_logging()
    # WeasyPrint reports every rendering step at INFO; only its warnings matter in the log.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    from app.core.web_security import init_web_security
    from app.extensions import appbuilder, db, migrate

    # Before FAB: it exempts its JWT API blueprints from CSRF only if the extension is bound.
    init_web_security(app)
    from app.core.input_bounds import init_input_bounds

    init_input_bounds(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))

    # Import every model so that the mapper registry and Alembic see the whole schema.
    from app import models  # noqa: F401

    with app.app_context():
        # One AppBuilder object serves one app at a time (tests build apps repeatedly).
        appbuilder.baseviews = []
        appbuilder.menu = None
        appbuilder.init_app(app, db.session)
        from app.registry import register_views

        register_views(appbuilder)
        from app.security.login_limits import init_login_limits

        init_login_limits(app, appbuilder.sm)

    from app.core.errorhandlers import register_error_handlers
    from app.cli import register_cli
    from app.security import access_log

    access_log.init_app(app)

    register_error_handlers(app)
    register_cli(app)
    from app.core.dates import init_dates

    init_dates(app)
    return app


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        from flask import has_request_context

        record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


def _install_request_id_logging():
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, _RequestIdFilter) for f in handler.filters):
            handler.addFilter(_RequestIdFilter())
