"""Command groups of ``flask --app app``: ``iq`` (seed, demo, users, import) and ``translate``.

Only the registration lives here; the work is done by the domain modules the commands call.
"""
import time

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.errors import DomainError
from app.extensions import db
from app.security.scoping import system_scope

iq = AppGroup("iq", help="IQ network back office: reference data, demo data, users, import, retention.")
translate = AppGroup("translate", help="Message catalogues: extract, update, compile.")


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


@iq.command("demo")
@click.option("--clients", default=2000, show_default=True, type=click.IntRange(min=1))
@click.option("--cases", default=5000, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same data.")
def demo_command(clients, cases, seed):
    """Load deterministic synthetic clients, cases, contacts, trainings and funding."""
    from dataclasses import asdict

    from app.setup.demo import load_demo

    started = time.perf_counter()
    with system_scope():
        try:
            counts = load_demo(db.session, clients=clients, cases=cases, seed=seed)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error))
        db.session.commit()
    click.echo(_("Demo data loaded in %(seconds).1f s: %(clients)s clients, %(cases)s cases, "
                 "%(contacts)s contacts, %(trainings)s trainings, %(funding)s funding rows (seed %(seed)s).",
                 seconds=time.perf_counter() - started, seed=seed, **asdict(counts)))


@iq.command("user-add")
@click.argument("username")
@click.option("--password", required=True, help="At least 10 characters, letters and digits.")
@click.option("--role", required=True, help="Admin, PartnerAdmin, Staff or Management.")
@click.option("--partner", "partners", multiple=True, help="Partner code (repeatable); not for Admin.")
@click.option("--email", default=None)
@click.option("--by", "acting_username", default=None,
              help="Act as this existing user: the same rules as in the UI (a PartnerAdmin may only "
                   "hand out Staff or Management for its own partners).")
def user_add_command(username, password, role, partners, email, acting_username):
    """Create a user with a role and the partners it belongs to."""
    from app.security.users import check_acting_user, create_user

    with system_scope():
        try:
            if acting_username:
                check_acting_user(db.session, current_app.appbuilder.sm, acting_username, role, partners)
            create_user(db.session, current_app.appbuilder.sm, username, password, role, partners, email)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error))
    if partners:
        click.echo(_("User %(name)s created with role %(role)s for %(partners)s.",
                     name=username, role=role, partners=", ".join(partners)))
    else:
        click.echo(_("User %(name)s created with role %(role)s.", name=username, role=role))


@iq.command("retention")
@click.option("--dry-run", is_flag=True, help="Show what would be erased; change nothing.")
def retention_command(dry_run):
    """Erase (anonymise) every client whose delete-after date has passed; statistics are kept."""
    from app.clients.retention import run

    with system_scope():
        result = run(db.session, dry_run=dry_run)
    if result.refreshed:
        click.echo(_("%(num)s delete-after dates re-derived from the retention rule.", num=result.refreshed))
    for number, partner, day in result.erased:
        values = {"client": number, "partner": partner, "day": day.strftime("%d.%m.%Y")}
        click.echo(_("would erase %(client)s (%(partner)s, delete after %(day)s)", **values) if dry_run
                   else _("erased %(client)s (%(partner)s, delete after %(day)s)", **values))
    for number, partner, day, reason in result.skipped:
        click.echo(_("skipped %(client)s (%(partner)s, delete after %(day)s): %(reason)s",
                     client=number, partner=partner, day=day.strftime("%d.%m.%Y"), reason=reason))
    if dry_run:
        click.echo(_("Dry run: %(erased)s clients would be erased, %(skipped)s skipped; nothing was changed.",
                     erased=len(result.erased), skipped=len(result.skipped)))
    else:
        click.echo(_("%(erased)s clients erased, %(skipped)s skipped.",
                     erased=len(result.erased), skipped=len(result.skipped)))


def _catalogue_dir(directory):
    """The project's catalogues (or ``--directory``), resolved against the caller's directory."""
    # Not app.config: Flask-AppBuilder prepends its own catalogues there, which must stay untouched.
    from config import Config

    return directory or Config.BABEL_TRANSLATION_DIRECTORIES


_directory_option = click.option("--directory", default=None, help="Catalogue directory (default: translations/).")


@translate.command("extract")
@_directory_option
def translate_extract(directory):
    """Collect the messages into translations/messages.pot."""
    from app.setup.translations import extract

    click.echo(f"Messages extracted to {extract(_catalogue_dir(directory))}.")


@translate.command("update")
@_directory_option
def translate_update(directory):
    """Extract, then merge new messages into the de and en catalogues."""
    from app.setup.translations import update

    update(_catalogue_dir(directory))
    click.echo("Catalogues updated; translate the new entries, then run `flask translate compile`.")


@translate.command("compile")
@_directory_option
def translate_compile(directory):
    """Compile the catalogues (.po → .mo)."""
    from app.setup.translations import compile_catalogues

    compile_catalogues(_catalogue_dir(directory))
    click.echo("Catalogues compiled.")


def register_cli(app):
    from app.transfer.cli import import_command; iq.add_command(import_command)  # noqa: E702
    app.cli.add_command(iq)
    app.cli.add_command(translate)
