"""China's working-day calendar against the State Council's notice for 2026 (国务院办公厅关于2026年部分节假日
安排的通知, 4 November 2025), written out here by hand, and the statutory projection of a year not
published yet."""

from __future__ import annotations

import datetime as dt

import pytest

from bank_tax import workdays

D = dt.date

# The 2026 notice, as published: days off (放假调休) and weekend days worked (上班).
OFF_2026 = {
    "new_years_day": (D(2026, 1, 1), D(2026, 1, 3)),
    "spring_festival": (D(2026, 2, 15), D(2026, 2, 23)),
    "tomb_sweeping_day": (D(2026, 4, 4), D(2026, 4, 6)),
    "labour_day": (D(2026, 5, 1), D(2026, 5, 5)),
    "dragon_boat_festival": (D(2026, 6, 19), D(2026, 6, 21)),
    "mid_autumn_festival": (D(2026, 9, 25), D(2026, 9, 27)),
    "national_day": (D(2026, 10, 1), D(2026, 10, 7)),
}
WORKED_2026 = [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]


def _days(first: dt.date, last: dt.date):
    while first <= last:
        yield first
        first += dt.timedelta(days=1)


def test_2026_follows_the_notice_day_by_day():
    off = {d for a, b in OFF_2026.values() for d in _days(a, b)}
    for d in _days(D(2026, 1, 1), D(2026, 12, 31)):
        expected = d in WORKED_2026 or (d.weekday() < 5 and d not in off)
        assert workdays.is_workday(d) == expected, d
    assert workdays.day(D(2026, 10, 10)).makeup and workdays.day(D(2026, 10, 10)).working
    assert workdays.day(D(2026, 10, 1)).holiday_zh == "国庆节" and workdays.source_of(2026) == "chinesecalendar"


def test_next_and_added_working_days_skip_the_holidays():
    assert workdays.next_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    assert workdays.next_workday(D(2026, 10, 8)) == D(2026, 10, 8)
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert workdays.add_workdays(D(2026, 10, 9), 1) == D(2026, 10, 10)  # a Saturday worked in exchange
    assert workdays.add_workdays(D(2026, 2, 13), 3) == D(2026, 2, 25)  # 14 Feb worked, 15–23 off: 14, 24, 25
    with pytest.raises(ValueError):
        workdays.add_workdays(D(2026, 1, 5), -1)


def test_rest_runs_are_clipped_to_the_span():
    assert workdays.rest_runs(D(2026, 10, 1), D(2026, 10, 15)) == [
        (D(2026, 10, 1), D(2026, 10, 7)),
        (D(2026, 10, 11), D(2026, 10, 11)),  # the 10th is worked, so Sunday the 11th stands alone
    ]
    assert workdays.rest_runs(D(2026, 2, 1), D(2026, 2, 15)) == [
        (D(2026, 2, 1), D(2026, 2, 1)),
        (D(2026, 2, 7), D(2026, 2, 8)),
        (D(2026, 2, 15), D(2026, 2, 15)),  # the Spring Festival starts on the last day
    ]


def test_a_year_not_published_is_projected_from_the_statutory_holidays():
    with workdays.library_until(2026):
        assert workdays.source_of(2027) == "projected"
        off = [d for d in _days(D(2027, 1, 1), D(2027, 12, 31)) if d.weekday() < 5 and not workdays.is_workday(d)]
        # 《全国年节及纪念日放假办法》(2024): New Year 1, Spring Festival 4 (eve and days 1–3: 5–8 February),
        # Qingming 1 (5 April), Labour Day 2, Dragon Boat 1 (9 June), Mid-Autumn 1 (15 September),
        # National Day 3; here only the weekdays among them
        assert off == [
            D(2027, 1, 1),
            D(2027, 2, 5),
            D(2027, 2, 8),
            D(2027, 4, 5),
            D(2027, 6, 9),
            D(2027, 9, 15),
            D(2027, 10, 1),
        ]
        assert workdays.day(D(2027, 2, 6)).holiday == "spring_festival" and not workdays.day(D(2027, 2, 6)).working
        assert not any(workdays.day(d).makeup for d in _days(D(2027, 1, 1), D(2027, 12, 31)))
    # the library is read again afterwards
    assert workdays.source_of(2026) == "chinesecalendar"


def test_a_notice_entered_by_us_wins_over_the_library(monkeypatch):
    notice = workdays.Schedule(
        source="a test notice",
        holidays={"national_day": tuple(_days(D(2026, 10, 1), D(2026, 10, 8)))},
        workdays=(D(2026, 10, 11),),
    )
    monkeypatch.setitem(workdays.PUBLISHED, 2026, notice)
    workdays.refresh()
    try:
        assert workdays.source_of(2026) == "published"
        assert not workdays.is_workday(D(2026, 10, 8)) and workdays.is_workday(D(2026, 10, 11))
        assert workdays.is_workday(D(2026, 1, 2))  # not in this notice: a plain Friday
    finally:
        monkeypatch.delitem(workdays.PUBLISHED, 2026)
        workdays.refresh()
    assert workdays.is_workday(D(2026, 10, 8)) and not workdays.is_workday(D(2026, 1, 2))
