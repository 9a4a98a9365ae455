"""Case show / edit / add forms and the API case list, in process (prints figures; not a test).

Requests each page through the Flask test client as a logged-in Staff user of one partner and as
Admin, the app connected as an ordinary role (row-level security on), after a gc.freeze() as a
gunicorn worker does after its warm-up (app/warmup.py). Prints the median of ``--repeat`` warm
runs, p95, the number of SQL statements, the app's own CPU time per request (median; not
PostgreSQL's, and less disturbed by other load on the machine than the wall time) and the response size. ``--profile LABEL`` prints the
functions with the most cumulative time for that page.

    python bench/forms.py postgresql://root@127.0.0.1:5432/bench_summary --reuse
"""
import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from bench.support import PASSWORD, ensure_user, run_as_ordinary_role  # noqa: E402
from config import TestConfig, normalise_database_url  # noqa: E402


def pages(case_id):
    return [
        ("case show", f"/caseview/show/{case_id}"),
        ("case edit form", f"/caseview/edit/{case_id}"),
        ("case add form", "/caseview/add"),
        ("API /api/v1/case/ page 0", "/api/v1/case/?q=(page:0,page_size:25)"),
        ("API /api/v1/case/ page 100", "/api/v1/case/?q=(page:100,page_size:25)"),
        ("API /api/v1/case/ filtered", "/api/v1/case/?q=(filters:!((col:status,opr:eq,value:open)),page:0,page_size:25)"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("--reuse", action="store_true", help="(the data must already be there)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profile", help="label of the page to profile")
    parser.add_argument("--sql", help="label of the page whose SQL statements to print")
    args = parser.parse_args()
    url = normalise_database_url(args.database_url)

    from sqlalchemy import select

    from app import create_app
    from app.cases.models import Case
    from app.extensions import db
    from app.security.scoping import system_scope
    from tests.conftest import IsolatedClient

    app = create_app(TestConfig(url))
    app.config["WTF_CSRF_ENABLED"] = False  # the bench logs in by posting the form directly
    app.test_client_class = IsolatedClient
    with app.app_context():
        ensure_user(app, "bench_staff", "Staff", ["migra"])
        ensure_user(app, "bench_admin", "Admin")
        with system_scope():
            migra_case = db.session.execute(
                select(Case.id).join(Case.partner).where(Case.partner.has(code="migra")).order_by(Case.id)
                .limit(1)).scalar()
        db.session.remove()
        run_as_ordinary_role(db.engine)
        statements = [0]
        shown = []

        def count(conn, cursor, statement, *rest):
            statements[0] += 1
            if shown:
                print("   SQL:", " ".join(statement.split())[:300])

        event.listen(db.engine, "before_cursor_execute", count)
    gc.collect()
    gc.freeze()
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(f"{'user':<14} {'page':<30} {'median ms':>9} {'p95 ms':>7} {'SQL':>4} {'CPU ms':>7} {'KiB':>6}")
    for username, label in (("bench_staff", "Staff (migra)"), ("bench_admin", "Admin")):
        client = app.test_client()
        assert client.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 302
        token = client.post("/api/v1/security/login",
                            json={"username": username, "password": PASSWORD, "provider": "db"}).get_json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        for page, path in pages(migra_case):
            headers = bearer if path.startswith("/api/") else None
            client.get(path, headers=headers)  # warm
            times, counts, cpu = [], [], []
            for _ in range(args.repeat):
                statements[0] = 0
                started, used = time.perf_counter(), time.process_time()
                response = client.get(path, headers=headers)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
                counts.append(statements[0])
                if response.status_code != 200:
                    sys.exit(f"{path}: HTTP {response.status_code}")
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{label:<14} {page:<30} {statistics.median(times) * 1000:9.1f} {p95 * 1000:7.1f} "
                  f"{max(counts):4d} {statistics.median(cpu) * 1000:7.1f} {len(response.data) / 1024:6.0f}", flush=True)
            if args.sql and args.sql == page and username == "bench_staff":
                shown.append(True)
                client.get(path, headers=headers)
                shown.clear()
            if args.profile and args.profile == page and username == "bench_staff":
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(5):
                    client.get(path, headers=headers)
                profile.disable()
                pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", "45")))


if __name__ == "__main__":
    main()
