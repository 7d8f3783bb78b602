"""Stored feature snapshots: the exact inputs any score was computed from.

A snapshot's matrix lives in the columnar store (:mod:`bank_tax.store`) as one Parquet file per part (a
partition of firms); the database keeps each part's path and digest, and the snapshot a digest over its
parts in order, so a part altered, dropped or swapped is refused on load.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime
from bank_tax.store import StoredPart


class FeatureSnapshot(SQLModel, table=True):
    """Features of many firms as of a moment, for one feature-set version (and bank mask, if any)."""

    __tablename__ = "feature_snapshot"
    __table_args__ = (sa.Index("ix_feature_snapshot_as_of_version", "as_of", "feature_set_version"),)

    id: int | None = Field(default=None, primary_key=True)
    as_of: dt.datetime = Field(sa_type=UTCDateTime)
    feature_set_version: str = Field(max_length=40)
    bank_code: str | None = Field(default=None, max_length=32)
    purpose: str | None = Field(default=None, max_length=24)
    n_firms: int
    sha256: str = Field(max_length=64)  # over the parts' digests, in part order
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)


class FeatureSnapshotPart(StoredPart, table=True):
    """One partition of a snapshot: a Parquet file in the store (``uscc`` + one float64 column per feature)."""

    __tablename__ = "feature_snapshot_part"
    __table_args__ = (sa.UniqueConstraint("snapshot_id", "part", name="uq_feature_snapshot_part_snapshot_part"),)

    id: int | None = Field(default=None, primary_key=True)
    snapshot_id: int = Field(foreign_key="feature_snapshot.id", index=True)
    part: int
