"""Stored scores: one run per pipeline pass (as-of moment, model version, feature snapshot), its firms' scores
as Parquet parts in the columnar store, one per partition."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime
from bank_tax.store import StoredPart


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


class ScoreRunPart(StoredPart, table=True):
    """One partition of a score run: a Parquet file in the columnar store (``uscc``, ``pd``, ``points``,
    ``grade``, ``reasons``: the firms' unmasked scores, the platform's view; banks get masked scores on
    request), sorted by ``uscc``, with the range of codes it holds."""

    __tablename__ = "score_run_part"
    __table_args__ = (sa.UniqueConstraint("run_id", "part", name="uq_score_run_part_run_part"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="score_run.id", index=True)
    part: int
