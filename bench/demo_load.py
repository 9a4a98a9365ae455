"""How long ``iq demo`` takes: generate and bulk-write N cases, print the figures.

    python bench/demo_load.py --url postgresql://root@127.0.0.1:5432/SOME_EMPTY_DB --cases 100000

The database is migrated and seeded; the demo load runs in one transaction that is rolled back at
the end (pass ``--keep`` to commit), so the database is left as it was. It must hold no clients,
cases, trainings or funding (the demo refuses to mix data sets).
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"), help="SQLAlchemy URL (default: DATABASE_URL)")
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=None, help="default: 40%% of the cases")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="commit the demo data instead of rolling back")
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set DATABASE_URL")
    os.environ["DATABASE_URL"] = args.url
    clients = args.clients or max(1, args.cases * 2 // 5)

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.scoping import system_scope
    from app.setup.demo import load_demo
    from app.setup.reference_data import seed_reference_data
    from config import Config

    app = create_app(Config())
    with app.app_context(), system_scope():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        started = time.perf_counter()
        counts = load_demo(db.session, clients=clients, cases=args.cases, seed=args.seed)
        loaded = time.perf_counter() - started
        (db.session.commit if args.keep else db.session.rollback)()
        total = time.perf_counter() - started
        dialect = db.engine.dialect.name
    rows = counts.clients + counts.cases + counts.contacts + counts.trainings + counts.funding
    print(f"database: {dialect}")
    print(f"rows: {counts.clients} clients, {counts.cases} cases, {counts.contacts} contacts, "
          f"{counts.trainings} trainings, {counts.funding} funding")
    print(f"load: {loaded:.1f} s ({rows / loaded:,.0f} rows/s, {counts.cases / loaded:,.0f} cases/s); "
          f"with {'commit' if args.keep else 'rollback'}: {total:.1f} s")
    if counts.cases:
        print(f"extrapolated to 1,000,000 cases: {loaded * 1_000_000 / counts.cases / 60:.1f} min")


if __name__ == "__main__":
    main()
