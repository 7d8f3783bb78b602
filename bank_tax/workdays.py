"""China's working-day calendar: which days are worked, which are rest days, and why.

A day is a *working day* unless it is a weekend or a public holiday, and a weekend day is worked when
the State Council's yearly notice makes it a make-up working day (调休上班). Three sources, in order:

1. :data:`PUBLISHED`: a year's notice (国务院办公厅关于部分节假日安排的通知) entered here by us, with its
   source, for a year published after the installed calendar library was released. Empty until then.
2. the maintained library ``chinesecalendar`` (every published year since 2004, 调休 included);
3. a **projection** for a year nobody has published yet: the statutory holidays of
   《全国年节及纪念日放假办法》 (:data:`STATUTORY`) on the dates of :data:`LUNAR`, no make-up days. The
   State Council always gives at least these days, and usually joins them to weekends with 调休, so a
   projected year's rest runs can only grow when the notice comes; :func:`source_of` says which years
   are projected, and pages that show a date from such a year say so.

Rest days here are what the tax rules call 法定休假日 (weekends and public holidays alike).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

STATUTORY = {
    "source": "《全国年节及纪念日放假办法》（国务院令第795号，2024年11月10日修订，2025年1月1日起施行）第二条",
    # name: (zh, en, how the date is found, days)
    "new_years_day": ("元旦", "New Year's Day", "01-01", 1),
    "spring_festival": ("春节", "Spring Festival", "lunar: the eve (除夕) and the first three days", 4),
    "tomb_sweeping_day": ("清明节", "Qingming", "lunar table (the solar term)", 1),
    "labour_day": ("劳动节", "Labour Day", "05-01", 2),
    "dragon_boat_festival": ("端午节", "Dragon Boat Festival", "lunar: 5th of the 5th month", 1),
    "mid_autumn_festival": ("中秋节", "Mid-Autumn Festival", "lunar: 15th of the 8th month", 1),
    "national_day": ("国庆节", "National Day", "10-01", 3),
}

# The festivals' Gregorian dates by year (紫金山天文台《中国天文年历》; checked against the lunisolar
# computation of the ``holidays`` package): spring festival = the first day of the first lunar month.
LUNAR: dict[int, dict[str, dt.date]] = {
    y: {
        "spring_festival": dt.date(*s),
        "tomb_sweeping_day": dt.date(*q),
        "dragon_boat_festival": dt.date(*d),
        "mid_autumn_festival": dt.date(*m),
    }
    for y, s, q, d, m in [
        (2027, (2027, 2, 6), (2027, 4, 5), (2027, 6, 9), (2027, 9, 15)),
        (2028, (2028, 1, 26), (2028, 4, 4), (2028, 5, 28), (2028, 10, 3)),
        (2029, (2029, 2, 13), (2029, 4, 4), (2029, 6, 16), (2029, 9, 22)),
        (2030, (2030, 2, 3), (2030, 4, 5), (2030, 6, 5), (2030, 9, 12)),
        (2031, (2031, 1, 23), (2031, 4, 5), (2031, 6, 24), (2031, 10, 1)),
        (2032, (2032, 2, 11), (2032, 4, 4), (2032, 6, 12), (2032, 9, 19)),
        (2033, (2033, 1, 31), (2033, 4, 4), (2033, 6, 1), (2033, 9, 8)),
        (2034, (2034, 2, 19), (2034, 4, 5), (2034, 6, 20), (2034, 9, 27)),
        (2035, (2035, 2, 8), (2035, 4, 5), (2035, 6, 10), (2035, 9, 16)),
    ]
}


@dataclass(frozen=True)
class Schedule:
    """One year's published notice: its holidays (name → dates off) and make-up working days."""

    source: str
    holidays: dict[str, tuple[dt.date, ...]]
    workdays: tuple[dt.date, ...]


# Years whose notice came out after the installed ``chinesecalendar``: enter them here, with the notice.
PUBLISHED: dict[int, Schedule] = {}

_library_until: int | None = None  # read the library only up to this year (None: every year it knows)
_generation = 0  # bumped whenever the sources change, so callers' caches know to recompute


def generation() -> int:
    """A number that changes whenever what the calendar reads from changes (for callers' caches)."""
    return _generation


@contextmanager
def library_until(year: int | None) -> Iterator[None]:
    """Read ``chinesecalendar`` only up to ``year`` inside the block (later years: :data:`PUBLISHED` or the
    projection). A deployment can hold its deadlines still across a library upgrade this way; the tests
    use it to check the projection on years the library may publish later."""
    global _library_until
    saved = _library_until
    _set_until(year)
    try:
        yield
    finally:
        _set_until(saved)


def _set_until(year: int | None) -> None:
    global _library_until
    _library_until = year
    refresh()


def refresh() -> None:
    """Forget what was computed (after :data:`PUBLISHED` changes at run time)."""
    global _generation
    _generation += 1
    day.cache_clear()


@dataclass(frozen=True)
class Day:
    """What a date is: a working day or not, the holiday it belongs to (if any), and where we know it from."""

    date: dt.date
    working: bool
    holiday: str | None  # a key of STATUTORY
    makeup: bool  # a weekend day worked in exchange (调休上班)
    source: str  # "published" | "chinesecalendar" | "projected"

    @property
    def holiday_zh(self) -> str | None:
        return STATUTORY[self.holiday][0] if self.holiday in STATUTORY else None

    @property
    def holiday_en(self) -> str | None:
        return STATUTORY[self.holiday][1] if self.holiday in STATUTORY else None


@lru_cache(maxsize=1)
def library_years() -> range:
    """The years the installed ``chinesecalendar`` knows."""
    years = sorted(chinese_calendar.constants.holidays)
    return range(years[0].year, years[-1].year + 1)


def source_of(year: int) -> str:
    """Where a year's calendar comes from: ``published`` (ours), ``chinesecalendar``, or ``projected``."""
    if year in PUBLISHED:
        return "published"
    if year in library_years() and (_library_until is None or year <= _library_until):
        return "chinesecalendar"
    return "projected"


@lru_cache(maxsize=64)
def _projected(year: int) -> dict[dt.date, str]:
    """The statutory holidays of a year nobody has published (date → holiday)."""
    days: dict[dt.date, str] = {}

    def span(name: str, first: dt.date, n: int) -> None:
        for k in range(n):
            days.setdefault(first + dt.timedelta(days=k), name)

    span("new_years_day", dt.date(year, 1, 1), 1)
    span("labour_day", dt.date(year, 5, 1), 2)
    span("national_day", dt.date(year, 10, 1), 3)
    lunar = LUNAR.get(year)
    if lunar:
        span("spring_festival", lunar["spring_festival"] - dt.timedelta(days=1), 4)
        for name in ("tomb_sweeping_day", "dragon_boat_festival", "mid_autumn_festival"):
            span(name, lunar[name], 1)
    return days


def _library_name(name: str | None) -> str | None:
    if name is None:
        return None
    for h in chinese_calendar.Holiday:
        if h.value == name:
            return h.name if h.name in STATUTORY else "other"
    return "other"


@lru_cache(maxsize=8192)
def day(date: dt.date) -> Day:
    """What ``date`` is (see the module docstring for the sources)."""
    weekend = date.weekday() >= 5
    src = source_of(date.year)
    if src == "published":
        s = PUBLISHED[date.year]
        holiday = next((n for n, ds in s.holidays.items() if date in ds), None)
        makeup = date in s.workdays
        return Day(date, makeup or (not weekend and holiday is None), holiday, makeup, src)
    if src == "chinesecalendar":
        off, name = chinese_calendar.get_holiday_detail(date)
        working = not off
        holiday = _library_name(name) if off else None
        return Day(date, working, holiday, working and weekend, src)
    holiday = _projected(date.year).get(date)
    return Day(date, not weekend and holiday is None, holiday, False, src)


def is_workday(date: dt.date) -> bool:
    """Whether ``date`` is a working day in China."""
    return day(date).working


def next_workday(date: dt.date) -> dt.date:
    """The first working day on or after ``date``."""
    while not is_workday(date):
        date += dt.timedelta(days=1)
    return date


def add_workdays(date: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``date`` (``n`` ≥ 0; 0: ``date`` itself if worked, else the next)."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return next_workday(date)
    while n:
        date += dt.timedelta(days=1)
        n -= is_workday(date)
    return date


def rest_runs(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Each run of consecutive rest days inside ``first``..``last`` (both inclusive), clipped to it."""
    runs, start = [], None
    d = first
    while d <= last:
        if not is_workday(d):
            start = start or d
        elif start is not None:
            runs.append((start, d - dt.timedelta(days=1)))
            start = None
        d += dt.timedelta(days=1)
    if start is not None:
        runs.append((start, last))
    return runs
