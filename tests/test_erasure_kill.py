"""Nothing is half-anonymised: a process killed (SIGKILL) in the middle of an erasure, after the
client row was already blanked inside the transaction, leaves the client exactly as it was."""
import os
import secrets
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.cases.models import Case
from app.clients.erasure import ErasureRequest
from app.clients.models import Client
from app.security.models import AuditEvent
from tests.test_erasure import _person, find_everywhere

ROOT = Path(__file__).resolve().parent.parent

ERASE_AND_DIE = textwrap.dedent("""
    import os, signal, sys
    from sqlalchemy import text
    from app import create_app
    from app.clients import erasure
    from app.clients.models import Client
    from app.extensions import db
    from app.security import audit
    from app.security.scoping import system_scope
    from config import TestConfig

    app = create_app(TestConfig(sys.argv[1]))
    client_id = int(sys.argv[2])

    def killed(session, *args, **kwargs):
        # The client row is blank in this transaction: prove it, then die without any clean-up.
        name = session.connection().execute(text("SELECT last_name FROM client WHERE id = :id"),
                                            {"id": client_id}).scalar()
        print("BLANKED" if name is None else f"NOT BLANKED {name}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    audit.scrub_values = killed
    with app.app_context(), system_scope():
        erasure.erase_by_retention(db.session, db.session.get(Client, client_id))
        db.session.commit()
    print("COMMITTED", flush=True)
""")


def test_a_killed_erasure_leaves_the_client_intact(app, database_url, factories, ctx, admin_engine):
    marker = secrets.token_hex(4)
    person, case = _person(factories, ctx, marker)
    person_id, case_id, number = person.id, case.id, person.client_number
    ctx.commit()
    done = subprocess.run([sys.executable, "-c", ERASE_AND_DIE, database_url, str(person_id)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr[-2000:])
    assert "BLANKED" in done.stdout and "NOT BLANKED" not in done.stdout and "COMMITTED" not in done.stdout
    ctx.expire_all()
    intact = ctx.get(Client, person_id)
    assert (intact.last_name, intact.erased_at, intact.birth_date, intact.client_number) == (
        f"Quax{marker}", None, date(1971, 8, 23), number)
    assert ctx.get(Case, case_id).notes == f"Neue Notiz zu Quax{marker}"
    assert ctx.scalars(select(ErasureRequest)).all() == []
    assert ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).all() == []
    assert ("client", "last_name") in find_everywhere(admin_engine, f"Quax{marker}")
