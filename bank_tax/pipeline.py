"""The pipeline, end to end: drop-folder ingestion → features as of a moment → scores of every firm.

One function serves the CLI (``flask --app app pipeline run``) and the scheduled job. Ingestion commits per
batch; scoring runs one partition of firms at a time (:mod:`bank_tax.batch`), each committed with its
checkpoint, so a run killed at any moment resumes at its first unfinished partition.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app

from bank_tax.db import db


def run(
    *,
    as_of: dt.datetime | None = None,
    ingest: bool = True,
    progress: bool = False,
    workers: int | None = None,
    partition_firms: int | None = None,
) -> dict:
    from bank_tax.batch import runner
    from bank_tax.modelling.scoring import champion
    from bank_tax.sources import service as sources

    files = []
    if ingest:
        inbox = Path(current_app.config.get("INBOX_PATH") or Path(current_app.instance_path) / "inbox")
        files = sources.scan_inbox(db.scope, inbox)
    model = champion()  # 503 before anything starts when there is none
    # no moment given: today's unfinished run (killed) is resumed, or a new one runs as of now
    summary = runner.run("scores", as_of=as_of, workers=workers, partition_firms=partition_firms, progress=progress)
    return {
        "as_of": summary.as_of.isoformat(),
        "files": len(files),
        "batch_run_id": summary.run_id,
        "status": summary.status,
        "partitions": summary.partitions,
        "partitions_done": summary.done,
        "partitions_resumed": summary.skipped,
        "partitions_failed": summary.failed,
        "partitions_retried": summary.retried,
        "snapshot_id": summary.snapshot_id,
        "run_id": summary.score_run_id,
        "firms": summary.firms,
        "model_version": model.version,
        "peak_rss_mb": max(summary.peak_rss_mb.values(), default=0.0),
    }


def job() -> dict:
    """The scheduled form (daily): everything as of now."""
    return run()
