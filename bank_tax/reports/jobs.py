"""Scheduled jobs of the reports domain."""

from __future__ import annotations

from bank_tax.db import db, utcnow
from bank_tax.reports import service


def quarterly_effect_report() -> str:
    """On the 25th of each quarter's last month (the policies' reporting deadline), keep an edition of the
    quarter's effect report as it stands."""
    today = utcnow().date()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    with db.scope() as session:
        service.produce_effect(session, quarter=quarter, actor=None)
    return quarter
