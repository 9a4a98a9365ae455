"""``flask --app app iq import FILE --partner CODE [--dry-run]``.

Exit codes: 0 imported (or dry run clean), 1 row errors (nothing written), 2 the file or the
partner was refused before any row was read.
"""
import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.extensions import db
from app.partners.models import Partner
from app.security.scoping import partner_scope, system_scope
from app.transfer.importer import import_file
from app.transfer.readers import FileRefused, limit


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--partner", "partner_code", required=True, help="Code of the partner the records belong to.")
@click.option("--dry-run", is_flag=True, help="Validate every row and write nothing.")
@with_appcontext
def import_command(file, partner_code, dry_run):
    """Import clients and cases from CSV or XLSX: all rows or none, with a per-row error report."""
    with system_scope():
        partner = db.session.execute(select(Partner).where(Partner.code == partner_code)).scalar_one_or_none()
    if partner is None:
        click.echo(_("Error: unknown partner “%(code)s”.", code=partner_code), err=True)
        raise click.exceptions.Exit(2)
    with open(file, "rb") as handle:
        data = handle.read(limit("IMPORT_MAX_BYTES") + 1)
    # The import runs with exactly this partner's scope, as a Staff member of it would.
    with partner_scope([partner.id]):
        try:
            result = import_file(db.session, file, data, partner.id, dry_run=dry_run)
        except FileRefused as error:
            click.echo(_("Error: %(message)s", message=str(error)), err=True)
            raise click.exceptions.Exit(2) from None
    if not result.ok:
        for error in result.errors:
            click.echo(str(error), err=True)
        click.echo(ngettext("%(num)s error in %(rows)s rows; nothing was imported.",
                            "%(num)s errors in %(rows)s rows; nothing was imported.",
                            len(result.errors), rows=result.rows), err=True)
        raise click.exceptions.Exit(1)
    for hint in result.hints:  # possibly counselled at another partner: a notice, the import goes on
        click.echo(str(hint))
    if dry_run:
        click.echo(_("Dry run: all %(rows)s rows are valid (%(cases)s cases, %(clients)s new clients); "
                     "nothing was written.", rows=result.rows, cases=result.cases, clients=result.clients))
    else:
        click.echo(_("Imported %(cases)s cases, %(clients)s new clients and %(contacts)s contacts for %(partner)s.",
                     cases=result.cases, clients=result.clients, contacts=result.contacts, partner=partner.code))
