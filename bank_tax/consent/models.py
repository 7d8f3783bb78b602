"""Consent tables: the terms (never changed after granting) and their status history."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class Consent(SQLModel, table=True):
    """A firm's consent to one recipient (a bank, or all banks for pre-screening) for one purpose.

    ``categories`` is a bitmask over :data:`bank_tax.categories.CATEGORIES`. A consent is in force at
    time t when ``starts_at <= t < expires_at`` and it had not ended (revoked or superseded) by t:
    ``ended_at`` keeps that moment, so the mask can be asked about the past too.
    """

    __tablename__ = "consent"
    __table_args__ = (
        sa.CheckConstraint("purpose IN ('pre_screen','underwriting','post_loan_monitoring')", name="purpose"),
        sa.CheckConstraint("mode IN ('view','store')", name="mode"),
        sa.CheckConstraint("status IN ('active','revoked','expired','superseded')", name="status"),
        sa.CheckConstraint("(bank_code IS NULL) = all_banks", name="recipient"),
        sa.CheckConstraint("NOT all_banks OR purpose = 'pre_screen'", name="all_banks_pre_screen_only"),
        sa.CheckConstraint("categories > 0 AND categories < 32", name="categories"),
        sa.CheckConstraint("expires_at > starts_at", name="expiry_after_start"),
        sa.Index("ix_consent_bank_purpose", "bank_code", "purpose", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, foreign_key="enterprise.uscc", index=True)
    bank_code: str | None = Field(default=None, max_length=32, foreign_key="bank.code")
    all_banks: bool = Field(default=False)
    purpose: str = Field(max_length=24)
    purpose_text: str = Field(sa_type=sa.Text)
    categories: int
    data_window_months: int = Field(default=24)
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    mode: str = Field(default="view", max_length=8)
    data_life_days: int | None = Field(default=None)
    granted_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    granted_by: str = Field(max_length=64)
    supersedes_id: int | None = Field(default=None, foreign_key="consent.id")
    status: str = Field(default="active", max_length=12)
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # what was signed (bank_tax.consent.receipts): the JWS signing input "header.payload" (version 2), or
    # the canonical JSON of the terms (version 1, receipts issued before)
    receipt: str = Field(sa_type=sa.Text)
    signature: str = Field(max_length=128)  # Ed25519 signature of ``receipt``: base64url (2) or base64 (1)


class ConsentEvent(SQLModel, table=True):
    """One step of a consent's status history (granted, revoked, expired, superseded)."""

    __tablename__ = "consent_event"

    id: int | None = Field(default=None, primary_key=True)
    consent_id: int = Field(foreign_key="consent.id", index=True)
    status: str = Field(max_length=12)
    reason: str = Field(default="", max_length=500)
    actor: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
