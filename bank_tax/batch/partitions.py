"""Partitions of firms: consecutive ranges of the sorted firm codes, ``size`` firms each.

The plan reads the codes once, streamed, and keeps only each range's first and last code, so planning a
province costs memory for the ranges, not the firms. A partition is the firms whose code lies in its
range and who were registered when the run began, so resuming a run later sees the same firms.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.enterprises.models import Enterprise


def plan(session: Session, *, size: int, registered_by: dt.datetime) -> list[tuple[str, str, int]]:
    """(first code, last code, firms) of each partition of ``size`` firms registered by ``registered_by``."""
    if size < 1:
        raise ValueError("a partition holds at least one firm")
    stmt = (
        sa.select(Enterprise.uscc)
        .where(Enterprise.registered_at <= registered_by)
        .order_by(Enterprise.uscc)
        .execution_options(yield_per=20_000)
    )
    out: list[tuple[str, str, int]] = []
    first = last = None
    n = 0
    for (code,) in session.execute(stmt):
        if n == 0:
            first = code
        last, n = code, n + 1
        if n == size:
            out.append((first, last, n))
            n = 0
    if n:
        out.append((first, last, n))
    return out


def firms(session: Session, *, first: str, last: str, registered_by: dt.datetime) -> list[str]:
    """The codes of one partition, sorted."""
    return list(
        session.scalars(
            sa.select(Enterprise.uscc)
            .where(Enterprise.uscc.between(first, last), Enterprise.registered_at <= registered_by)
            .order_by(Enterprise.uscc)
        )
    )
