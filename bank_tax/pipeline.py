"""The pipeline, end to end: drop-folder ingestion → features as of a moment → scores of every firm.

One function serves the CLI (``flask --app app pipeline run``) and the scheduled job; each stage
commits on its own, so a failure in scoring leaves the ingested batches and nothing half written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app
from tqdm import tqdm

from bank_tax import clock
from bank_tax.db import db


def run(*, as_of: dt.datetime | None = None, ingest: bool = True, progress: bool = False) -> dict:
    from bank_tax.modelling import scoring
    from bank_tax.sources import service as sources

    moment = as_of or clock.now()
    files = []
    with tqdm(total=3, desc="pipeline", unit="stage", disable=not progress) as bar:
        if ingest:
            inbox = Path(current_app.config.get("INBOX_PATH") or Path(current_app.instance_path) / "inbox")
            files = sources.scan_inbox(db.scope, inbox)
        bar.update(1)
        bar.set_postfix_str("features and scores")
        with db.scope() as session:
            run_ = scoring.score_all(session, as_of=moment, progress=progress)
            bar.update(2)
            return {
                "as_of": moment.isoformat(),
                "files": len(files),
                "snapshot_id": run_.snapshot_id,
                "run_id": run_.id,
                "firms": run_.n_firms,
                "model_version": run_.model_version,
            }


def job() -> dict:
    """The scheduled form (daily): everything as of now."""
    return run()
