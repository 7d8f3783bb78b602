"""The tax-credit grading rules the synthetic province applies to its simulated behaviour.

Rules are data (one dict per rule set, with the evaluation years it applies to) so that the
tax-credit domain can ship the same tables and its pre-evaluation can be checked against the
grades published here. Figures follow ``shared/domain.md``; where the public rules are silent the
choice is ours and written down in ``README.md``.
"""

from __future__ import annotations

import numpy as np

RULE_SETS: dict[str, dict] = {
    # 纳税信用管理办法 (2014, revised through 2021): tax behaviour only.
    "2021": {
        "first_year": 2014,
        "last_year": 2024,
        "start_complete": 100.0,  # all months declared and the annual return filed
        "start_partial": 93.0,  # one or two monthly declarations missing
        "start_thin": 90.0,  # the annual return (financial statements) missing, or more months missing
        "late_filing": 5.0,
        "late_filing_grace_days": 3,  # corrected within 3 days: restored in full
        "late_statement": 3.0,
        "arrear_new": 5.0,
        "arrear_open_at_year_end": 6.0,
        "si_arrear_month": 0.0,
        "a_min": 90.0,
        "b_min": 70.0,
        "c_min": 40.0,
        "a_min_age_years": 3.0,
        "zero_run_excludes_a": 3,
        "zero_total_excludes_a": 6,
    },
    # 纳税缴费信用管理办法 (in force 2025-07-01): social-insurance contributions count too.
    "2025": {
        "first_year": 2025,
        "last_year": 9999,
        "start_complete": 100.0,
        "start_partial": 93.0,
        "start_thin": 90.0,
        "late_filing": 5.0,
        "late_filing_grace_days": 3,
        "late_statement": 3.0,
        "arrear_new": 5.0,
        "arrear_open_at_year_end": 6.0,
        "si_arrear_month": 2.0,
        "a_min": 90.0,
        "b_min": 70.0,
        "c_min": 40.0,
        "a_min_age_years": 3.0,
        "zero_run_excludes_a": 3,
        "zero_total_excludes_a": 6,
    },
}
GRADES = np.array(["A", "B", "M", "C", "D"])


def rules_for(year: int) -> tuple[str, dict]:
    """The rule set in force for evaluation year ``year``."""
    for name, rules in RULE_SETS.items():
        if rules["first_year"] <= year <= rules["last_year"]:
            return name, rules
    raise LookupError(f"no tax-credit rules for {year}")


def grade_year(year: int, x: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Score and grade every firm for one evaluation year from its behaviour counts ``x``.

    ``x`` holds equal-length arrays: months_missing, late_filings (beyond the grace days),
    late_statement, annual_return_missing, new_arrears, open_arrear, si_arrear_months, zero_run,
    zero_total, direct_d, new_in_year, no_revenue, age_years, prev_d. Returns (score, grade letter).
    """
    _, r = rules_for(year)
    start = np.where(
        x["annual_return_missing"] | (x["months_missing"] > 2),
        r["start_thin"],
        np.where(x["months_missing"] > 0, r["start_partial"], r["start_complete"]),
    )
    score = (
        start
        - r["late_filing"] * x["late_filings"]
        - r["late_statement"] * x["late_statement"]
        - r["arrear_new"] * x["new_arrears"]
        - r["arrear_open_at_year_end"] * x["open_arrear"]
        - r["si_arrear_month"] * x["si_arrear_months"]
    )
    score = np.maximum(score, 0.0)
    a_excluded = (
        (x["age_years"] < r["a_min_age_years"])
        | x["prev_d"]
        | (x["zero_run"] >= r["zero_run_excludes_a"])
        | (x["zero_total"] >= r["zero_total_excludes_a"])
    )
    grade = np.select(
        [
            x["direct_d"],
            x["new_in_year"],
            score < r["c_min"],
            score < r["b_min"],
            x["no_revenue"],
            (score >= r["a_min"]) & ~a_excluded,
        ],
        ["D", "M", "D", "C", "M", "A"],
        default="B",
    )
    return score, grade
