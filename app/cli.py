"""Command groups of ``flask --app app``: ``iq`` (seed, demo, users, import) and ``translate``."""
import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.security.scoping import system_scope

iq = AppGroup("iq", help="IQ network back office: reference data, demo data, users, import.")


@iq.command("seed")
def seed_command():
    """Load the partners, funding periods, catalogues and roles (idempotent)."""
    from app.security.roles import ensure_roles
    from app.setup.reference_data import seed_reference_data

    with system_scope():
        seed_reference_data(db.session)
        db.session.commit()
        ensure_roles(current_app.appbuilder.sm)
    click.echo("Reference data and roles are up to date.")


def register_cli(app):
    from app.transfer.cli import import_command; iq.add_command(import_command)  # noqa: E702
    app.cli.add_command(iq)
