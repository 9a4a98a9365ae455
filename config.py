"""Configuration from the environment, with documented defaults for everything but secrets.

Every setting can be overridden by an environment variable of the same name. ``SECRET_KEY`` has
no default outside development: in development it is generated once into ``instance/secret_key``.
"""
import os
import secrets
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("IQ_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def is_production():
    """Production is declared explicitly; anything else is development."""
    return (os.environ.get("IQ_ENV") or os.environ.get("FLASK_ENV") or "").lower() == "production"


def _secret_key():
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if is_production():
        raise RuntimeError("SECRET_KEY must be set in production (IQ_ENV=production).")
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def normalise_database_url(url):
    """``postgresql://`` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    if url and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _default_database_url():
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'iq.db'}"


class Config:
    APP_NAME = "IQ Netzwerk MV/ST"
    SECRET_KEY = None  # resolved in __init__ so importing config never writes files
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Programme window: no funding period and no case may fall outside it.
    PROGRAMME_START = date.fromisoformat(os.environ.get("IQ_PROGRAMME_START", "2011-07-01"))
    PROGRAMME_END = date.fromisoformat(os.environ.get("IQ_PROGRAMME_END", "2014-12-31"))
    # Retention (app/clients/retention.py): a client's delete_after is IQ_RETENTION_YEARS after its
    # last contact, or after the programme end when that is later (IQ_RETENTION_FROM=programme_end,
    # the funder's keeping period); IQ_RETENTION_FROM=last_contact counts from the last contact only.
    RETENTION_YEARS = int(os.environ.get("IQ_RETENTION_YEARS", "10"))
    RETENTION_FROM = os.environ.get("IQ_RETENTION_FROM", "programme_end")
    # Read-access log (app/security/access_log.py), PostgreSQL: "durable" (default) commits the log
    # rows like any other write (the page is sent only once they are on disk); "async" commits them
    # with synchronous_commit off (a database crash within ~0.6 s may lose the last rows).
    ACCESS_LOG_COMMIT = os.environ.get("IQ_ACCESS_LOG_COMMIT", "durable")
    # How the log rows are written: "batched" (a writer thread per process, one INSERT and one durable
    # commit every IQ_ACCESS_LOG_FLUSH_SECONDS for all requests of that interval; a hard kill loses at
    # most that interval), "in_request" (the request's own transaction, ACCESS_LOG_COMMIT applies; the
    # page is sent only after its rows are committed), or "auto": batched on PostgreSQL, in_request
    # on SQLite (the embedded single-user default, where the cost does not matter).
    ACCESS_LOG_WRITES = os.environ.get("IQ_ACCESS_LOG_WRITES", "auto")
    ACCESS_LOG_FLUSH_SECONDS = float(os.environ.get("IQ_ACCESS_LOG_FLUSH_SECONDS", "0.1"))

    # Flask-AppBuilder
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_CREATE_DB = False  # the schema belongs to Alembic migrations
    # Permissions are synchronised by `iq seed` (roles built from code), never at start-up:
    # start-up writes nothing to the database and several workers cannot race.
    FAB_UPDATE_PERMS = False
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100  # = app.core.input_bounds.MAX_PAGE_SIZE (a larger page_size is a 400)
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_BASE_TEMPLATE = "iq_baselayout.html"
    FAB_INDEX_VIEW = "app.home.views.HomeView"
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.IqSecurityManager"
    APP_THEME = ""
    # Roles are declared in code: app/security/roles.py (FAB_ROLES, set by create_app).
    WTF_CSRF_ENABLED = True
    # Session cookie: never readable by scripts, not sent cross-site, HTTPS-only in production.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = is_production()
    REMEMBER_COOKIE_SECURE = is_production()
    # API tokens: short access tokens; refresh tokens for a working day. Both also end at once on
    # logout, password change and deactivation (security stamp, app/security/sessions.py).
    JWT_ACCESS_TOKEN_EXPIRES = int(os.environ.get("JWT_ACCESS_TOKEN_EXPIRES", "900"))
    JWT_REFRESH_TOKEN_EXPIRES = int(os.environ.get("JWT_REFRESH_TOKEN_EXPIRES", str(12 * 3600)))
    # Failed logins (UI and API) before 429 (app/security/login_limits.py); the counters live in
    # RATELIMIT_STORAGE_URI: memory per process by default, Redis when several instances run.
    LOGIN_LIMIT_PER_USER = os.environ.get("LOGIN_LIMIT_PER_USER", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    PROXY_COUNT = int(os.environ.get("IQ_PROXY_COUNT", "0"))  # reverse-proxy hops to trust
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "iq")  # several apps on one Redis
    RATELIMIT_ENABLED = True  # FAB 5.3 defaults it to False
    RATELIMIT_HEADERS_ENABLED = True

    # Languages: German first, English second.
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "de": {"flag": "de", "name": "Deutsch"},
        "en": {"flag": "gb", "name": "English"},
    }

    # Report PDFs: the longest case list (rows), and PDF/A-3b for every document (archiving).
    REPORTS_MAX_ROWS = int(os.environ.get("REPORTS_MAX_ROWS", "5000"))
    REPORTS_PDFA = _env_flag("REPORTS_PDFA")

    HOST = os.environ.get("HOST", "127.0.0.1")
    PORT = int(os.environ.get("PORT", "5000"))
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    def __init__(self):
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or _default_database_url()
        )


class TestConfig(Config):
    """Tests: CSRF stays on (the suite fetches tokens like a browser does)."""

    TESTING = True
    # Tests assert messages in English (the msgids); the German default of production is
    # checked explicitly by the tests that use the `german_default` fixture.
    BABEL_DEFAULT_LOCALE = "en"
    # Every login checks a hash: scrypt costs ~0.3 s each, which dominated the role matrices.
    # One PBKDF2 round keeps the code path (hash, salt, check) and costs microseconds. Tests only.
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
    # Tests read the log right after a request: rows written in the request. tests/test_access_log.py
    # runs every read path in "batched" mode as well.
    ACCESS_LOG_WRITES = "in_request"

    def __init__(self, database_url=None):
        self.SECRET_KEY = secrets.token_hex(32)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url) or "sqlite://"
