"""Issue 8.4: failed logins are limited per user name and per address, on UI and API alike."""
from tests.conftest import PASSWORD, csrf_token


def _ui_login(client, username, password, address="127.0.0.1"):
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": csrf_token(client, "/login/")},
                       environ_base={"REMOTE_ADDR": address})


def _api_login(client, username, password, address="127.0.0.1"):
    return client.post("/api/v1/security/login", environ_base={"REMOTE_ADDR": address},
                       json={"username": username, "password": password, "provider": "db"})


def test_api_failures_per_user_then_even_the_right_password_is_refused(app, client, make_user):
    make_user("t_limited", "Staff", ("migra",))
    limit = int(app.config["LOGIN_LIMIT_PER_USER"].split()[0])
    for i in range(limit):
        assert _api_login(client, "t_limited", "wrong-password", f"10.0.0.{i}").status_code == 401
    response = _api_login(client, "t_limited", PASSWORD, "10.0.1.1")
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_json()["message"]
    # Another user from the same addresses is not affected.
    make_user("t_unlimited", "Staff", ("migra",))
    assert _api_login(client, "t_unlimited", PASSWORD, "10.0.0.1").status_code == 200


def test_ui_and_api_share_the_user_counter_and_the_message_is_translated(app, client, make_user,
                                                                         german_default):
    make_user("t_limited2", "Staff", ("migra",))
    limit = int(app.config["LOGIN_LIMIT_PER_USER"].split()[0])
    for i in range(limit - 1):
        assert _ui_login(client, "t_limited2", "wrong-password", f"10.1.0.{i}").status_code == 302
    assert _api_login(client, "t_limited2", "wrong-password", "10.1.1.1").status_code == 401
    response = _ui_login(client, "t_limited2", PASSWORD, "10.1.2.2")
    assert response.status_code == 429
    assert "Anmeldungen" in response.get_data(as_text=True)


def test_failures_per_address_across_user_names(app, client, make_user):
    make_user("t_victim3", "Staff", ("migra",))
    limit = int(app.config["LOGIN_LIMIT_PER_ADDRESS"].split()[0])
    for i in range(limit):
        assert _api_login(client, f"t_nobody{i}", "wrong-password", "10.2.0.9").status_code == 401
    assert _api_login(client, "t_victim3", PASSWORD, "10.2.0.9").status_code == 429
    assert _api_login(client, "t_victim3", PASSWORD, "10.2.0.10").status_code == 200


def test_successful_logins_do_not_count(app, client, make_user):
    make_user("t_often", "Staff", ("migra",))
    limit = int(app.config["LOGIN_LIMIT_PER_USER"].split()[0])
    for _ in range(limit + 2):
        assert _api_login(client, "t_often", PASSWORD).status_code == 200



def test_behind_one_proxy_the_forwarded_address_is_the_client_address():
    """IQ_PROXY_COUNT=1: the per-address counter sees the client, not the proxy (one hop trusted)."""
    from flask import Flask

    from app.core.web_security import init_web_security
    from app.security.login_limits import _address_key

    for proxies, expected in ((1, "login-addr:192.0.2.7"), (0, "login-addr:127.0.0.1")):
        probe = Flask("probe")
        probe.config.update(SECRET_KEY="x", PROXY_COUNT=proxies)
        init_web_security(probe)
        probe.add_url_rule("/who", "who", lambda: _address_key())
        answer = probe.test_client().get("/who", headers={"X-Forwarded-For": "198.51.100.1, 192.0.2.7"})
        assert answer.get_data(as_text=True) == expected
