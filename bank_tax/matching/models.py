"""Whitelist editions: what a bank was sent, firm by firm, with the consent each entry relied on."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import BIGID, UTCDateTime


class WhitelistEdition(SQLModel, table=True):
    """One generated whitelist of a bank (its entries are :class:`WhitelistEntry`)."""

    __tablename__ = "whitelist_edition"
    __table_args__ = (sa.Index("ix_whitelist_edition_bank_id", "bank_code", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    bank_code: str = Field(max_length=32, foreign_key="bank.code")
    as_of: dt.datetime = Field(sa_type=UTCDateTime)
    model_version: str = Field(max_length=40)
    trigger: str = Field(max_length=16)  # api | schedule | demo
    n_firms: int
    n_products: int
    # SHA-256 of (uscc, product, limit, consent) lines, also in the audit log; empty while the edition is
    # being built (its partitions not all in): such an edition is shown to nobody
    digest: str = Field(max_length=64)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    # the batch run that builds it partition by partition (a plain index: SQLite cannot add a foreign key
    # to a table others reference without rebuilding it)
    batch_run_id: int | None = Field(default=None, index=True)
    # the products it is built from, as [[product id, version], …], fixed when it began: every partition
    # applies the same rules, whatever changes while it is being built ('[]' on editions before 0020)
    products: str = Field(default="[]", sa_type=sa.Text, sa_column_kwargs={"server_default": "[]"})


class WhitelistEntry(SQLModel, table=True):
    """A firm on a whitelist: its best product, suggested limit, score and reasons, and the consent used."""

    __tablename__ = "whitelist_entry"
    __table_args__ = (sa.UniqueConstraint("edition_id", "uscc", name="uq_whitelist_entry_edition_uscc"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGID)
    edition_id: int = Field(foreign_key="whitelist_edition.id", index=True)
    rank: int
    uscc: str = Field(max_length=18)
    product_code: str = Field(max_length=32)
    limit_yuan: int = Field(sa_type=sa.BigInteger)
    rate: float
    pd: float
    points: int
    grade: str = Field(max_length=4)
    eligible_products: int
    reasons: str = Field(default="", max_length=200)  # top reason codes, comma-separated
    consent_id: int = Field(sa_type=sa.BigInteger)
    rank_value: float | None = None  # what ranks it (approval probability × limit), ranks set once all are in
