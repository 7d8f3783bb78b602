"""Scheduled jobs of the reports domain."""

from __future__ import annotations

from bank_tax.db import db
from bank_tax.reports import effect, service


def quarterly_effect_report() -> str:
    """On the 25th of each quarter's last month (the policies' reporting deadline), keep an edition of the
    quarter's effect report as it stands."""
    quarter = effect.current_quarter()
    with db.scope() as session:
        service.produce_effect(session, quarter=quarter, actor=None)
    return quarter
