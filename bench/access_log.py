"""Cost of the read-access log per request (prints figures; asserts nothing; not a test).

Loads a small ``iq demo`` data set into an EMPTY PostgreSQL database (schema dropped first: never
point this at real data; ``--reuse`` keeps a database this script built before), runs the app as
the ordinary role (row-level security on, bench/support.py), and as Staff of one partner and as
Admin requests a single client over the API, the client show page and the client API list (25
clients → one 25-row INSERT) through the Flask test client, rotating per request between three
modes of the log's ``after_request`` writer:

- ``off``: the writer replaced by a no-op (the request's transaction ends with a rollback);
- ``durable``: the default, the log rows committed like any write (WAL flushed to disk);
- ``async``: ``IQ_ACCESS_LOG_COMMIT=async`` (synchronous_commit off for the log's commit);
- ``batched``: ``IQ_ACCESS_LOG_WRITES=batched`` (the default on PostgreSQL): the request queues its
  rows; the process's writer thread writes them every 0.1 s in one INSERT and a durable commit (its
  CPU is in the same process, so it shows in the request times of this single-threaded loop).

It prints the median request time of each mode over ``--repeat`` requests (default 200), the
difference to ``off`` (the log's cost per request) and the median time spent in the writer itself.

    python bench/access_log.py postgresql://root@127.0.0.1:5432/SOME_BENCH_DB [--repeat 200] [--reuse]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import PASSWORD, ensure_user, reset_schema, run_as_ordinary_role  # noqa: E402
from config import TestConfig, normalise_database_url  # noqa: E402

MODES = ("off", "durable", "async", "batched")


def build(url, reuse=False):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.scoping import system_scope
    from app.setup.demo import load_demo
    from app.setup.reference_data import seed_reference_data

    from app.cases.models import Case
    from app.clients.models import Client

    if not reuse:
        reset_schema(url)  # refuses any database that is not a bench database
    app = create_app(TestConfig(url))
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context(), system_scope():
        if not reuse:
            upgrade()
            seed_reference_data(db.session)
            db.session.commit()
            load_demo(db.session, clients=2000, cases=5000, seed=1)
            db.session.commit()
        run_as_ordinary_role(db.engine)
        ensure_user(app, "bench_staff", "Staff", ["migra"])
        ensure_user(app, "bench_admin", "Admin")
        db.session.commit()
        client_id = db.session.query(Client.id).filter(Client.partner_id == 1).order_by(Client.id).first()[0]
        case_id = db.session.query(Case.id).filter(Case.partner_id == 1).order_by(Case.id).first()[0]
    return app, client_id, case_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--repeat", type=int, default=200, help="requests per mode and path")
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    args = parser.parse_args()
    url = normalise_database_url(args.url)
    app, client_id, _case_id = build(url, reuse=args.reuse)
    import app.security.access_log as access_log

    writer_times = {mode: [] for mode in MODES}
    original = access_log.write_pending
    current = {"mode": "off"}

    def timed(response):
        started = time.perf_counter()
        try:
            return original(response)
        finally:
            writer_times[current["mode"]].append(time.perf_counter() - started)

    def disabled(response):
        access_log.g.pop("_iq_access_clients", None)  # what the writer would have written
        access_log.g.pop("_iq_access_exports", None)
        return response

    batches = []  # (seconds, rows) of each write by the batch writer
    original_batch = access_log._write_batch

    def timed_batch(engine, batch):
        started = time.perf_counter()
        try:
            return original_batch(engine, batch)
        finally:
            batches.append((time.perf_counter() - started, len(batch)))

    access_log._write_batch = timed_batch
    funcs = app.after_request_funcs[None]
    slot = funcs.index(original)
    paths = [("API client", f"/api/v1/client/{client_id}", True),
             ("show page", f"/clientview/show/{client_id}", False),
             ("API list (25 clients)", "/api/v1/client/?q=(page_size:25)", True)]
    print(f"median over {args.repeat} requests per mode; ms")
    print(f"{'user':<6} {'request':<22} {'off':>7} {'durable':>7} {'async':>7} {'batched':>7} "
          f"{'cost dur.':>9} {'cost async':>10} {'cost batch':>10} "
          f"{'writer dur.':>11} {'writer async':>12} {'writer batch':>12}")
    for username in ("bench_staff", "bench_admin"):
        web = app.test_client()
        web.post("/login/", data={"username": username, "password": PASSWORD})
        token = web.post("/api/v1/security/login", json={"username": username, "password": PASSWORD,
                                                          "provider": "db"}).get_json()["access_token"]
        for label, path, api in paths:
            headers = {"Authorization": f"Bearer {token}"} if api else {}
            times = {mode: [] for mode in MODES}
            for mode in MODES:
                writer_times[mode].clear()
            warm_up = 2 * len(MODES)
            for i in range(args.repeat * len(MODES) + warm_up):
                mode = current["mode"] = MODES[i % len(MODES)]
                funcs[slot] = disabled if mode == "off" else timed
                app.config["ACCESS_LOG_COMMIT"] = "async" if mode == "async" else "durable"
                app.config["ACCESS_LOG_WRITES"] = "batched" if mode == "batched" else "in_request"
                started = time.perf_counter()
                response = web.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code}")
                if i >= warm_up:
                    times[mode].append(elapsed)
            funcs[slot] = original
            app.config["ACCESS_LOG_COMMIT"] = "durable"
            access_log.flush()
            med = {mode: statistics.median(times[mode]) * 1000 for mode in MODES}
            writer = {mode: statistics.median(writer_times[mode][2:]) * 1000 for mode in MODES[1:]}
            print(f"{username[6:]:<6} {label:<22} {med['off']:7.2f} {med['durable']:7.2f} {med['async']:7.2f} "
                  f"{med['batched']:7.2f} {med['durable'] - med['off']:9.2f} {med['async'] - med['off']:10.2f} "
                  f"{med['batched'] - med['off']:10.2f} {writer['durable']:11.3f} {writer['async']:12.3f} "
                  f"{writer['batched']:12.3f}", flush=True)

    if batches:
        print(f"batch writer: {len(batches)} writes, median {statistics.median(b[1] for b in batches):.0f} rows "
              f"and {statistics.median(b[0] for b in batches) * 1000:.2f} ms per write (its own thread and "
              f"connection, durable commit), {sum(b[0] for b in batches) * 1000 / sum(b[1] for b in batches):.3f} "
              "ms per row")


if __name__ == "__main__":
    main()
