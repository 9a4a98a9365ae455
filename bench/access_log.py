"""Cost of the read-access log per request (prints figures; not a test).

Loads a small ``iq demo`` data set into an EMPTY PostgreSQL database (schema dropped first: never
point this at real data), then as Staff of one partner and as Admin requests the client API list
(25 clients per page → one 25-row INSERT), a single client over the API, the client show page,
the client, case and contact list pages (25 rows) and a case page,
through the Flask test client, with the log's ``after_request`` writer on and off (alternating),
and prints the median request time for both and the median time spent in the writer itself.

    python bench/access_log.py postgresql://root@127.0.0.1:5432/SOME_BENCH_DB [--repeat 60]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import PASSWORD, ensure_user, reset_schema, run_as_ordinary_role  # noqa: E402
from config import TestConfig, normalise_database_url  # noqa: E402


def build(url):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.scoping import system_scope
    from app.setup.demo import load_demo
    from app.setup.reference_data import seed_reference_data

    reset_schema(url)  # refuses any database that is not a bench database
    app = create_app(TestConfig(url))
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context(), system_scope():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        load_demo(db.session, clients=2000, cases=5000, seed=1)
        db.session.commit()
        run_as_ordinary_role(db.engine)
        ensure_user(app, "bench_staff", "Staff", ["migra"])
        ensure_user(app, "bench_admin", "Admin")
        db.session.commit()
        from app.clients.models import Client
        from app.cases.models import Case
        client_id = db.session.query(Client.id).filter(Client.partner_id == 1).order_by(Client.id).first()[0]
        case_id = db.session.query(Case.id).filter(Case.partner_id == 1).order_by(Case.id).first()[0]
    return app, client_id, case_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    url = normalise_database_url(args.url)
    app, client_id, case_id = build(url)
    import app.security.access_log as access_log

    writer_times = []
    original = access_log.write_pending

    def timed(response):
        started = time.perf_counter()
        try:
            return original(response)
        finally:
            writer_times.append(time.perf_counter() - started)

    funcs = app.after_request_funcs[None]
    slot = funcs.index(original)
    paths = [("API list (25 clients)", "/api/v1/client/?q=(page_size:25)", True),
             ("API client", f"/api/v1/client/{client_id}", True),
             ("show page", f"/clientview/show/{client_id}", False),
             ("client list (25)", "/clientview/list/?psize_ClientView=25", False),
             ("case list (25)", "/caseview/list/?psize_CaseView=25", False),
             ("case page", f"/caseview/show/{case_id}", False),
             ("contact list (25)", "/contactview/list/?psize_ContactView=25", False)]
    print(f"{'user':<6} {'request':<22} {'off ms':>8} {'on ms':>8} {'diff ms':>8} {'writer ms':>10}")
    for username in ("bench_staff", "bench_admin"):
        web = app.test_client()
        web.post("/login/", data={"username": username, "password": PASSWORD})
        token = web.post("/api/v1/security/login", json={"username": username, "password": PASSWORD,
                                                          "provider": "db"}).get_json()["access_token"]
        for label, path, api in paths:
            headers = {"Authorization": f"Bearer {token}"} if api else {}
            on, off = [], []
            writer_times.clear()
            for i in range(args.repeat * 2 + 4):
                enabled = i % 2 == 0
                funcs[slot] = timed if enabled else (lambda response: response)
                started = time.perf_counter()
                response = web.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (path, response.status_code)
                if i >= 4:
                    (on if enabled else off).append(elapsed)
            funcs[slot] = original
            off_ms, on_ms = statistics.median(off) * 1000, statistics.median(on) * 1000
            writer_ms = statistics.median(writer_times[2:]) * 1000
            print(f"{username[6:]:<6} {label:<22} {off_ms:8.2f} {on_ms:8.2f} {on_ms - off_ms:8.2f} {writer_ms:10.3f}")


if __name__ == "__main__":
    main()
