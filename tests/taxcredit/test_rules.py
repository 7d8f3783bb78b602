"""Each deduction, starting score, A-exclusion, direct D and M case of both rule sets, on hand-made
behaviour; which rules are in force when; the repair tiers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bank_tax.taxcredit import rules as R

CLEAN = {
    "months_missing": 0,
    "late_filings": 0,
    "late_statement": False,
    "annual_return_missing": False,
    "new_arrears": 0,
    "open_arrear": False,
    "si_arrear_months": 0,
    "zero_run": 0,
    "zero_total": 0,
    "direct_d": False,
    "new_in_year": False,
    "no_revenue": False,
    "age_years": 10.0,
    "prev_d": False,
}
YEARS = {"2021": 2024, "2025": 2025}


def grade(year: int, **changes) -> tuple[float, str]:
    x = {k: np.array([v]) for k, v in {**CLEAN, **changes}.items()}
    score, letter = R.grade_year(year, x)
    return float(score[0]), str(letter[0])


@pytest.mark.parametrize("rule_set", sorted(YEARS))
def test_a_clean_year_is_an_a_with_100(rule_set):
    assert grade(YEARS[rule_set]) == (100.0, "A")


@pytest.mark.parametrize("rule_set", sorted(YEARS))
@pytest.mark.parametrize(
    "changes, points",
    [
        ({"late_filings": 2}, 10.0),  # 5 per return filed beyond the grace days
        ({"late_statement": True}, 3.0),
        ({"new_arrears": 1}, 5.0),
        ({"new_arrears": 1, "open_arrear": True}, 11.0),  # still open at year end: 6 more
        ({"months_missing": 1}, 7.0),  # starts at 93
        ({"months_missing": 2}, 7.0),
        ({"months_missing": 3}, 10.0),  # more missing: starts at 90
        ({"annual_return_missing": True}, 10.0),
    ],
)
def test_each_deduction(rule_set, changes, points):
    score, _ = grade(YEARS[rule_set], **changes)
    assert score == 100.0 - points


def test_social_insurance_arrears_count_only_under_the_2025_rules():
    assert grade(2024, si_arrear_months=3)[0] == 100.0
    assert grade(2025, si_arrear_months=3)[0] == 94.0


@pytest.mark.parametrize("rule_set", sorted(YEARS))
@pytest.mark.parametrize("changes", [{"age_years": 2.9}, {"prev_d": True}, {"zero_run": 3}, {"zero_total": 6}], ids=str)
def test_a_is_excluded_whatever_the_score(rule_set, changes):
    assert grade(YEARS[rule_set], **changes) == (100.0, "B")


@pytest.mark.parametrize("rule_set", sorted(YEARS))
def test_grade_bands_direct_d_and_m(rule_set):
    year = YEARS[rule_set]
    assert grade(year, late_filings=2)[1] == "A"  # 90
    assert grade(year, late_filings=3)[1] == "B"  # 85
    assert grade(year, late_filings=6)[1] == "B"  # 70
    assert grade(year, late_filings=7)[1] == "C"  # 65
    assert grade(year, late_filings=13)[1] == "D"  # 35
    assert grade(year, direct_d=True)[1] == "D"  # absconded: D whatever the score
    assert grade(year, new_in_year=True)[1] == "M"  # founded in the year
    assert grade(year, new_in_year=True, direct_d=True)[1] == "D"
    assert grade(year, no_revenue=True)[1] == "M"  # no revenue and ≥ 70
    assert grade(year, no_revenue=True, late_filings=7)[1] == "C"  # below 70 the score decides
    assert grade(year, late_filings=30)[0] == 0.0  # never below zero


def test_rule_sets_by_year_and_by_effective_date():
    assert R.rules_for(2024)[0] == "2021" and R.rules_for(2025)[0] == "2025"
    assert R.in_force(dt.date(2025, 6, 30))[0] == "2021"
    assert R.in_force(dt.date(2025, 7, 1))[0] == "2025"
    with pytest.raises(LookupError):
        R.rules_for(2010)


def test_repair_restores_less_the_later_it_comes():
    _, r = R.rules_for(2025)
    assert [R.restored_share(r, d) for d in (1, 30, 31, 90, 91, 400)] == [0.8, 0.8, 0.6, 0.6, 0.4, 0.4]
