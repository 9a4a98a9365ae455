"""app/warmup.py: a new gunicorn worker is warmed before its first request (no server started)."""
import gc
import importlib.util
import types
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_warm_up_renders_and_freezes_then_pages_still_work(app, monkeypatch):
    from app import warmup

    rendered = []
    real = warmup._warm
    monkeypatch.setattr(warmup, "_warm", lambda a: rendered.append(a) or real(a))
    try:
        assert warmup.warm_up(app) >= 0
        assert rendered == [app]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert app.test_client().get("/login/").status_code == 200


def test_warm_up_can_be_switched_off(app, monkeypatch):
    from app import warmup

    monkeypatch.setenv("IQ_WARMUP", "0")
    monkeypatch.setattr(warmup, "_warm", lambda a: (_ for _ in ()).throw(AssertionError("warmed")))
    before = gc.get_freeze_count()
    warmup.warm_up(app)
    assert gc.get_freeze_count() == before


def test_gunicorn_hook_warms_the_worker_app(app, monkeypatch):
    from app import warmup

    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda a: calls.append(a) or 0.0)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_warmup", CONF)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    lines = []
    worker = types.SimpleNamespace(wsgi=app, pid=1, log=types.SimpleNamespace(info=lambda *a: lines.append(a)))
    conf.post_worker_init(worker)
    assert calls == [app]
    assert "worker ready" in lines[0][0]


def test_a_failed_warm_up_does_not_stop_the_worker(app, monkeypatch):
    from app import warmup

    monkeypatch.setattr(warmup, "warm_up", lambda a: (_ for _ in ()).throw(RuntimeError("database down")))
    spec = importlib.util.spec_from_file_location("gunicorn_conf_warmup_failing", CONF)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    logged = []
    log = types.SimpleNamespace(info=lambda *a: logged.append(("info", a[0])),
                                exception=lambda *a: logged.append(("exception", a[0])))
    conf.post_worker_init(types.SimpleNamespace(wsgi=app, pid=1, log=log))
    assert [kind for kind, _ in logged] == ["exception", "info"] and "worker ready" in logged[1][1]
