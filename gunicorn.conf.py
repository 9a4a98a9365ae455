"""gunicorn settings for production and for the bench (issue 10): ``gunicorn -c gunicorn.conf.py 'app:create_app()'``.

Every setting can be changed by environment, without editing this file:

- ``HOST`` / ``PORT`` (``127.0.0.1`` / ``8000``): the address to bind;
- ``WEB_CONCURRENCY`` (``2``): worker processes, one per core on the 2-core target machine;
- ``GUNICORN_TIMEOUT`` (``60``): seconds before a silent worker is killed and restarted.
"""
import os


def _int(name, default, minimum=1):
    value = int(os.environ.get(name, default))
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", 2)
# sync: every request is CPU-bound Python or a short PostgreSQL query, with no long-held connections
# (streamed exports excepted: they report progress per batch, see post_worker_init); threads or gevent would add only GIL
# contention on 2 cores. Put a buffering reverse proxy (nginx) in front for slow clients.
worker_class = "sync"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
# No preload_app: each worker builds the app (and its SQLAlchemy engine and connection pool) after
# the fork, so that no database connection is ever shared between processes.
preload_app = False
# A worker restarts after this many requests (with jitter) so that slow memory growth stays bounded.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000, minimum=0)
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"


def post_worker_init(worker):
    """Warm the worker before its first request (app/warmup.py: connection, catalogues, templates,
    WeasyPrint, then ``gc.freeze``); ``bench/cold_start.py`` waits for the line logged here.

    Streamed exports call ``app.core.heartbeat.beat()`` per batch: registered here, a worker that
    streams a large file steadily is not killed by ``timeout``; one that stalls still is."""
    from app.core.heartbeat import register_worker
    from app.warmup import warm_up

    register_worker(worker)

    try:
        seconds = warm_up(worker.wsgi)
    except Exception:  # e.g. the database not reachable yet: serve (and answer errors) rather than crash-loop
        worker.log.exception("warm-up failed; the worker serves unwarmed")
        seconds = 0.0
    worker.log.info("worker ready (pid %s, warm-up %.1f s)", worker.pid, seconds)


def worker_exit(server, worker):
    """A worker that stops gracefully (restart, max_requests, SIGTERM) writes its queued read-access
    log rows first (app/security/access_log.py, batched mode); atexit does the same as a fallback."""
    from app.security.access_log import flush

    try:
        flush()
    except Exception:
        worker.log.exception("access log: queued rows could not be written at worker exit")
