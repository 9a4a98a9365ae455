"""Profile one page in process (cProfile; prints figures, asserts nothing).

Requests URL through the Flask test client as a logged-in user (the app connected as the ordinary
role, so row-level security is on, as ``bench/list_pages.py`` sets it up), first ``--warmup``
times, then ``--repeat`` times under cProfile, and prints the wall and CPU ms per request, the SQL
statements per request and the functions with the most cumulative / own time.

    python bench/profile_page.py postgresql://root@127.0.0.1:5432/bench_1m /caseview/list/
    python bench/profile_page.py postgresql://root@127.0.0.1:5432/bench_1m "/api/v1/case/?q=(page:0)" --api
"""
import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.list_pages import StatementCounter, app_as_ordinary_role  # noqa: E402
from bench.support import PASSWORD  # noqa: E402
from config import normalise_database_url  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("url")
    parser.add_argument("--user", default="bench_staff")
    parser.add_argument("--api", action="store_true", help="send the API's JWT")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request")
    args = parser.parse_args()

    from app.extensions import db
    from tests.conftest import IsolatedClient

    app = app_as_ordinary_role(normalise_database_url(args.database_url))
    app.test_client_class = IsolatedClient
    with app.app_context():
        counter = StatementCounter(db.engine)
        engine = db.engine
    client = app.test_client()
    assert client.post("/login/", data={"username": args.user, "password": PASSWORD}).status_code == 302
    headers = None
    if args.api:
        token = client.post("/api/v1/security/login",
                            json={"username": args.user, "password": PASSWORD, "provider": "db"}).get_json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
    for _ in range(args.warmup):
        response = client.get(args.url, headers=headers)
        assert response.status_code == 200, response.status_code
    if args.sql:
        from sqlalchemy import event

        seen = []
        listener = lambda conn, cur, statement, params, ctx, many: seen.append(statement)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        client.get(args.url, headers=headers)
        event.remove(engine, "before_cursor_execute", listener)
        for statement in seen:
            print(" ".join(statement.split())[:int(__import__("os").environ.get("SQL_WIDTH", "300"))])
    walls, cpus, statements = [], [], []
    profile = cProfile.Profile()
    for _ in range(args.repeat):
        counter.count = 0
        wall, cpu = time.perf_counter(), time.process_time()
        profile.enable()
        client.get(args.url, headers=headers)
        profile.disable()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        statements.append(counter.count)
    print(f"{args.url} as {args.user}: wall median {statistics.median(walls):.1f} ms, app CPU median "
          f"{statistics.median(cpus):.1f} ms (under cProfile), SQL {max(statements)}; "
          f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    profile.dump_stats("/tmp/lists_profile.out")
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
