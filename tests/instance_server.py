"""One app instance as its own process, for tests/test_two_instances.py (``python -m tests.instance_server``).

Configured from the environment like production (shared ``SECRET_KEY``, ``RATELIMIT_STORAGE_URI``,
``RATELIMIT_KEY_PREFIX``), on the test database (``IQ_TEST_INSTANCE_DATABASE_URL``; on PostgreSQL as
the tests' ordinary application role, so that row-level security applies), served by werkzeug on
``127.0.0.1:IQ_TEST_INSTANCE_PORT``. Prints ``READY`` once it listens.
"""
import os
import sys

from werkzeug.serving import make_server

from config import TestConfig


def main():
    config = TestConfig(os.environ["IQ_TEST_INSTANCE_DATABASE_URL"])
    config.SECRET_KEY = os.environ["SECRET_KEY"]
    config.RATELIMIT_STORAGE_URI = os.environ["RATELIMIT_STORAGE_URI"]
    config.RATELIMIT_KEY_PREFIX = os.environ["RATELIMIT_KEY_PREFIX"]
    from app import create_app
    from app.extensions import db

    app = create_app(config)
    if config.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        from app.security.database_roles import run_as_role
        from tests.conftest import APP_ROLE

        with app.app_context():
            run_as_role(db.engine, APP_ROLE)
    server = make_server("127.0.0.1", int(os.environ["IQ_TEST_INSTANCE_PORT"]), app, threaded=True)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
