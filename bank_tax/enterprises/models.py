"""The firm registry table."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class Enterprise(SQLModel, table=True):
    """A registered firm, keyed by its validated USCC (the key every agency record refers to)."""

    __tablename__ = "enterprise"
    __table_args__ = (
        sa.CheckConstraint("size_class IN ('micro','small','medium','large')", name="size_class"),
        sa.CheckConstraint("source IN ('self','operator','registry')", name="source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, sa_column_kwargs={"unique": True}, nullable=False)
    name: str = Field(max_length=200)
    region_code: str = Field(max_length=6, index=True)
    industry_code: str = Field(max_length=3, index=True)
    established_on: dt.date
    size_class: str = Field(max_length=10)
    source: str = Field(max_length=10, default="self")  # who registered it
    registered_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    legal_rep_name: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    legal_rep_id_sealed: str | None = Field(default=None, max_length=200)  # AES-GCM, see security.pii
    legal_rep_phone_sealed: str | None = Field(default=None, max_length=200)
