"""Tax filing deadlines, moved for holidays as the law says.

The rules are data (:data:`RULES`, each with its source); the working days are China's calendar
(:mod:`bank_tax.workdays`). A monthly VAT return is due on the 15th of the next month; the annual
corporate income tax return on 31 May of the next year. Then 税收征收管理法实施细则 art. 109:

* a deadline that falls on a rest day (a weekend or a public holiday) moves to the next working day;
* 3 or more consecutive rest days inside the filing period (the 1st to the 15th) extend the deadline by
  that many days, counted as the tax bureau counts them in its yearly notices: working days after the 15th.

So October 2026's returns (National Day 1–7 October) are due on 26 October (税总办征科函〔2025〕64号
gives the whole year; ``tests/sources/test_deadlines.py`` checks the rule against it), and a return filed that day
is on time: in ingestion (which stores this deadline for a row sent without one, or with an earlier one),
the features, the pre-evaluation, the firm's warnings and the synthetic province alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bank_tax import workdays

RULES = {
    "monthly_return": {
        "day": 15,
        "source": "《中华人民共和国增值税法》（2026年1月1日起施行，此前《增值税暂行条例》第二十三条）："
        "以一个月为一个计税期间的，自期满之日起十五日内申报纳税",
    },
    "annual_return": {
        "month": 5,
        "day": 31,
        "source": "《中华人民共和国企业所得税法》第五十四条：自年度终了之日起五个月内报送年度纳税申报表",
    },
    "holiday_move": {
        "min_run": 3,
        "source": "《中华人民共和国税收征收管理法实施细则》第一百零九条：纳税期限的最后一日是法定休假日的，"
        "以休假日期满的次日为期限的最后一日；在期限内有连续3日以上法定休假日的，按休假日天数顺延"
        "（国家税务总局每年的申报纳税期限通知按工作日顺延，如税总办征科函〔2025〕64号）",
    },
}


@dataclass(frozen=True)
class Deadline:
    """A filing deadline: the statutory day, the day it is due after the holiday rules, and why."""

    statutory: dt.date
    due: dt.date
    extended_by: int  # days added for runs of 3+ rest days inside the filing period
    runs: tuple[tuple[dt.date, dt.date], ...]  # those runs
    projected: bool  # the calendar of the due date's year is not published yet

    @property
    def moved(self) -> bool:
        return self.due != self.statutory

    def note_zh(self) -> str:
        """Why the deadline moved, in Chinese ('' when it did not)."""
        if not self.moved:
            return ""
        if self.extended_by:
            why = f"期内连续休假 {self.extended_by} 天顺延"
        else:
            why = "期限最后一日为休假日，顺延至次一工作日"
        guess = "（节假日安排尚未公布，按法定假日推算）" if self.projected else ""
        return f"原 {self.statutory:%m月%d日}，{why}{guess}"

    def note_en(self) -> str:
        """Why the deadline moved, in English ('' when it did not)."""
        if not self.moved:
            return ""
        why = (
            f"extended by {self.extended_by} days of holiday in the filing period"
            if self.extended_by
            else "the last day is a rest day: moved to the next working day"
        )
        return f"from {self.statutory:%d %b}, {why}" + (
            " (projected: this year's holiday notice is not out yet)" if self.projected else ""
        )


def move(statutory: dt.date, period_start: dt.date | None = None) -> Deadline:
    """Apply art. 109 to a statutory deadline; ``period_start``: the filing period's first day, for the
    extension (None: only the move of a deadline that falls on a rest day)."""
    runs: tuple = ()
    extra = 0
    if period_start is not None:
        need = RULES["holiday_move"]["min_run"]
        runs = tuple((a, b) for a, b in workdays.rest_runs(period_start, statutory) if (b - a).days + 1 >= need)
        extra = sum((b - a).days + 1 for a, b in runs)
    # the tax bureau counts the extension in working days after the statutory day (its yearly notices:
    # 2026's January deadline is the 20th, October's the 26th), and a deadline on a rest day moves on
    due = workdays.add_workdays(statutory, extra) if extra else workdays.next_workday(statutory)
    projected = workdays.source_of(due.year) == "projected" or workdays.source_of(statutory.year) == "projected"
    return Deadline(statutory=statutory, due=due, extended_by=extra, runs=runs, projected=projected)


def monthly_return(year: int, month: int) -> Deadline:
    """The deadline of the monthly return for ``year``-``month`` (filed in the next month)."""
    return _monthly(year, month, workdays.generation())


@lru_cache(maxsize=1024)
def _monthly(year: int, month: int, _generation: int) -> Deadline:
    y, m = divmod(year * 12 + month, 12)
    start = dt.date(y, m + 1, 1)
    return move(start.replace(day=RULES["monthly_return"]["day"]), start)


def annual_return(year: int) -> Deadline:
    """The deadline of the annual CIT return for ``year`` (31 May of the next year, moved off a rest day;
    the five-month filing period is not extended by the holidays inside it)."""
    return _annual(year, workdays.generation())


@lru_cache(maxsize=128)
def _annual(year: int, _generation: int) -> Deadline:
    r = RULES["annual_return"]
    return move(dt.date(year + 1, r["month"], r["day"]))


LOW, HIGH = np.datetime64("1990-01", "M"), np.datetime64("2199-12", "M")  # outside: not a period (NaT)


def monthly_due(periods: np.ndarray) -> np.ndarray:
    """Vectorised :func:`monthly_return` due dates for an array of periods (any datetime64 unit; NaT,
    or a value no period can be, gives NaT)."""
    months = np.asarray(periods).astype("datetime64[M]")
    out = np.full(months.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnat(months) & (months >= LOW) & (months <= HIGH)
    if ok.any():
        uniq, inv = np.unique(months[ok], return_inverse=True)
        dues = [monthly_return(u.year, u.month).due for u in uniq.astype(object)]
        out[ok] = np.array(dues, dtype="datetime64[D]")[inv]
    return out


def annual_due(years: np.ndarray) -> np.ndarray:
    """Vectorised :func:`annual_return` due dates for an array of years (NaT outside 1990–2199)."""
    years = np.asarray(years, dtype=np.int64)
    out = np.full(years.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = (years >= 1990) & (years <= 2199)
    if ok.any():
        uniq, inv = np.unique(years[ok], return_inverse=True)
        out[ok] = np.array([annual_return(int(y)).due for y in uniq], dtype="datetime64[D]")[inv]
    return out
