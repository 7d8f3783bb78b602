"""Scheduled jobs of the consent domain (run by the scheduler process)."""

from __future__ import annotations

from bank_tax.consent import service
from bank_tax.db import db


def expire_consents() -> int:
    """Mark expired consents (hourly); reads already refuse them by time, this keeps the status true."""
    with db.scope() as session:
        return service.expire_due(session)
