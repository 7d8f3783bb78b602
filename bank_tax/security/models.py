"""Tables of the security domain: users, API tokens, login attempts and the hash-chained audit log."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class User(SQLModel, table=True):
    """A person or system that logs in. ``uscc`` binds an enterprise user, ``bank_code`` a bank user."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('enterprise','bank_officer','bank_admin','analyst','operator','admin')", name="role"
        ),
        sa.CheckConstraint("(role = 'enterprise') = (uscc IS NOT NULL)", name="enterprise_has_firm"),
        sa.CheckConstraint(
            "(role IN ('bank_officer','bank_admin')) = (bank_code IS NOT NULL)", name="bank_user_has_bank"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    uscc: str | None = Field(default=None, max_length=18, foreign_key="enterprise.uscc", index=True)
    bank_code: str | None = Field(default=None, max_length=32, foreign_key="bank.code", index=True)
    display_name: str = Field(default="", max_length=100)
    is_active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token, stored only as its SHA-256. ``kind`` is ``session`` (hours) or ``api`` (long-lived)."""

    __tablename__ = "api_token"
    __table_args__ = (sa.CheckConstraint("kind IN ('session','api')", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    prefix: str = Field(max_length=12)  # first characters, so a user can tell tokens apart
    kind: str = Field(max_length=10)
    name: str = Field(default="", max_length=100)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """One password check, kept to rate-limit guessing across every worker process."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_username_at", "username", "at"),
        sa.Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    ip: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    success: bool = Field(default=False)


class AuditEvent(SQLModel, table=True):
    """An append-only record, hash-chained to the one before it (see :mod:`bank_tax.security.audit`)."""

    __tablename__ = "audit_event"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: dt.datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    actor_role: str = Field(max_length=20)
    action: str = Field(max_length=64, index=True)
    uscc: str | None = Field(default=None, max_length=18, index=True)
    bank_code: str | None = Field(default=None, max_length=32, index=True)
    resource: str | None = Field(default=None, max_length=200)
    purpose: str | None = Field(default=None, max_length=40)
    details: str = Field(default="{}", sa_type=sa.Text)
    prev_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The single row naming the last event: appenders lock it, and verify checks the tail against it."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_id: int = Field(default=0)
    last_hash: str = Field(max_length=64)
