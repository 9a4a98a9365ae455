"""Benchmark of the quarterly monitoring workbook (prints figures; not a test).

Measures the network workbook (``/reports/monitoring.xlsx``, all partners) on the data already in a
database, in process through the view as a logged-in Admin: the SQL aggregation, the whole request
(SQL, suppression, writing the XLSX), the workbook's size and the peak RSS of this process.

    python bench/monitoring.py postgresql://root@127.0.0.1:5432/bench_mine      # bench/run's database
    python bench/monitoring.py sqlite:///instance/iq.db --user admin             # `make run`'s demo data
    python bench/monitoring.py URL --period 2013 --quarter 3 --runs 5

It writes nothing, except on a bench database (name contains "bench", as bench/run wants), where it
creates the user ``bench_admin`` if missing and runs as the ordinary role ``iq_app_bench`` so that
row-level security is on, as in production (bench/run grants that role).
"""
import argparse
import os
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import ensure_user, is_bench_database, run_as_ordinary_role  # noqa: E402
from config import TestConfig, normalise_database_url  # noqa: E402


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url, username, params, runs):
    from flask import g
    from flask_babel import force_locale

    from app import create_app
    from app.extensions import db
    from app.reports.monitoring import resolve_monitoring
    from app.reports.monitoring_queries import monitoring_figures
    from app.reports.views import ReportsView

    app = create_app(TestConfig(url))
    bench = is_bench_database(url)
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        if user is None and bench:
            user = ensure_user(app, username, "Admin")
        if user is None:
            sys.exit(f"no user {username!r} in this database (give --user, e.g. the demo's 'admin')")
        user_id = user.id
        if bench:
            run_as_ordinary_role(db.engine)
    print(f"database {'(bench, ordinary role, RLS on)' if bench else '(as connected)'}; "
          f"load average {os.getloadavg()[0]:.1f}; parameters {params}")
    path = "/reports/monitoring.xlsx?" + urlencode(params)
    for run in ["cold"] + ["warm"] * (runs - 1):
        with app.test_request_context(path), force_locale("de"):
            g.user = app.appbuilder.sm.get_user_by_id(user_id)
            from app.security.scoping import use_aggregate_scope

            use_aggregate_scope()
            t0 = time.perf_counter()
            chosen = resolve_monitoring(db.session, params)
            monitoring_figures(db.session, chosen.report)
            t1 = time.perf_counter()
            db.session.rollback()
            response = ReportsView.monitoring.__wrapped__(None)  # the view body without the permission check
            data = response.get_data() if not response.direct_passthrough else b"".join(response.response)
            t2 = time.perf_counter()
            response.close()
            db.session.rollback()
        print(f"workbook ({run}): status {response.status_code}, SQL {t1 - t0:.3f} s, whole request {t2 - t1:.3f} s, "
              f"{len(data) / 1024:.0f} KiB, peak RSS so far {rss_mb():.0f} MB")
    print(f"peak RSS of the process: {rss_mb():.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("--user", default="bench_admin", help="an Admin (or Management) user of that database")
    parser.add_argument("--period", default="all")
    parser.add_argument("--quarter", default="all")
    parser.add_argument("--partner", default="all")
    parser.add_argument("--state", default="all")
    parser.add_argument("--cutoff", default="2014-12-31")
    parser.add_argument("--runs", type=int, default=3, help="workbooks to build (the first is 'cold')")
    args = parser.parse_args()
    params = {"period": args.period, "quarter": args.quarter, "partner": args.partner, "state": args.state,
              "cutoff": args.cutoff}
    measure(normalise_database_url(args.database_url), args.user, params, args.runs)


if __name__ == "__main__":
    main()
