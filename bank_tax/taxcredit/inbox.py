"""A firm's notification inbox: newest first, read or unread; only the firm itself reads it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.errors import NotFound
from bank_tax.security import policy
from bank_tax.security.roles import Principal
from bank_tax.taxcredit.models import Notification


def messages(session: Session, *, principal: Principal | None, uscc: str, limit: int = 200) -> list[Notification]:
    policy.require(principal, "notification.read", uscc=uscc)
    return list(
        session.scalars(
            sa.select(Notification).where(Notification.uscc == uscc).order_by(Notification.id.desc()).limit(limit)
        )
    )


def unread(session: Session, uscc: str) -> int:
    """How many messages the firm has not read."""
    return session.scalar(sa.select(sa.func.count()).where(Notification.uscc == uscc, Notification.read_at.is_(None)))


def mark_read(session: Session, *, principal: Principal | None, uscc: str, notification_id: int) -> Notification:
    """Mark one message read (reading it twice keeps the first time)."""
    policy.require(principal, "notification.read", uscc=uscc)
    note = session.get(Notification, notification_id)
    if note is None or note.uscc != uscc:
        raise NotFound("没有该消息 / no such message")
    if note.read_at is None:
        note.read_at = clock.now()
    return note
