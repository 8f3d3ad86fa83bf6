"""gunicorn settings for one app server: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Processes rather than many threads: a long page render in one thread would hold the others back.
workers = int(os.environ.get("WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("WEB_THREADS", 4))
timeout = 120  # big documents go to the render worker; this only bounds a stuck request
graceful_timeout = 30
max_requests = 2000  # workers are renewed now and then, so no slow growth can build up
max_requests_jitter = 200
accesslog = "-"
