"""The scheduler's own tables: a lease per job (so two scheduler processes never run one job twice) and
the record of every run (for ``flask --app app scheduler status`` and the operator API)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax.db import UTCDateTime


class JobLease(SQLModel, table=True):
    """Who may run a job now: held until ``expires_at``; ``last_started_at`` stops a second scheduler
    from running the same occurrence again right after the first finished."""

    __tablename__ = "job_lease"

    job_id: str = Field(primary_key=True, max_length=64)
    owner: str = Field(default="", max_length=120)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    last_started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """One run of a job: who ran it, when, how long, and how it ended (done / failed)."""

    __tablename__ = "job_run"
    __table_args__ = (sa.Index("ix_job_run_job_started", "job_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=64)
    owner: str = Field(max_length=120)
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_s: float | None = None
    outcome: str = Field(default="running", max_length=12)
    message: str = Field(default="", max_length=2000)
