"""gunicorn's settings for ``make run`` and production (``gunicorn -c python:bank_tax.gunicorn_conf app:app``).

Workers from the cores (2 per core + 1, at most 8; ``WEB_CONCURRENCY`` overrides), bound to ``HOST``
(default loopback) and ``PORT`` (default 5000). The timeout allows a bank's whitelist generated on request
(a batch over every partition in one transaction) and a large upload. Requests are logged by the app,
as JSON lines on stderr.
"""

from __future__ import annotations

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
timeout = 300
graceful_timeout = 30
accesslog = None  # the app writes one JSON line per request (bank_tax.requestlog) instead
errorlog = "-"


def child_exit(server, worker) -> None:
    """A worker exited: its live gauges leave the metrics' sums (prometheus_client's multiprocess mode)."""
    from bank_tax.metrics import worker_exit

    worker_exit(worker.pid)
