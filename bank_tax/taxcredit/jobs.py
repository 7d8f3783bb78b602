"""Scheduled jobs of the tax-credit domain."""

from __future__ import annotations

from bank_tax.db import db
from bank_tax.taxcredit import push


def targeted_push() -> str:
    """Tell the firms that became eligible for a product since the last push (after the daily pipeline)."""
    with db.scope() as session:
        counts = push.run(session)
    return f"{counts['notified']} newly eligible, {counts['no_longer_eligible']} no longer"
