"""Producing, storing and exporting report editions (JSON, CSV, XLSX)."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.reports import effect
from bank_tax.reports.models import ReportEdition
from bank_tax.security import audit
from bank_tax.security.roles import Principal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def to_csv(report: dict) -> bytes:
    """The flattened report as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    rows = effect.rows(report)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def safe_cell(value):
    """Text a spreadsheet would run as a formula (= + - @ …) is quoted; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_xlsx(report: dict) -> bytes:
    """The flattened report as an XLSX workbook (one sheet), formula-safe."""
    from openpyxl import Workbook

    rows = effect.rows(report)
    wb = Workbook()
    ws = wb.active
    ws.title = f"effect {report['quarter']}"
    ws.append(list(rows[0]))
    for r in rows:
        ws.append([safe_cell(v) for v in r.values()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
