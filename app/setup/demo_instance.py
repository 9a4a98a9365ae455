"""``python -m app.setup.demo_instance``: a ready-to-browse demo database for ``make run``.

With the default database (an SQLite file under instance/) the file is deleted and built anew:
migrations, reference data, demo data, and demo logins. With another ``DATABASE_URL`` nothing is
deleted: the schema is migrated and seeded, demo data is added only if the database has none.

Every login gets a fresh random password, printed once at the end; there is no default password.
Existing demo accounts (same user names) get a new password instead of a second account.
"""
import os
import sys
from pathlib import Path

from config import Config, _default_database_url, normalise_database_url

DEMO_CLIENTS = 2000
DEMO_CASES = 5000
DEMO_PARTNERS = ("migra", "caritas-md", "spi")  # spi: receives the demo referral (README)
PARTNER_ROLES = ("PartnerAdmin", "Staff", "Management")
ALL_PARTNERS = "all"  # Management of the whole network (the coordinator's monitoring workbook)


def demo_accounts():
    """(username, role, partner code, ALL_PARTNERS or None) of the logins the demo instance creates."""
    accounts = [("admin", "Admin", None), ("network-management", "Management", ALL_PARTNERS)]
    for code in DEMO_PARTNERS:
        accounts += [(f"{code}-{role.lower()}", role, code) for role in PARTNER_ROLES]
    return accounts


def demo_login(session, sm, username, role, partner):
    """Create one demo account (or give it a new password); returns its password."""
    from sqlalchemy import select

    from app.partners.models import Partner
    from app.security.users import create_user, random_password, reset_password

    password = random_password()
    user = sm.find_user(username=username)
    if user is None:
        codes = ([partner] if partner != ALL_PARTNERS else
                 list(session.execute(select(Partner.code).order_by(Partner.id)).scalars())) if partner else []
        create_user(session, sm, username, password, role, codes, first_name="Demo", last_name=username)
    else:
        reset_password(session, sm, user, password)
    return password


def _fresh_default_database():
    """Delete the default SQLite file (only that one); return True if the default is in use."""
    default = _default_database_url()
    configured = os.environ.get("DATABASE_URL")
    if configured and normalise_database_url(configured) != default:
        return False
    path = Path(default[len("sqlite:///"):])
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return True


def _logins(session, sm):
    rows = []
    for username, role, partner in demo_accounts():
        password = demo_login(session, sm, username, role, partner)
        rows.append((username, password, role, "all partners" if partner == ALL_PARTNERS else partner or "—"))
    return rows


def _assign_counsellors(session):
    """The demo staff accounts become the counsellors of their partner's demo cases and contacts."""
    from sqlalchemy import select, update

    from app.cases.models import Case, Contact
    from app.security.models import Membership

    staff = session.execute(select(Membership.partner_id, Membership.user_id).where(Membership.role == "Staff"))
    for partner_id, user_id in staff.all():
        for model in (Case, Contact):
            session.execute(update(model).where(model.partner_id == partner_id, model.counsellor_id.is_(None))
                            .values(counsellor_id=user_id).execution_options(synchronize_session=False))
    session.commit()


def referral_example(session):
    """A migra client with a referral consent and a case: the README's referral walk-through."""
    from sqlalchemy import select

    from app.cases.models import Case
    from app.clients.consent import Consent
    from app.clients.models import Client
    from app.partners.models import Partner

    return session.scalar(
        select(Client.client_number).join(Partner, Partner.id == Client.partner_id)
        .join(Consent, Consent.client_id == Client.id).join(Case, Case.client_id == Client.id)
        .where(Partner.code == "migra", Consent.purpose == "referral", Consent.withdrawn_on.is_(None))
        .order_by(Client.id).limit(1))


def _print_logins(url, rows):
    widths = [max(len(str(row[i])) for row in rows + [("Username", "Password", "Role", "Partner")])
              for i in range(4)]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(f"\nDemo instance ready. Open {url} and log in with one of these accounts")
    print("(random passwords, shown only now):\n")
    print(line.format("Username", "Password", "Role", "Partner").rstrip())
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row).rstrip())
    print()


def build():
    from flask_migrate import upgrade

    from app import create_app
    from app.core.errors import DomainError
    from app.extensions import db
    from app.security.roles import ensure_roles
    from app.security.scoping import system_scope
    from app.setup.demo import existing_data, load_demo
    from app.setup.reference_data import seed_reference_data

    fresh = _fresh_default_database()
    app = create_app(Config())
    with app.app_context(), system_scope():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        ensure_roles(app.appbuilder.sm)
        if fresh or not existing_data(db.session):
            counts = load_demo(db.session, clients=DEMO_CLIENTS, cases=DEMO_CASES)
            db.session.commit()
            print(f"Demo data: {counts.clients} clients, {counts.cases} cases, {counts.contacts} contacts.")
        else:
            print("The database already holds data; no demo data added.")
        try:
            rows = _logins(db.session, app.appbuilder.sm)
        except DomainError as error:
            sys.exit(f"Could not create the demo logins: {error}")
        if fresh:
            _assign_counsellors(db.session)
        example = referral_example(db.session)
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    _print_logins(f"http://{host}:{port}/", rows)
    if example:
        print(f"Referral walk-through (README, Referrals): as migra-staff open client {example} (it has a "
              "referral consent), “Refer to another partner” → SPI GmbH; then as spi-staff: Counselling → Referrals.\n")


if __name__ == "__main__":
    build()
