"""Tables of agency records (one per source), batches, quarantine and disputes.

Records are never overwritten: a correction is a new row with the next ``version`` and its own
``received_at``, so readers can ask for the data as it was known at any time; the correction's arrival is
noted on the versions it supersedes (``superseded_at``), the one column ingestion ever updates. ``row_hash`` is a 64-bit
hash of the typed content, so a re-sent row is recognised as a duplicate and not stored twice.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import BIGID, UTCDateTime

MONEY = sa.BigInteger  # 分


class RecordBase(SQLModel):
    """Columns every agency record has."""

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGID)
    uscc: str = Field(max_length=18, index=True)
    version: int = Field(default=1)
    received_at: dt.datetime = Field(sa_type=UTCDateTime)
    batch_id: int | None = Field(default=None, foreign_key="ingest_batch.id", index=True)
    row_hash: int = Field(sa_type=sa.BigInteger)
    # when a later version of this record was first received (NULL: none yet, the current one): the
    # version known at T is the one received by T and not superseded by T, with no ranking of versions.
    # Kept by ingestion (:func:`bank_tax.sources.ingest.supersede`).
    superseded_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class VatDeclaration(RecordBase, table=True):
    __tablename__ = "vat_declaration"
    __table_args__ = (sa.UniqueConstraint("uscc", "period", "version", name="uq_vat_declaration_key"),)

    period: dt.date
    taxable_sales: int = Field(sa_type=MONEY)
    tax_payable: int = Field(sa_type=MONEY)
    tax_paid: int = Field(sa_type=MONEY)
    is_zero: bool
    due_date: dt.date
    filed_on: dt.date


class CitAnnual(RecordBase, table=True):
    __tablename__ = "cit_annual"
    __table_args__ = (sa.UniqueConstraint("uscc", "year", "version", name="uq_cit_annual_key"),)

    year: int
    revenue: int = Field(sa_type=MONEY)
    profit_total: int = Field(sa_type=MONEY)
    tax_payable: int = Field(sa_type=MONEY)
    tax_paid: int = Field(sa_type=MONEY)
    due_date: dt.date
    filed_on: dt.date


class CreditGrade(RecordBase, table=True):
    __tablename__ = "credit_grade"
    __table_args__ = (sa.UniqueConstraint("uscc", "year", "version", name="uq_credit_grade_key"),)

    year: int
    grade: str = Field(max_length=1)
    score: float
    rule_set: str = Field(max_length=10)
    evaluated_on: dt.date


class TaxArrear(RecordBase, table=True):
    __tablename__ = "tax_arrear"
    __table_args__ = (sa.UniqueConstraint("arrear_id", "version", name="uq_tax_arrear_key"),)

    arrear_id: str = Field(max_length=32)
    tax_type: str = Field(max_length=16)
    period: dt.date
    amount: int = Field(sa_type=MONEY)
    arisen_on: dt.date
    cleared_on: dt.date | None = None


class SocialInsurance(RecordBase, table=True):
    __tablename__ = "social_insurance"
    __table_args__ = (sa.UniqueConstraint("uscc", "period", "version", name="uq_social_insurance_key"),)

    period: dt.date
    insured_headcount: int
    contribution_base: int = Field(sa_type=MONEY)
    contribution_due: int = Field(sa_type=MONEY)
    contribution_paid: int = Field(sa_type=MONEY)
    arrears: int = Field(sa_type=MONEY)


class HousingFund(RecordBase, table=True):
    __tablename__ = "housing_fund"
    __table_args__ = (sa.UniqueConstraint("uscc", "period", "version", name="uq_housing_fund_key"),)

    period: dt.date
    depositors: int
    deposit_due: int = Field(sa_type=MONEY)
    deposit_paid: int = Field(sa_type=MONEY)
    arrears: int = Field(sa_type=MONEY)


class UtilityBill(RecordBase, table=True):
    __tablename__ = "utility_bill"
    __table_args__ = (sa.UniqueConstraint("uscc", "period", "utility", "version", name="uq_utility_bill_key"),)

    period: dt.date
    utility: str = Field(max_length=12)
    unit: str = Field(max_length=8)
    consumption: int = Field(sa_type=sa.BigInteger)
    billed: int = Field(sa_type=MONEY)
    due_date: dt.date
    paid_on: dt.date | None = None
    auto_debit: bool


class PublicCreditEntry(RecordBase, table=True):
    __tablename__ = "public_credit_entry"
    __table_args__ = (sa.UniqueConstraint("entry_id", "version", name="uq_public_credit_entry_key"),)

    entry_id: str = Field(max_length=32)
    list_type: str = Field(max_length=24)
    reason: str = Field(max_length=200)
    authority: str = Field(max_length=100)
    listed_on: dt.date
    removed_on: dt.date | None = None


class IngestBatch(SQLModel, table=True):
    """One file (or upload) of one source, with its counts; the report is rebuilt from it and its quarantine."""

    __tablename__ = "ingest_batch"
    __table_args__ = (sa.Index("ix_ingest_batch_source_sha", "source", "file_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    filename: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64)
    encoding: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    started_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    received: int = 0
    inserted: int = 0
    corrected: int = 0
    duplicate: int = 0
    rejected: int = 0


class QuarantinedRow(SQLModel, table=True):
    """A rejected row: its line in the file, the field and the reason, and the raw line as sent."""

    __tablename__ = "quarantined_row"

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGID)
    batch_id: int = Field(foreign_key="ingest_batch.id", index=True)
    line: int
    field: str = Field(max_length=40)
    reason: str = Field(max_length=300)
    value: str = Field(default="", max_length=300)
    uscc_raw: str = Field(default="", max_length=64, index=True)
    raw: str = Field(default="", sa_type=sa.Text)


class Dispute(SQLModel, table=True):
    """A firm's objection (异议) to one record; while open, the record is left out of features."""

    __tablename__ = "dispute"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open','corrected','upheld')", name="status"),
        sa.Index("ix_dispute_source_record", "source", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, foreign_key="enterprise.uscc", index=True)
    source: str = Field(max_length=32)
    record_id: int = Field(sa_type=sa.BigInteger)
    reason: str = Field(max_length=1000)
    status: str = Field(default="open", max_length=10)
    reply: str = Field(default="", max_length=1000)
    opened_by: str = Field(max_length=64)
    opened_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=64)
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    correction_id: int | None = Field(default=None, sa_type=sa.BigInteger)
