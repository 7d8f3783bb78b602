"""Scheduled jobs of the security domain (run by the scheduler process)."""

from __future__ import annotations

from flask import current_app

from bank_tax import clock
from bank_tax.db import db
from bank_tax.security import service

PURGE_BATCH = 10_000  # rows per transaction, so a first purge of a long backlog never holds one huge lock


def purge_login_attempts() -> int:
    """Delete login attempts older than the throttle's memory (hourly), a bounded batch per transaction;
    return how many. Nothing reads them any more, and each login's checks stay on a small table."""
    before = clock.now() - service.Throttle.from_config(current_app.config).memory
    total = 0
    while True:
        with db.scope() as session:
            deleted = service.purge_login_attempts(session, before=before, limit=PURGE_BATCH)
        total += deleted
        if deleted < PURGE_BATCH:
            return total
