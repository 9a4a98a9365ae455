"""Issue 8, "More than one machine": two app instances (two server processes) on one database and
one Redis: a session opened on one works on the other, a logout on one ends it on both, and the
failed-login limit counts the attempts made on both.

Redis: ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/2``); skipped only if it is unreachable.
Every run uses its own key prefix and removes its keys afterwards.
"""
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import PASSWORD

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
PORTS = range(int(os.environ.get("IQ_TEST_PORT_FIRST", "8110")), int(os.environ.get("IQ_TEST_PORT_LAST", "8119")) + 1)
ROOT = Path(__file__).resolve().parent.parent


def _redis():
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return connection


def _free_ports(count):
    found = []
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.fail(f"no {count} free ports in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture(scope="module")
def instances(app, database_url):
    """Two servers (own processes, own app objects) sharing SECRET_KEY, database and Redis;
    started once for this module (each test uses users of its own)."""
    store = _redis()
    prefix = "iqtest-" + secrets.token_hex(6)
    shared = {"SECRET_KEY": secrets.token_hex(32), "RATELIMIT_STORAGE_URI": REDIS_URL,
              "RATELIMIT_KEY_PREFIX": prefix, "IQ_TEST_INSTANCE_DATABASE_URL": database_url}
    processes, bases = [], []
    try:
        for port in _free_ports(2):
            env = dict(os.environ, IQ_TEST_INSTANCE_PORT=str(port), **shared)
            log = tempfile.TemporaryFile(mode="w+")  # the server's log; shown if it does not start
            process = subprocess.Popen([sys.executable, "-m", "tests.instance_server"], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=log, text=True)
            processes.append((process, log))
            line = process.stdout.readline()  # blocks until the server listens (or dies)
            if line.strip() != "READY":
                log.seek(0)
                pytest.fail("instance did not start:\n" + log.read()[-3000:])
            bases.append(("127.0.0.1", port))
        yield bases
    finally:
        for process, log in processes:
            process.terminate()
            process.wait()
            process.stdout.close()
            log.close()
        for key in store.scan_iter(match=f"*/{prefix}/*"):  # LIMITS:LIMITER/<prefix>/...
            store.delete(key)


class Browser:
    """A minimal browser: its own cookie jar, redirects not followed, any server."""

    def __init__(self):
        self.cookies = {}

    def send(self, server, method, path, form=None, body=None, headers=None):
        headers = dict(headers or {})
        payload = None
        if form is not None:
            payload = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(*server, timeout=30)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
            return response.status, response.headers, text
        finally:
            connection.close()

    def get(self, server, path, **kwargs):
        return self.send(server, "GET", path, **kwargs)

    def csrf(self, server, path):
        _, _, html = self.get(server, path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def login(self, server, username, password=PASSWORD):
        token = self.csrf(server, "/login/")
        status, headers, _ = self.send(server, "POST", "/login/", form={
            "username": username, "password": password, "csrf_token": token})
        return status, headers


def _logged_in(browser, server, path):
    status, headers, _ = browser.get(server, path)
    assert status in (200, 302), status
    if status == 302:
        assert "/login/" in headers["Location"]
    return status == 200


def _api_login(server, username, password):
    status, _, text = Browser().send(server, "POST", "/api/v1/security/login",
                                     body={"username": username, "password": password, "provider": "db"})
    return status, json.loads(text)


def test_a_session_opened_on_one_instance_works_on_the_other_and_a_logout_ends_it_on_both(
        instances, make_user, factories, ctx):
    one, two = instances
    make_user("t_roaming", "Staff", ["migra"])
    record = factories.client(partner="migra")
    page = f"/clientview/show/{record.id}"

    browser = Browser()
    status, headers = browser.login(one, "t_roaming")
    assert status == 302 and "/login/" not in headers["Location"]
    assert _logged_in(browser, two, page)
    # Work on the other instance: a change with the CSRF token of the session from the first.
    token = browser.csrf(one, "/userinfoeditview/form")
    status, _, _ = browser.send(two, "POST", "/userinfoeditview/form",
                                form={"first_name": "Wandernd", "last_name": "Person", "csrf_token": token})
    assert status == 302
    from flask_appbuilder.security.sqla.models import User

    ctx.expire_all()
    assert ctx.query(User).filter_by(username="t_roaming").one().first_name == "Wandernd"
    ctx.rollback()  # end the read (SQLite: a reader's lock would hold up the servers' writes)
    status, answer = _api_login(two, "t_roaming", PASSWORD)
    assert status == 200
    access = {"Authorization": f"Bearer {answer['access_token']}"}
    assert Browser().get(one, "/api/v1/client/", headers=access)[0] == 200

    captured = dict(browser.cookies)
    status, _, _ = browser.get(two, "/logout/")  # only asks
    assert status == 200 and _logged_in(browser, one, page)
    status, _, _ = browser.send(two, "POST", "/logout/", form={"csrf_token": browser.csrf(one, "/logout/")})
    assert status == 302

    for server in (one, two):
        assert not _logged_in(browser, server, page)
        replay = Browser()
        replay.cookies = dict(captured)
        assert not _logged_in(replay, server, page)
        assert Browser().get(server, "/api/v1/client/", headers=access)[0] == 401


def test_the_login_limit_counts_failures_on_both_instances(app, instances, make_user):
    one, two = instances
    make_user("t_hammered", "Staff", ["migra"])
    limit = int(app.config["LOGIN_LIMIT_PER_USER"].split()[0])
    for attempt in range(limit):
        status, _ = _api_login((one, two)[attempt % 2], "t_hammered", "wrong-password")
        assert status == 401
    # Each instance alone has seen fewer failures than the limit; together they reached it.
    for server in (one, two):
        status, answer = _api_login(server, "t_hammered", PASSWORD)
        assert status == 429, answer
    status, headers = Browser().login(one, "t_hammered")
    assert status == 429
