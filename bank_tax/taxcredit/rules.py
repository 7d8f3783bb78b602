"""The tax-credit rule sets, as data with their effective dates, and the grading they define.

The tax bureau revises these rules (纳税信用管理办法 2014, revised through 2021; 纳税缴费信用管理办法 in
force from 2025-07-01, which also counts social-insurance contributions): each set says which evaluation
years it governs and what it deducts. The synthetic province grades with the same tables, so the
pre-evaluation can be checked against the grades it publishes. Figures follow ``shared/domain.md``;
where the public rules are silent the choice is ours and written here.

Repair tiers (ours, after the published practice "补正越早恢复越多"): a late filing corrected within 3
days of its due date is never deducted; after a deduction, a completed credit repair restores 80% of
the points within 30 days, 60% within 90 and 40% later.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

RULE_SETS: dict[str, dict] = {
    "2021": {
        "title": "纳税信用管理办法（2014，2021年修订） / tax-credit rules 2014, revised 2021",
        "effective_from": "2014-10-01",
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
        "repair_tiers": [[30, 0.8], [90, 0.6], [None, 0.4]],
    },
    "2025": {
        "title": "纳税缴费信用管理办法（2025年7月1日起施行） / tax-and-contribution credit rules 2025",
        "effective_from": "2025-07-01",
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
        "repair_tiers": [[30, 0.8], [90, 0.6], [None, 0.4]],
    },
}
GRADES = np.array(["A", "B", "M", "C", "D"])
BEHAVIOUR = (
    "months_missing",
    "late_filings",
    "late_statement",
    "annual_return_missing",
    "new_arrears",
    "open_arrear",
    "si_arrear_months",
    "zero_run",
    "zero_total",
    "direct_d",
    "new_in_year",
    "no_revenue",
    "age_years",
    "prev_d",
)


def rules_for(year: int) -> tuple[str, dict]:
    """The rule set governing evaluation year ``year``."""
    for name, rules in RULE_SETS.items():
        if rules["first_year"] <= year <= rules["last_year"]:
            return name, rules
    raise LookupError(f"no tax-credit rules for {year}")


def in_force(day: dt.date) -> tuple[str, dict]:
    """The rule set in force on ``day`` (by effective date)."""
    current = None
    for name, rules in sorted(RULE_SETS.items(), key=lambda kv: kv[1]["effective_from"]):
        if dt.date.fromisoformat(rules["effective_from"]) <= day:
            current = (name, rules)
    if current is None:
        raise LookupError(f"no tax-credit rules in force on {day}")
    return current


def starting_score(r: dict, x: dict[str, np.ndarray]) -> np.ndarray:
    """100 with complete data, 93 with one or two months missing, 90 with the annual return missing or
    more months missing."""
    return np.where(
        x["annual_return_missing"] | (x["months_missing"] > 2),
        r["start_thin"],
        np.where(x["months_missing"] > 0, r["start_partial"], r["start_complete"]),
    )


def deductions(r: dict, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Points deducted per indicator."""
    return {
        "late_filing": r["late_filing"] * x["late_filings"],
        "late_statement": r["late_statement"] * x["late_statement"],
        "arrear_new": r["arrear_new"] * x["new_arrears"],
        "arrear_open_at_year_end": r["arrear_open_at_year_end"] * x["open_arrear"],
        "si_arrear": r["si_arrear_month"] * x["si_arrear_months"],
    }


def a_excluded(r: dict, x: dict[str, np.ndarray]) -> np.ndarray:
    """Firms that may not be graded A whatever their score: under 3 years old, D last year, or 3
    consecutive / 6 in all months of zero VAT declarations."""
    return (
        (x["age_years"] < r["a_min_age_years"])
        | x["prev_d"]
        | (x["zero_run"] >= r["zero_run_excludes_a"])
        | (x["zero_total"] >= r["zero_total_excludes_a"])
    )


def letter(r: dict, score: np.ndarray, x: dict[str, np.ndarray]) -> np.ndarray:
    """The grade of each score: direct D first, M for firms founded in the year, D/C by score, M for no
    revenue (with ≥ 70), A at ≥ 90 unless excluded, else B."""
    return np.select(
        [
            x["direct_d"],
            x["new_in_year"],
            score < r["c_min"],
            score < r["b_min"],
            x["no_revenue"],
            (score >= r["a_min"]) & ~a_excluded(r, x),
        ],
        ["D", "M", "D", "C", "M", "A"],
        default="B",
    )


def grade_year(year: int, x: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Score and grade every firm for one evaluation year from its behaviour counts ``x`` (the arrays
    named in :data:`BEHAVIOUR`, one entry per firm). Returns (score, grade letter)."""
    _, r = rules_for(year)
    score = starting_score(r, x) - sum(deductions(r, x).values())
    score = np.maximum(score, 0.0)
    return score, letter(r, score, x)


def restored_share(r: dict, days_after_deduction: int) -> float:
    """The share of a deduction a completed repair restores, by how many days after it was made."""
    for limit, share in r["repair_tiers"]:
        if limit is None or days_after_deduction <= limit:
            return share
    return 0.0
