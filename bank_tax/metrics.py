"""Prometheus metrics at ``GET /metrics``: requests, batch stages, ingestion, consents, whitelist deliveries,
scheduler jobs and the score drift of the last run.

Correct under several gunicorn workers and the scheduler process: ``python -m bank_tax.serve`` points every
process at one folder (``PROMETHEUS_MULTIPROC_DIR``, emptied at start), each writes its own files, and the
endpoint adds them up (prometheus_client's multiprocess mode; a dead worker's live gauges are dropped by
:func:`worker_exit`). Without that folder (a test, ``flask`` commands) the metrics are this process's.

Served to operators (a bearer token of the operator role) or to a caller on the loopback address (the
Prometheus scraper beside the server; not a request a proxy forwarded from elsewhere); everyone else
gets 404, as for an unknown path. Labels are bounded:
the route's rule (never the path with its codes), the status, sources, stages, jobs and bank codes.

Cross-cutting like ``db`` and the audit log: the domains call :func:`count` and friends; it imports none of them.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

bp = Blueprint("metrics", __name__)
MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Histogram(
    "bank_tax_http_request_duration_seconds",
    "Time to answer a request, by route (its rule), method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STAGE_SECONDS = Histogram(
    "bank_tax_batch_stage_duration_seconds",
    "A batch stage's run, from start to its end, by stage and status.",
    ["stage", "status"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 7200),
)
STAGE_FIRMS = Counter("bank_tax_batch_stage_firms_total", "Firms a batch stage went through.", ["stage"])
STAGE_PARTITIONS = Counter(
    "bank_tax_batch_stage_partitions_total",
    "Partitions of a stage by outcome (done, failed, retried).",
    ["stage", "outcome"],
)
INGESTED = Counter(
    "bank_tax_ingest_rows_total",
    "Agency rows received, by source and outcome (accepted, rejected).",
    ["source", "outcome"],
)
CONSENTS = Counter("bank_tax_consent_changes_total", "Consents granted and revoked.", ["action"])
DELIVERIES = Counter("bank_tax_whitelist_deliveries_total", "Whitelist editions delivered, by bank.", ["bank"])
JOBS = Counter("bank_tax_scheduler_job_runs_total", "Scheduled job runs by job and outcome.", ["job", "outcome"])
SCORE_PSI = Gauge(
    "bank_tax_score_psi",
    "PSI of the last score run's PD distribution against the first run's.",
    multiprocess_mode="mostrecent",
)


def count(counter: Counter, n: float = 1, **labels) -> None:
    """Add ``n`` to ``counter`` with ``labels`` (a domain's one line)."""
    if n:
        counter.labels(**labels).inc(n)


def expose(counter: Counter, **label_values) -> None:
    """Show ``counter`` at 0 for every combination of the known ``label_values`` (lists per label), so a
    scrape finds each series from the start and a rate over the first event is right (Prometheus's advice:
    a series that appears only on its first increment hides that increment from ``rate``)."""
    import itertools

    names = list(label_values)
    for combo in itertools.product(*(label_values[n] for n in names)):
        counter.labels(**dict(zip(names, combo, strict=True)))


def stage_finished(
    stage: str, *, status: str, seconds: float, firms: int, done: int, failed: int, retried: int
) -> None:
    """What the batch runner reports at the end of a stage's run."""
    STAGE_SECONDS.labels(stage=stage, status=status).observe(seconds)
    count(STAGE_FIRMS, firms, stage=stage)
    for outcome, n in (("done", done), ("failed", failed), ("retried", retried)):
        count(STAGE_PARTITIONS, n, stage=stage, outcome=outcome)


def _registry():
    folder = os.environ.get(MULTIPROC)
    if not folder:
        from prometheus_client import REGISTRY

        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=folder)
    return registry


def _allowed() -> bool:
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if request.remote_addr in ("127.0.0.1", "::1") and not forwarded:  # a proxy on this host is not the scraper
        return True
    from bank_tax.security import auth  # the caller's token, as the API reads it
    from bank_tax.security.roles import Role

    principal = auth.bearer_principal()
    return principal is not None and principal.role == Role.OPERATOR


@bp.get("/metrics")
def metrics():
    """Every series, in Prometheus's text format (operators and loopback only)."""
    if not _allowed():
        abort(404)
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Time every request (by its route's rule, not its path) and serve /metrics."""
    app.register_blueprint(bp)

    @app.before_request
    def _start():
        g.metrics_t0 = time.perf_counter()

    @app.after_request
    def _observe(response):
        t0 = g.pop("metrics_t0", None)
        if t0 is not None:
            route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
            REQUESTS.labels(route=route, method=request.method, status=str(response.status_code)).observe(
                time.perf_counter() - t0
            )
        return response


def worker_exit(pid: int) -> None:
    """gunicorn's hook when a worker exits: drop its live gauges from the sums."""
    if os.environ.get(MULTIPROC):
        multiprocess.mark_process_dead(pid)
