"""gunicorn.conf.py: the production settings are sane and taken from the environment (no server started)."""
import importlib.util
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load(monkeypatch, **env):
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_defaults_two_sync_workers_on_localhost(monkeypatch):
    conf = load(monkeypatch)
    assert conf.workers == 2
    assert conf.bind == "127.0.0.1:8000"
    assert conf.worker_class == "sync"
    assert conf.preload_app is False  # the engine is created after the fork in each worker
    assert 30 <= conf.timeout <= 120


def test_workers_bind_and_timeout_from_environment(monkeypatch):
    conf = load(monkeypatch, HOST="0.0.0.0", PORT="8191", WEB_CONCURRENCY="4", GUNICORN_TIMEOUT="90")
    assert conf.bind == "0.0.0.0:8191"
    assert conf.workers == 4
    assert conf.timeout == 90


@pytest.mark.parametrize("name,value", [("WEB_CONCURRENCY", "0"), ("PORT", "0"), ("GUNICORN_TIMEOUT", "-1")])
def test_nonsense_values_are_refused(monkeypatch, name, value):
    with pytest.raises(ValueError, match=name):
        load(monkeypatch, **{name: value})


def test_gunicorn_accepts_the_file(monkeypatch):
    """gunicorn's own config parser reads every setting (a typo in a name would be rejected)."""
    from gunicorn.config import Config

    conf = load(monkeypatch, PORT="8192")
    config = Config()
    for name in ("bind", "workers", "worker_class", "timeout", "graceful_timeout", "keepalive",
                 "preload_app", "max_requests", "max_requests_jitter", "accesslog", "errorlog"):
        config.set(name, getattr(conf, name))
    assert config.workers == 2 and config.bind == ["127.0.0.1:8192"]
    assert config.worker_class_str == "sync"


def test_workers_register_for_the_heartbeat_of_streamed_exports(monkeypatch):
    """A streamed export beats per chunk: the registered worker is notified, so a long but steady
    export is not killed by the timeout."""
    import app.warmup
    from app.core import heartbeat

    class Worker:
        beats, pid, wsgi = 0, 1, None
        log = type("Log", (), {"info": lambda *a: None, "exception": lambda *a: None})()

        def notify(self):
            self.beats += 1

    worker = Worker()
    conf = load(monkeypatch)
    monkeypatch.setattr(heartbeat, "_worker", None)
    monkeypatch.setattr(app.warmup, "warm_up", lambda wsgi: 0.0)
    conf.post_worker_init(worker)
    assert list(heartbeat.beating(iter([b"a", b"b", b"c"]))) == [b"a", b"b", b"c"]
    assert worker.beats == 3
