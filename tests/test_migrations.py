"""The schema built by the Alembic migrations agrees with the models (autogenerate finds nothing)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model


def test_migrations_match_models(app):
    from app.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Model.metadata)
    assert differences == [], differences


def test_database_is_at_head(app):
    from alembic.script import ScriptDirectory

    from app.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert set(current) == set(heads)
