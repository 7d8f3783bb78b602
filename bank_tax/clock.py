"""The one clock: "now" as an aware UTC timestamp, "today" as a business date in China's time.

Everything in bank-tax that needs the current moment asks this module; nothing else reads the wall
clock (``tests/test_clock.py`` scans the package for any other ``datetime.now``, ``utcnow`` or
``date.today``). Monotonic timers for durations (``time.perf_counter``) are not readings of the date and
stay where they are.

Two kinds of time, never mixed:

* **Timestamps** (when something happened: a consent granted, a record received) are aware UTC, and
  the database stores them as UTC.
* **Business dates** (a filing deadline, "this month", the grade year, a report's quarter, a whitelist's
  "data as of") are dates in Asia/Shanghai. At 2026-12-31T20:00Z it is already 2027-01-01 in Hangzhou,
  and every part of the program agrees that the year is 2027: they all get the date from
  :func:`business_date` (or :func:`today`).

The clock can be moved (:func:`travel`): tests and demonstrations run at a chosen moment, never at the
machine's date. It keeps ticking from there, so the order of events in a test is still real. The
move is an offset from the wall clock, exported in ``BANK_TAX_CLOCK_OFFSET`` (seconds) so that a
process started under it (a real ``flask`` or ``gunicorn`` subprocess in the tests) reads the same
moment as its parent.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import numpy as np

SHANGHAI = ZoneInfo("Asia/Shanghai")  # China Standard Time, UTC+8 all year (no daylight saving)
CHINA_OFFSET = np.timedelta64(8, "h")
OFFSET_ENV = "BANK_TAX_CLOCK_OFFSET"

_offset: dt.timedelta | None = None  # None: not yet read from the environment


def _wall() -> dt.datetime:
    """The machine's clock: the only read of it in the package."""
    return dt.datetime.now(dt.UTC)


def offset() -> dt.timedelta:
    """How far the clock is moved from the machine's (zero unless :func:`travel` or the environment)."""
    global _offset
    if _offset is None:
        raw = os.environ.get(OFFSET_ENV, "").strip()
        _offset = dt.timedelta(seconds=float(raw)) if raw else dt.timedelta(0)
        if _offset:  # meant for tests and demonstrations: say so loudly anywhere else
            logging.getLogger(__name__).warning(
                "the clock is moved by %s from the machine's (%s); unset it in production", _offset, OFFSET_ENV
            )
    return _offset


def now() -> dt.datetime:
    """The current moment, timezone-aware UTC (the only kind of timestamp we store)."""
    return _wall() + offset()


def business_date(moment: dt.datetime) -> dt.date:
    """The date in China at ``moment`` (an aware timestamp; a naive one is refused, not guessed at)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: a business date needs an aware moment")
    return moment.astimezone(SHANGHAI).date()


def business_dates(moments: np.ndarray) -> np.ndarray:
    """:func:`business_date` over an array of UTC timestamps (numpy datetime64, as columns hold them):
    China keeps UTC+8 all year, so the shift is exact. NaT stays NaT."""
    return (np.asarray(moments).astype("datetime64[us]") + CHINA_OFFSET).astype("datetime64[D]")


def today() -> dt.date:
    """Today's business date in Asia/Shanghai."""
    return business_date(now())


def day_start(day: dt.date) -> dt.datetime:
    """The UTC moment a business day begins (00:00 in Shanghai): the bound for "on or after ``day``"."""
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI).astimezone(dt.UTC)


def day_end(day: dt.date) -> dt.datetime:
    """The UTC moment a business day ends (00:00 of the next day in Shanghai, exclusive)."""
    return day_start(day + dt.timedelta(days=1))


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s month (business periods are months)."""
    return day.replace(day=1)


def add_months(day: dt.date, k: int) -> dt.date:
    """The first day of the month ``k`` months after ``day``'s month (negative ``k``: before)."""
    y, m = divmod(day.year * 12 + day.month - 1 + k, 12)
    return dt.date(y, m + 1, 1)


def quarter_of(day: dt.date) -> str:
    """The quarter ``day`` falls in, as ``YYYYQn``."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def parse_moment(text: str) -> dt.datetime:
    """An ISO date or timestamp as an aware UTC moment; a bare date means 00:00 of it in Shanghai and a
    timestamp without a zone is read as Shanghai time (what an official at a desk means)."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(dt.UTC)


def _set_offset(value: dt.timedelta) -> None:
    global _offset
    _offset = value
    os.environ[OFFSET_ENV] = repr(value.total_seconds())


@contextmanager
def travel(moment: dt.datetime | str) -> Iterator[dt.datetime]:
    """Run the block as if it were ``moment`` (then ticking on); restore the clock afterwards.

    Processes started inside the block inherit the move through ``BANK_TAX_CLOCK_OFFSET``.
    """
    target = parse_moment(moment) if isinstance(moment, str) else moment
    if target.tzinfo is None:
        raise ValueError("naive datetime: travel needs an aware moment")
    saved_offset, saved_env = offset(), os.environ.get(OFFSET_ENV)
    _set_offset(target - _wall())
    try:
        yield target.astimezone(dt.UTC)
    finally:
        global _offset
        _offset = saved_offset
        if saved_env is None:
            os.environ.pop(OFFSET_ENV, None)
        else:
            os.environ[OFFSET_ENV] = saved_env
