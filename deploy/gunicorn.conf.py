"""gunicorn settings of the web process (``deploy/Procfile``, ``deploy/systemd``).

Threads, not more processes, carry the concurrency: a request spends most of its time
waiting on the database or an outside service. Tune with the environment:
``HOST``/``PORT`` (127.0.0.1:8000: behind a reverse proxy on the same machine),
``WEB_CONCURRENCY`` (worker processes, 2) and ``WEB_THREADS`` (threads each, 4).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 20  # a deploy lets requests in flight finish
keepalive = 5
max_requests = 5000  # recycle workers now and then, staggered
max_requests_jitter = 500
accesslog = None  # the app writes one JSON line per request itself
errorlog = "-"
loglevel = "warning"
