"""Tables of the tax-credit domain: the firms' notification inbox, the product eligibility the targeted
push last saw, and credit-repair applications."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import BIGID, UTCDateTime


class Notification(SQLModel, table=True):
    """A message in a firm's portal inbox (精准推送 and risk reminders), read or unread."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_uscc_id", "uscc", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGID)
    uscc: str = Field(max_length=18, foreign_key="enterprise.uscc")
    kind: str = Field(max_length=24)  # product_eligible | repair_decided
    title_zh: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    body_zh: str = Field(default="", max_length=1000)
    body_en: str = Field(default="", max_length=1000)
    link: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    read_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProductEligibility(SQLModel, table=True):
    """A firm found eligible for a product by the targeted push, since when (one row while it stays so)."""

    __tablename__ = "product_eligibility"
    __table_args__ = (sa.UniqueConstraint("uscc", "product_id", name="uq_product_eligibility_uscc_product"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGID)
    uscc: str = Field(max_length=18, foreign_key="enterprise.uscc")
    product_id: int = Field(foreign_key="product.id", index=True)
    since: dt.datetime = Field(sa_type=UTCDateTime)


class CreditRepair(SQLModel, table=True):
    """A firm's application to repair a public-credit list entry (信用修复): its commitment and evidence,
    the operator's decision, and the removal date it gave the entry."""

    __tablename__ = "credit_repair"
    __table_args__ = (sa.CheckConstraint("status IN ('submitted','approved','rejected')", name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, foreign_key="enterprise.uscc", index=True)
    entry_id: str = Field(max_length=32)
    list_type: str = Field(max_length=24)
    commitment: str = Field(max_length=2000)
    evidence: str = Field(max_length=2000)
    status: str = Field(default="submitted", max_length=10)
    submitted_by: str = Field(max_length=64)
    submitted_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reply: str = Field(default="", max_length=1000)
    removed_on: dt.date | None = None
