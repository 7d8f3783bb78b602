"""Product tables: the product and its rule versions (an application records the version it used)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class Product(SQLModel, table=True):
    """A bank's credit product; its rules live in :class:`ProductVersion`, the current one named here."""

    __tablename__ = "product"
    __table_args__ = (
        sa.UniqueConstraint("bank_code", "code", name="uq_product_bank_code"),
        sa.CheckConstraint("status IN ('active','paused')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_code: str = Field(max_length=32, foreign_key="bank.code", index=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    status: str = Field(default="active", max_length=8)
    version: int = Field(default=1)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)


class ProductVersion(SQLModel, table=True):
    """One version of a product's rules (JSON), never changed once saved."""

    __tablename__ = "product_version"
    __table_args__ = (sa.UniqueConstraint("product_id", "version", name="uq_product_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    version: int
    rules: str = Field(sa_type=sa.Text)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
