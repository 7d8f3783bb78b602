"""Scheduled jobs of the matching domain."""

from __future__ import annotations

from bank_tax.db import db
from bank_tax.matching import service


def whitelist(bank_code: str) -> str:
    """Push a bank its scheduled whitelist edition."""
    with db.scope() as session:
        edition = service.generate(session, bank_code=bank_code, actor=None, trigger="schedule")
        return f"edition {edition.id}: {edition.n_firms} firms"
