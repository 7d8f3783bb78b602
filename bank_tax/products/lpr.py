"""The one-year Loan Prime Rate (贷款市场报价利率), a dated value: products price as a spread over it."""

from __future__ import annotations

import datetime as dt

# (effective from, percent). Extend with each monthly publication that changes it.
LPR_1Y: list[tuple[str, float]] = [
    ("2019-08-20", 4.25),
    ("2019-11-20", 4.15),
    ("2020-02-20", 4.05),
    ("2020-04-20", 3.85),
    ("2021-12-20", 3.80),
    ("2022-01-20", 3.70),
    ("2022-08-22", 3.65),
    ("2023-06-20", 3.55),
    ("2023-08-21", 3.45),
    ("2024-07-22", 3.35),
    ("2024-10-21", 3.10),
    ("2025-05-20", 3.00),
]


def lpr_on(day: dt.date) -> float:
    """The one-year LPR in force on ``day`` (percent)."""
    rate = LPR_1Y[0][1]
    for since, value in LPR_1Y:
        if dt.date.fromisoformat(since) <= day:
            rate = value
    return rate
