"""Pre-evaluation from records: hand-made histories landed through ingestion, for both rule sets."""

from __future__ import annotations

import datetime as dt

import pytest

from bank_tax.taxcredit.evaluate import pre_evaluate
from tests.taxcredit.helpers import annual_return, arrear, firm, listing, si_arrears, vat_year

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

AFTER_2025 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
AFTER_2024 = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)


def _one(session, uscc, year, as_of):
    ev = pre_evaluate(session, usccs=[uscc], year=year, as_of=as_of)
    return ev, {k: v[0] for k, v in ev.deductions.items()}


def test_every_deduction_read_from_records_under_the_2025_rules(session):
    f = firm(session)
    annual_return(session, f.uscc, 2024, days_late=20)  # financial statements late: −3
    vat_year(session, f.uscc, 2025, late={3: 10, 6: 2})  # March 10 days late: −5; June within grace
    arrear(session, f.uscc, 2025, 4)  # new arrear −5, still open at year end −6
    arrear(session, f.uscc, 2025, 7, cleared=dt.date(2025, 9, 10), n=2)  # new arrear −5, cleared in the year
    si_arrears(session, f.uscc, 2025, [5, 8])  # −2 a month (2025 rules)
    ev, cut = _one(session, f.uscc, 2025, AFTER_2025)
    assert ev.rule_set == "2025" and ev.closed
    assert ev.start[0] == 100.0
    assert cut == {
        "late_filing": 5.0,
        "late_statement": 3.0,
        "arrear_new": 10.0,
        "arrear_open_at_year_end": 6.0,
        "si_arrear": 4.0,
    }
    assert ev.score[0] == 72.0 and ev.grade[0] == "B"


def test_the_2021_rules_ignore_social_insurance(session):
    f = firm(session)
    annual_return(session, f.uscc, 2023)
    vat_year(session, f.uscc, 2024, late={1: 30, 2: 30})
    si_arrears(session, f.uscc, 2024, [5, 6, 7])
    ev, cut = _one(session, f.uscc, 2024, AFTER_2024)
    assert ev.rule_set == "2021" and cut["si_arrear"] == 0.0
    assert ev.score[0] == 90.0 and ev.grade[0] == "A"


def test_missing_months_and_a_missing_annual_return_lower_the_start(session):
    partial, thin, no_return = firm(session), firm(session), firm(session)
    for f in (partial, thin):
        annual_return(session, f.uscc, 2024)
    vat_year(session, partial.uscc, 2025, skip=(2, 9))
    vat_year(session, thin.uscc, 2025, skip=(2, 5, 9))
    vat_year(session, no_return.uscc, 2025)
    ev = pre_evaluate(session, usccs=[partial.uscc, thin.uscc, no_return.uscc], year=2025, as_of=AFTER_2025)
    start = dict(zip(ev.usccs.tolist(), ev.start.tolist(), strict=True))
    assert start == {partial.uscc: 93.0, thin.uscc: 90.0, no_return.uscc: 90.0}
    grades = dict(zip(ev.usccs.tolist(), ev.grade.tolist(), strict=True))
    assert grades[partial.uscc] == "A" and grades[thin.uscc] == "A"


def test_zero_declarations_exclude_a(session):
    run, spread = firm(session), firm(session)
    for f in (run, spread):
        annual_return(session, f.uscc, 2024)
    vat_year(session, run.uscc, 2025, zero=(4, 5, 6))
    vat_year(session, spread.uscc, 2025, zero=(1, 3, 5, 7, 9, 11))
    ev = pre_evaluate(session, usccs=[run.uscc, spread.uscc], year=2025, as_of=AFTER_2025)
    assert ev.score.tolist() == [100.0, 100.0] and ev.grade.tolist() == ["B", "B"]


def test_young_firms_new_firms_and_direct_d(session):
    young = firm(session, dt.date(2023, 6, 1))  # 2.6 years old at the end of 2025: no A
    new = firm(session, dt.date(2025, 3, 10))  # founded in the year: M, its records begin in April
    listed = firm(session)
    annual_return(session, young.uscc, 2024)
    annual_return(session, listed.uscc, 2024)
    vat_year(session, young.uscc, 2025)
    vat_year(session, new.uscc, 2025, months=range(4, 13))
    vat_year(session, listed.uscc, 2025, months=range(1, 7))
    listing(session, listed.uscc, "abnormal_operation", dt.date(2025, 8, 3))  # 非正常户 in the year
    ev = pre_evaluate(session, usccs=[young.uscc, new.uscc, listed.uscc], year=2025, as_of=AFTER_2025)
    got = dict(zip(ev.usccs.tolist(), ev.grade.tolist(), strict=True))
    assert got == {young.uscc: "B", new.uscc: "M", listed.uscc: "D"}
    assert ev.x["months_missing"][list(ev.usccs).index(new.uscc)] == 0


def test_declarations_that_stop_for_good_before_december_are_direct_d(session):
    gone, still = firm(session), firm(session)
    for f in (gone, still):
        annual_return(session, f.uscc, 2024)
    vat_year(session, gone.uscc, 2025, months=range(1, 8))
    vat_year(session, still.uscc, 2025)
    vat_year(session, still.uscc, 2026, months=range(1, 4))  # the data runs on past the year
    ev = pre_evaluate(session, usccs=[gone.uscc, still.uscc], year=2025, as_of=AFTER_2025)
    got = dict(zip(ev.usccs.tolist(), ev.grade.tolist(), strict=True))
    assert got == {gone.uscc: "D", still.uscc: "A"}


def test_records_received_later_are_not_known_earlier(session):
    f = firm(session)
    annual_return(session, f.uscc, 2024)
    vat_year(session, f.uscc, 2025)
    arrear(session, f.uscc, 2025, 11)  # arises 2025-12-16
    before = pre_evaluate(session, usccs=[f.uscc], year=2025, as_of=dt.datetime(2025, 12, 10, tzinfo=dt.UTC))
    after = pre_evaluate(session, usccs=[f.uscc], year=2025, as_of=AFTER_2025)
    assert before.deductions["arrear_new"][0] == 0.0 and after.deductions["arrear_new"][0] == 5.0


def test_many_firms_read_by_range_of_codes_yet_only_their_own_rows_count(session, monkeypatch):
    """Above the push-down limit the records are read by range of codes; another firm's rows must not count."""
    from bank_tax.sources import service as sources

    other, asked = firm(session), firm(session)
    for f in (other, asked):
        annual_return(session, f.uscc, 2024)
        vat_year(session, f.uscc, 2025)
    arrear(session, other.uscc, 2025, 4)
    si_arrears(session, other.uscc, 2025, [5])
    listing(session, other.uscc, "abnormal_operation", dt.date(2025, 8, 3))
    monkeypatch.setattr(sources, "PUSHDOWN_FIRMS", 0)
    ev, cut = _one(session, asked.uscc, 2025, AFTER_2025)
    assert sum(cut.values()) == 0.0 and ev.grade[0] == "A"
