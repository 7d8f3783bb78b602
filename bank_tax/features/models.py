"""Stored feature snapshots: the exact inputs any score was computed from."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class FeatureSnapshot(SQLModel, table=True):
    """Features of many firms as of a moment, for one feature-set version (and bank mask, if any).

    The matrix is stored as a compressed numpy archive; ``sha256`` is checked on every load.
    """

    __tablename__ = "feature_snapshot"
    __table_args__ = (sa.Index("ix_feature_snapshot_as_of_version", "as_of", "feature_set_version"),)

    id: int | None = Field(default=None, primary_key=True)
    as_of: dt.datetime = Field(sa_type=UTCDateTime)
    feature_set_version: str = Field(max_length=40)
    bank_code: str | None = Field(default=None, max_length=32)
    purpose: str | None = Field(default=None, max_length=24)
    n_firms: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
