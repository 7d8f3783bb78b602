"""The bank table."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from bank_tax import clock
from bank_tax.db import UTCDateTime


class Bank(SQLModel, table=True):
    """A participating bank, known by a short stable code (e.g. ``ICBC-ZJ``)."""

    __tablename__ = "bank"

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    # when the scheduler sends this bank a whitelist: a crontab line in China's time (default 06:00 on the 1st)
    whitelist_cron: str = Field(default="0 6 1 * *", max_length=64)
    created_at: dt.datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
