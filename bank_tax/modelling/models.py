"""Stored scores: one run per pipeline pass (as-of moment, model version, feature snapshot), one row per firm."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import BIGID, UTCDateTime


class ScoreRun(SQLModel, table=True):
    """A batch scoring of every firm: which model scored which snapshot, as of when."""

    __tablename__ = "score_run"

    id: int | None = Field(default=None, primary_key=True)
    as_of: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    model_version: str = Field(max_length=40)
    snapshot_id: int = Field(foreign_key="feature_snapshot.id")
    n_firms: int
    # running while its partitions come in (bank_tax.batch), then done
    status: str = Field(default="done", max_length=10, sa_column_kwargs={"server_default": "done"})
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)


class FirmScore(SQLModel, table=True):
    """A firm's unmasked score in one run (the platform's view; banks get masked scores on request)."""

    __tablename__ = "firm_score"
    __table_args__ = (sa.UniqueConstraint("run_id", "uscc", name="uq_firm_score_run_uscc"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGID)
    run_id: int = Field(foreign_key="score_run.id")
    uscc: str = Field(max_length=18, index=True)
    pd: float
    points: int
    grade: str = Field(max_length=4)
    reasons: str = Field(default="", max_length=200)  # top reason codes, comma-separated
