"""Producing, storing and exporting report editions (JSON, CSV, XLSX)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import exports
from bank_tax.reports import effect
from bank_tax.reports.models import ReportEdition
from bank_tax.security import audit
from bank_tax.security.roles import Principal


def produce_effect(session: Session, *, quarter: str, actor: Principal | None) -> ReportEdition:
    """Compute the quarter's effect report and keep it as a new edition; audited."""
    body = effect.compute(session, quarter)
    edition = ReportEdition(
        kind="effect",
        period=quarter,
        body=json.dumps(body, ensure_ascii=False),
        generated_by=actor.username if actor else audit.SYSTEM,
    )
    session.add(edition)
    session.flush()
    audit.record(
        session, actor=actor, action="report.effect", resource=f"report/{edition.id}", details={"quarter": quarter}
    )
    return edition


def latest(session: Session, *, quarter: str) -> ReportEdition | None:
    """The newest stored edition of the quarter's effect report (None when there is none yet)."""
    return session.scalar(
        sa.select(ReportEdition)
        .where(ReportEdition.kind == "effect", ReportEdition.period == quarter)
        .order_by(ReportEdition.id.desc())
    )


def edition_for(session: Session, *, quarter: str, fresh: bool, actor: Principal | None) -> ReportEdition:
    """The quarter's newest stored edition, or a new one when asked (``fresh``) or when there is none."""
    edition = None if fresh else latest(session, quarter=quarter)
    return edition or produce_effect(session, quarter=quarter, actor=actor)


def to_csv(report: dict) -> bytes:
    """The flattened report as CSV."""
    return exports.to_csv(effect.rows(report))


def to_xlsx(report: dict) -> bytes:
    """The flattened report as an XLSX workbook (one sheet)."""
    return exports.to_xlsx(effect.rows(report), title=f"effect {report['quarter']}")
