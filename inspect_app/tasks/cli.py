"""`flask --app wsgi worker`: the queue's worker, with the periodic tasks (inspect_app/tasks)."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from huey import signals

from . import queue


@click.command("worker")
@with_appcontext
@click.option("--threads", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Tasks run at once (each render runs in a child process of its own).")
@click.option("--embedded", is_flag=True, hidden=True, help="The embedded default's local worker: one per instance.")
@click.option("--idle", type=click.IntRange(min=10), default=None, hidden=True,
              help="Stop after this many seconds without work (an embedded worker the app started).")
@click.option("--parent", type=int, default=None, hidden=True, help="Stop when this process is gone (gunicorn's).")
def worker(threads: int, embedded: bool, idle: int | None, parent: int | None) -> None:
    """Run queued tasks (document renders) and the periodic ones (reminders, the rollups' catch-up)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    q = queue()
    lock = None
    if embedded or q.embedded:
        # One worker per instance folder: the lock tells the app one runs, and stops a second one.
        lock = open(q.lock_path, "a")  # noqa: SIM115 (held for the life of the process)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            click.echo("a worker already runs for this instance")
            return
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
    # An embedded worker the app started for a render leaves the periodic tasks to the long-running one.
    consumer = q.huey.create_consumer(workers=threads, worker_type="thread", periodic=idle is None,
                                      check_worker_health=True, max_delay=1.0)
    if idle is not None or parent is not None:
        _watch(q, consumer, idle, parent)
    click.echo(f"worker: {'embedded SQLite queue' if q.embedded else current_app.config['QUEUE_URL']}, "
               f"{threads} threads")
    consumer.run()


def _watch(q, consumer, idle: int | None, parent: int | None) -> None:
    """Stop the worker after `idle` seconds without work, or once the `parent` process has gone."""
    last = [time.monotonic()]
    busy = [0]

    @q.huey.signal(signals.SIGNAL_EXECUTING)
    def _started(_signal, _task, *_args) -> None:
        busy[0] += 1
        last[0] = time.monotonic()

    @q.huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR, signals.SIGNAL_CANCELED)
    def _ended(_signal, _task, *_args) -> None:
        busy[0] -= 1
        last[0] = time.monotonic()

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def watch() -> None:
        while not consumer.stop_flag.is_set():
            time.sleep(2)
            idle_long = (idle is not None and busy[0] <= 0 and q.huey.pending_count() == 0
                         and time.monotonic() - last[0] > idle)
            if idle_long or (parent is not None and gone(parent)):
                consumer.stop_flag.set()

    threading.Thread(target=watch, daemon=True, name="worker-watch").start()


commands = [worker]
