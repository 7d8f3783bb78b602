"""A batch run and its partitions: the checkpoints that let a killed run resume where it stopped."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class BatchRun(SQLModel, table=True):
    """One run of a stage over every partition of firms, as of a moment."""

    __tablename__ = "batch_run"
    __table_args__ = (
        sa.CheckConstraint("status IN ('running','done','failed')", name="status"),
        sa.Index("ix_batch_run_stage_as_of", "stage", "as_of"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stage: str = Field(max_length=32)
    as_of: dt.datetime = Field(sa_type=UTCDateTime)
    key: str = Field(default="", max_length=80)  # what else makes a run the same one (the model version)
    partition_firms: int
    n_partitions: int = 0
    n_firms: int = 0
    status: str = Field(default="running", max_length=10)
    snapshot_id: int | None = Field(default=None, foreign_key="feature_snapshot.id")
    score_run_id: int | None = Field(default=None, foreign_key="score_run.id")
    started_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class BatchPartition(SQLModel, table=True):
    """A range of firms (by code) of a run: pending until its outputs commit with it, then done."""

    __tablename__ = "batch_partition"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "part", name="uq_batch_partition_run_part"),
        sa.CheckConstraint("status IN ('pending','done','failed')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="batch_run.id", index=True)
    part: int
    first_uscc: str = Field(max_length=18)
    last_uscc: str = Field(max_length=18)
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    n_firms: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    message: str = Field(default="", max_length=500)
    stats: str = Field(default="{}")  # JSON: what the partition function counted (summed over the run)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
