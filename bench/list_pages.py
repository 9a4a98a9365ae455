"""List pages at scale: our views next to a stock Flask-AppBuilder ModelView (prints figures; not a test).

Loads ``iq demo`` data (default 200,000 clients, 1,000,000 cases) into an EMPTY bench database,
then requests each list page through the Flask test client as a logged-in Staff user of one
partner and as Admin, and prints the time per request (median of ``--repeat`` warm runs) and the
number of SQL statements per request. The app talks to PostgreSQL as an ordinary role (as the
test suite does), so row-level security is on, as in production.

    createdb -h 127.0.0.1 -U root perf_bench
    python bench/list_pages.py postgresql://root@127.0.0.1:5432/perf_bench            # load + measure
    python bench/list_pages.py postgresql://root@127.0.0.1:5432/perf_bench --reuse    # measure again
    dropdb -h 127.0.0.1 -U root perf_bench

The database is wiped (schema dropped) first unless ``--reuse``: never point this at real data.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, text  # noqa: E402

from bench.support import PASSWORD, ensure_user, reset_schema, run_as_ordinary_role  # noqa: E402
from config import TestConfig, normalise_database_url  # noqa: E402

STOCK = "/stockcaseview"


def build(url, clients, cases):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.scoping import system_scope
    from app.setup.demo import load_demo
    from app.setup.reference_data import seed_reference_data

    reset_schema(url)  # refuses any database that is not a bench database
    app = create_app(TestConfig(url))
    with app.app_context(), system_scope():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        started = time.perf_counter()
        load_demo(db.session, clients=clients, cases=cases, seed=1)
        db.session.commit()
        print(f"data: {cases:,} cases, {clients:,} clients loaded by iq demo in {time.perf_counter() - started:.0f} s")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def upgrade_schema(url):
    """``--reuse`` after new migrations: bring the bench database to head (as the schema owner)."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(TestConfig(url))
    with app.app_context():
        upgrade()


def app_as_ordinary_role(url):
    """The app under test: connects as a role without BYPASSRLS, plus a stock view of Case."""
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app import create_app
    from app.cases.models import Case
    from app.extensions import db
    from app.security.roles import CASES, READ_WRITE

    app = create_app(TestConfig(url))  # first: it imports every model, so that Case's mapper configures

    class StockCaseView(ModelView):
        """FAB as shipped: only the permission names are shared so that the same users may read it."""
        datamodel = SQLAInterface(Case)
        route_base = STOCK
        class_permission_name = CASES
        method_permission_name = READ_WRITE
        list_columns = ["id", "client", "opened_on", "closed_on", "status", "outcome", "funding_period", "partner"]
        search_columns = ["qualification_title", "opened_on", "status", "partner"]

    app.config["WTF_CSRF_ENABLED"] = False  # the bench logs in by posting the form directly
    with app.app_context():
        app.appbuilder.add_view_no_menu(StockCaseView)
        ensure_user(app, "bench_staff", "Staff", ["migra"])
        ensure_user(app, "bench_admin", "Admin")
        run_as_ordinary_role(db.engine)
    return app


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def pages(args):
    """(label, our URL, stock URL or None)."""
    title = "qualification_title"
    ours = "CaseView"
    return [
        ("cases: first page", "/caseview/list/", f"{STOCK}/list/"),
        ("cases: page 100", f"/caseview/list/?page_{ours}=100", f"{STOCK}/list/?page_StockCaseView=100"),
        ("cases: sorted by opened_on asc", f"/caseview/list/?_oc_{ours}=opened_on&_od_{ours}=asc",
         f"{STOCK}/list/?_oc_StockCaseView=opened_on&_od_StockCaseView=asc"),
        ("cases: page 2000", f"/caseview/list/?page_{ours}=2000", f"{STOCK}/list/?page_StockCaseView=2000"),
        ("cases: filtered by partner", f"/caseview/list/?_flt_0_partner={args.partner_id}",
         f"{STOCK}/list/?_flt_0_partner={args.partner_id}"),
        ("cases: filtered by status open", f"/caseview/list/?_flt_0_status=open",
         f"{STOCK}/list/?_flt_0_status=open"),
        (f"cases: title starts with '{args.prefix}'", f"/caseview/list/?_flt_0_{title}={args.prefix}",
         f"{STOCK}/list/?_flt_0_{title}={args.prefix}"),
        (f"cases: title contains '{args.infix}'", f"/caseview/list/?_flt_2_{title}={args.infix}",
         f"{STOCK}/list/?_flt_2_{title}={args.infix}"),
        (f"cases: client name/number starts '{args.client}'", f"/caseview/list/?_flt_0_client={args.client}", None),
        (f"cases: client number starts '{args.number}'", f"/caseview/list/?_flt_0_client={args.number}", None),
        ("clients: first page", "/clientview/list/", None),
        (f"clients: number starts with '{args.number}'", f"/clientview/list/?_flt_0_client_number={args.number}",
         None),
        (f"clients: last name contains '{args.name}'", f"/clientview/list/?_flt_2_last_name={args.name}", None),
        ("API /api/v1/case/ (25 rows)", "/api/v1/case/?q=(page:0,page_size:25)", None),
        ("API /api/v1/case/ page 100", "/api/v1/case/?q=(page:100,page_size:25)", None),
    ]


def timed(client, counter, url, headers, repeat):
    client.get(url, headers=headers)  # warm-up: caches, plans, buffers
    times, statements = [], []
    for _ in range(repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - started)
        statements.append(counter.count)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}\n{response.get_data(as_text=True)[:800]}")
    return statistics.median(times) * 1000, max(statements)


def measure(app, args):
    from app.extensions import db
    from tests.conftest import IsolatedClient

    app.test_client_class = IsolatedClient
    with app.app_context():
        counter = StatementCounter(db.engine)
    rows = []
    for username, label in (("bench_staff", "Staff (migra)"), ("bench_admin", "Admin")):
        client = app.test_client()
        response = client.post("/login/", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        token = client.post("/api/v1/security/login",
                            json={"username": username, "password": PASSWORD, "provider": "db"}).get_json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for page, ours, stock in pages(args):
            api = ours.startswith("/api/")
            ms, n = timed(client, counter, ours, headers if api else None, args.repeat)
            stock_ms, stock_n = timed(client, counter, stock, None, args.repeat) if stock else (None, None)
            rows.append((label, page, ms, n, stock_ms, stock_n))
    print(f"\n{'user':<14} {'page':<44} {'ours ms':>8} {'SQL':>4} {'stock ms':>9} {'SQL':>4} {'ratio':>6}")
    for label, page, ms, n, stock_ms, stock_n in rows:
        stock = f"{stock_ms:9.0f} {stock_n:4d} {stock_ms / ms:5.1f}x" if stock_ms is not None else \
            f"{'–':>9} {'–':>4} {'–':>6}"
        print(f"{label:<14} {page:<44} {ms:8.0f} {n:4d} {stock}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help="measure the data already in the database")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--prefix", default="Master", help="'starts with' term for the case title filter")
    parser.add_argument("--infix", default="electri", help="'contains' term for the case title filter")
    parser.add_argument("--name", default="ova", help="'contains' term for the client last-name filter")
    parser.add_argument("--client", default="Ahm", help="'starts with' term for the case list's client filter")
    parser.add_argument("--number", default="MIGR-B5", help="client number prefix")
    parser.add_argument("--partner-id", type=int, default=1, help="partner id of the partner filter (1: migra)")
    args = parser.parse_args()
    url = normalise_database_url(args.database_url)
    if not url.startswith("postgresql"):
        sys.exit("This benchmark needs PostgreSQL.")
    if args.reuse:
        upgrade_schema(url)
    else:
        build(url, args.clients, args.cases)
    measure(app_as_ordinary_role(url), args)


if __name__ == "__main__":
    main()
