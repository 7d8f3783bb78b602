"""Stored report editions: each generated report is kept as it was."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class ReportEdition(SQLModel, table=True):
    """One edition of a report (kind ``effect``) for a period, with its full JSON body."""

    __tablename__ = "report_edition"
    __table_args__ = (sa.Index("ix_report_edition_kind_period", "kind", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    period: str = Field(max_length=10)
    generated_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    generated_by: str = Field(max_length=64)
    body: str = Field(sa_type=sa.Text)
