"""Lending tables: applications (optimistically locked), their history, loans and outcome events."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import BIGID, UTCDateTime

APPLICATION_STATES = ("submitted", "in_review", "approved", "declined", "returned", "withdrawn")
LOAN_STATES = ("active", "closed", "written_off", "restructured")
EVENT_TYPES = ("disbursement", "repayment", "overdue", "default", "write_off", "closure", "restructure")


_ROW_VERSION = sa.Column("row_version", sa.Integer, nullable=False)


class Application(SQLModel, table=True):
    """A firm's online application for one product version; decisions are optimistically locked."""

    __tablename__ = "application"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {APPLICATION_STATES}", name="status"),
        sa.Index("ix_application_bank_status", "bank_code", "status"),
    )
    __mapper_args__ = {"version_id_col": _ROW_VERSION}  # a concurrent second decision fails: one wins

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, foreign_key="enterprise.uscc", index=True)
    bank_code: str = Field(max_length=32, foreign_key="bank.code")
    product_id: int = Field(foreign_key="product.id")
    product_version: int
    amount: int = Field(sa_type=sa.BigInteger)  # 分
    term_months: int
    purpose_of_funds: str = Field(max_length=500)
    consent_id: int = Field(foreign_key="consent.id")
    snapshot: str = Field(sa_type=sa.Text)  # what the bank may see, as of the application
    status: str = Field(default="submitted", max_length=12)
    officer: str | None = Field(default=None, max_length=64)
    decided_amount: int | None = Field(default=None, sa_type=sa.BigInteger)
    decided_term_months: int | None = None
    decided_rate: float | None = None
    reason_code: str | None = Field(default=None, max_length=40)
    reason: str = Field(default="", max_length=1000)
    review_requested: bool = Field(default=False)
    previous_officer: str | None = Field(default=None, max_length=64)
    submitted_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    row_version: int = Field(default=1, sa_column=_ROW_VERSION)


class ApplicationEvent(SQLModel, table=True):
    """One step of an application's history: who moved it to which state, and why."""

    __tablename__ = "application_event"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    status: str = Field(max_length=12)
    actor: str = Field(max_length=64)
    reason: str = Field(default="", max_length=1000)
    at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)


class Loan(SQLModel, table=True):
    """A disbursed loan. Delinquency is days past due (``dpd``), not a state."""

    __tablename__ = "loan"
    __table_args__ = (
        sa.UniqueConstraint("bank_code", "contract_no", name="uq_loan_contract"),
        sa.CheckConstraint(f"status IN {LOAN_STATES}", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_code: str = Field(max_length=32, foreign_key="bank.code", index=True)
    contract_no: str = Field(max_length=64)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    uscc: str = Field(max_length=18, foreign_key="enterprise.uscc", index=True)
    product_id: int = Field(foreign_key="product.id")
    principal: int = Field(sa_type=sa.BigInteger)  # 分
    rate: float  # percent a year
    start_date: dt.date
    maturity_date: dt.date
    status: str = Field(default="active", max_length=12)
    dpd: int = Field(default=0)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)


class LoanEvent(SQLModel, table=True):
    """An outcome event fed back by a bank, idempotent by the bank's own event id."""

    __tablename__ = "loan_event"
    __table_args__ = (
        sa.UniqueConstraint("bank_code", "event_id", name="uq_loan_event_bank_id"),
        sa.CheckConstraint(f"event_type IN {EVENT_TYPES}", name="event_type"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGID)
    bank_code: str = Field(max_length=32, foreign_key="bank.code")
    event_id: str = Field(max_length=64)
    loan_id: int = Field(foreign_key="loan.id", index=True)
    event_type: str = Field(max_length=12)
    event_date: dt.date
    amount: int = Field(default=0, sa_type=sa.BigInteger)
    dpd: int = Field(default=0)
    received_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
