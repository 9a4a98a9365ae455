"""Cold start (issue 10): the first request of each page after a restart of gunicorn (prints figures; not a test).

For every page, gunicorn is started afresh with the repo's ``gunicorn.conf.py`` (2 sync workers, one
shared SECRET_KEY), the app connecting as the ordinary role ``iq_app_bench`` so that row-level security
is on. The script waits until the workers have booted (the gunicorn log shows the ``post_worker_init``
line of both workers, or the port answers), then logs in as the Admin over HTTP and times the first
request of that page; the login page and the login POST (the very first requests) are timed too.

    python bench/cold_start.py postgresql://root@127.0.0.1:5432/bench_summary --port 5171

The database must hold data and the bench user (``bench/summary.py --reuse`` creates ``bench_admin``);
nothing is written to it except the login's own bookkeeping and the read-access log.
"""
import argparse
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import APP_ROLE, PASSWORD  # noqa: E402

PAGES = [
    ("case list", "/caseview/list/"),
    ("case show", "/caseview/show/{case_id}"),
    ("case edit form", "/caseview/edit/{case_id}"),
    ("case add form", "/caseview/add"),
    ("client list", "/clientview/list/"),
    ("API /api/v1/case/", "/api/v1/case/"),
    ("dashboard", "/reports/dashboard"),
    ("summary PDF, network-wide", "/reports/summary.pdf"),
]


def create_app_as_role():
    """The production app whose every new connection acts as the bench role (RLS on).

    gunicorn loads this in each worker (``bench.cold_start:create_app_as_role()``)."""
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app()
    role = os.environ["IQ_BENCH_ROLE"]
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _set_role(dbapi_connection, connection_record):
            cursor = dbapi_connection.cursor()
            cursor.execute(f'SET ROLE "{role}"')
            cursor.close()
            dbapi_connection.commit()

        db.engine.dispose()
    return app


class Server:
    def __init__(self, url, port, secret, logfile):
        self.base = f"http://127.0.0.1:{port}"
        self.logfile = logfile
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secret, HOST="127.0.0.1", PORT=str(port),
                   IQ_BENCH_ROLE=APP_ROLE, WEB_CONCURRENCY="2")
        self.started = time.perf_counter()
        with open(logfile, "w") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                 "bench.cold_start:create_app_as_role()"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout=120):
        """Seconds until both workers are ready (their warm-up line), or until the port answers."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited; see {self.logfile}")
            text = Path(self.logfile).read_text(errors="replace")
            if text.count("worker ready") >= 2:
                return time.perf_counter() - self.started
            time.sleep(0.1)
        sys.exit(f"gunicorn workers not ready; see {self.logfile}")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def timed(http, method, url, **kwargs):
    started = time.perf_counter()
    answer = http.request(method, url, allow_redirects=False, timeout=300, **kwargs)
    return answer, time.perf_counter() - started


def one_page(args, secret, label, path):
    server = Server(args.database_url, args.port, secret, Path(tempfile.gettempdir()) / f"cold_start_{args.port}.log")
    try:
        boot = server.wait_ready()
        http = requests.Session()
        page, t_login_page = timed(http, "GET", server.base + "/login/")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        if not token:
            sys.exit("no CSRF token in the login form")
        answer, t_login = timed(http, "POST", server.base + "/login/",
                                data={"username": args.user, "password": PASSWORD, "csrf_token": token.group(1)})
        if answer.status_code != 302:
            sys.exit(f"login failed: HTTP {answer.status_code}")
        headers = {}
        if path.startswith("/api/"):  # the API takes a JWT only (app/core/api.py)
            token = http.post(server.base + "/api/v1/security/login", timeout=300,
                              json={"username": args.user, "password": PASSWORD, "provider": "db"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        answer, first = timed(http, "GET", server.base + path.format(case_id=args.case_id), headers=headers)
        if answer.status_code != 200:
            sys.exit(f"{path}: HTTP {answer.status_code}")
        _, second = timed(http, "GET", server.base + path.format(case_id=args.case_id), headers=headers)
        return boot, t_login_page, t_login, first, second, len(answer.content)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("--port", type=int, default=5171)
    parser.add_argument("--user", default="bench_admin")
    parser.add_argument("--case-id", type=int, default=1)
    parser.add_argument("--only", help="comma-separated substrings of the page labels to run")
    args = parser.parse_args()
    secret = secrets.token_hex(32)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'page':<28} {'boot s':>7} {'login page s':>13} {'login POST s':>13} {'FIRST s':>8} {'second s':>9}")
    firsts = []
    for label, path in PAGES:
        if args.only and not any(part in label for part in args.only.split(",")):
            continue
        boot, login_page, login, first, second, size = one_page(args, secret, label, path)
        firsts.append(first)
        print(f"{label:<28} {boot:7.1f} {login_page:13.2f} {login:13.2f} {first:8.2f} {second:9.2f}", flush=True)
    print(f"first request per page: max {max(firsts):.2f} s, median {statistics.median(firsts):.2f} s; "
          f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
