"""gunicorn settings for one app server: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# One single-threaded process per core: a request is mostly CPU work (queries' results, templates), and a process
# or thread more per core only makes the running requests take turns, which counts as their own time. At 50
# inspectors on 2 cores (app, database and load on one machine) 2 × 1 cut the fill page's p95 by a third to a
# half against 3 × 1 and 4 × 2, and the tablets' own wait with it. On a mixed day with PostgreSQL, whose waits
# leave a core idle, 3 × 1 kept the tablets' wait shorter (benchmarks/README.md): with the database on a machine
# of its own, set WEB_WORKERS to the cores and one more. nginx in front buffers slow clients, so none holds a
# process.
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("WEB_THREADS", 1))
timeout = 120  # big documents go to the render worker; this only bounds a stuck request
graceful_timeout = 30
max_requests = 2000  # workers are renewed now and then, so no slow growth can build up
max_requests_jitter = 200
accesslog = "-"


def on_starting(server):
    """Say so when the /login request limit is counted by each worker alone (the lock-out after wrong passwords is
    counted in the database, whatever this says)."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "RATELIMIT_STORAGE_URI is %s: each of the %d workers counts the /login request limit on its own, so an "
            "address may make %d times as many requests; set it to a Redis shared by all workers and servers "
            "(docs/deploy.md)", storage, server.cfg.workers, server.cfg.workers)


def post_worker_init(worker):
    """Leave the app's own objects out of the garbage collector's full passes, then warm up the PDF engine in
    the background (fonts, stylesheet, templates): otherwise the first document each worker renders costs
    several times the next ones.

    The app, loaded, is some 200,000 objects that live as long as the worker. A full pass walks them all, about
    100 ms, and falls on whichever request is running every ten or so dashboards (benchmarks/README.md)."""
    import gc

    from inspect_app.pdf import engine

    gc.freeze()
    engine.warm_up_in_background()


def when_ready(server):
    """With no QUEUE_URL, start the embedded default's queue worker beside the app (big documents' renders,
    the daily reminders, the rollups' catch-up); with one, `flask --app wsgi worker` runs as a service of its
    own (docs/deploy.md)."""
    if os.environ.get("QUEUE_URL", "").strip():
        return
    from inspect_app import tasks
    from wsgi import app

    with app.app_context():
        if tasks.queue().ensure_embedded_worker(idle_seconds=None, parent=os.getpid()):
            server.log.info("embedded queue worker started")
    server.queue_app = app


def on_exit(server):
    app = getattr(server, "queue_app", None)
    if app is not None:
        from inspect_app import tasks

        with app.app_context():
            tasks.queue().stop_embedded_worker()
