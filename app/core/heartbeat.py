"""A long streamed answer tells gunicorn that its worker is alive (``beat()`` per batch).

A sync worker reports to the arbiter only between requests, so without this any response taking
longer than ``GUNICORN_TIMEOUT`` (60 s) is killed mid-stream, however steadily it progresses: a
1M-case export on a loaded machine. ``gunicorn.conf.py``'s ``post_worker_init`` registers the
worker; outside gunicorn (tests, the CLI, the development server) ``beat()`` does nothing. A
stream that stops making progress still gets its worker killed after the timeout.
"""
_worker = None


def register_worker(worker):
    global _worker
    _worker = worker


def beat():
    if _worker is not None:
        _worker.notify()


def beating(chunks):
    """The chunks of a streamed body, with a heartbeat after each one."""
    for chunk in chunks:
        beat()
        yield chunk
