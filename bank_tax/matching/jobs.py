"""Scheduled jobs of the matching domain."""

from __future__ import annotations

import sqlalchemy as sa

from bank_tax.batch import daily
from bank_tax.db import db
from bank_tax.matching.models import WhitelistEdition


def whitelist(bank_code: str) -> str:
    """Push a bank its scheduled whitelist edition (a batch run by partitions, resumed if one was killed)."""
    summary = daily.whitelists(bank_codes=[bank_code], trigger="schedule")
    if summary.status != "done":
        raise RuntimeError(f"batch run {summary.run_id} is {summary.status}: the next run resumes it")
    with db.scope() as session:
        edition = session.scalars(
            sa.select(WhitelistEdition).where(WhitelistEdition.batch_run_id == summary.run_id)
        ).one()
        return f"edition {edition.id}: {edition.n_firms} firms"
