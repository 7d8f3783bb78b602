"""Filing deadlines that move with holidays (税收征收管理法实施细则 art. 109), checked against dates worked
out by hand from the 2026 holiday notice, and a return filed on a moved deadline on time everywhere:
ingestion, the features, the pre-evaluation and the synthetic province."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bank_tax import clock, workdays
from bank_tax.features import pipeline
from bank_tax.sources import deadlines, ingest, service
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit.evaluate import pre_evaluate
from tests import factories
from tests.sources.helpers import csv_bytes, vat

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

D = dt.date

# period → when its return is due, as the State Taxation Administration published it for 2026
# (国家税务总局办公厅关于明确2026年度申报纳税期限的通知, 税总办征科函〔2025〕64号), with its reasons
DUE_2026 = {
    "2025-12": D(2026, 1, 20),  # 1–3 Jan off (3 days): 3 working days after the 15th
    "2026-01": D(2026, 2, 24),  # 15–23 Feb off: the day after the holiday
    "2026-02": D(2026, 3, 16),  # the 15th is a Sunday
    "2026-03": D(2026, 4, 20),  # 4–6 Apr off (3 days)
    "2026-04": D(2026, 5, 22),  # 1–5 May off (5 days)
    "2026-05": D(2026, 6, 15),
    "2026-06": D(2026, 7, 15),
    "2026-07": D(2026, 8, 17),  # the 15th is a Saturday
    "2026-08": D(2026, 9, 15),
    "2026-09": D(2026, 10, 26),  # 1–7 Oct off (7 days)
    "2026-10": D(2026, 11, 16),  # the 15th is a Sunday
    "2026-11": D(2026, 12, 15),
}


@pytest.mark.parametrize(("period", "due"), DUE_2026.items())
def test_monthly_deadlines_of_2026(period, due):
    year, month = (int(x) for x in period.split("-"))
    d = deadlines.monthly_return(year, month)
    assert d.due == due and d.statutory == clock.add_months(D(year, month, 1), 1).replace(day=15)
    assert d.moved == (due.day != 15) and not d.projected


def test_the_annual_return_moves_off_a_sunday_only():
    assert deadlines.annual_return(2025).due == D(2026, 6, 1)  # 31 May 2026 is a Sunday
    assert deadlines.annual_return(2024).due == D(2025, 6, 3)  # 31 May–2 Jun 2025: the Dragon Boat Festival
    # the Spring Festival inside the five months does not extend the annual return
    assert deadlines.annual_return(2025).extended_by == 0


def test_the_vectorised_deadlines_agree_with_the_table():
    periods = np.array([f"{p}-01" for p in DUE_2026] + ["NaT"], dtype="datetime64[D]")
    assert deadlines.monthly_due(periods).tolist() == [*DUE_2026.values(), None]
    assert deadlines.annual_due(np.array([2025, 0])).tolist() == [D(2026, 6, 1), None]


def test_deadlines_in_a_year_still_to_be_published_follow_the_statutory_holidays():
    with workdays.library_until(2026):
        assert deadlines.monthly_return(2026, 12).due == D(2027, 1, 20)  # 1 Jan (Fri) + the weekend: 3 working days
        feb = deadlines.monthly_return(2027, 1)  # the Spring Festival: eve 5 Feb to 8 Feb, 4 days
        assert feb.due == D(2027, 2, 19) and feb.extended_by == 4 and feb.projected
        assert "按法定假日推算" in feb.note_zh() and "projected" in feb.note_en()
        oct_ = deadlines.monthly_return(2027, 9)  # National Day 1–3 Oct 2027 (Fri–Sun): 3 working days
        assert oct_.due == D(2027, 10, 20) and oct_.runs == ((D(2027, 10, 1), D(2027, 10, 3)),)


@pytest.fixture
def firm(session):
    return factories.enterprise(session, established_on=D(2015, 1, 1)).uscc


def _land(session, rows) -> dict:
    batch, _ = ingest.ingest(
        session, source=SOURCES["vat_declarations"], data=csv_bytes("vat_declarations", rows), filename="t.csv",
        actor=None,
    )
    return ingest.report(session, batch)


def _vat(uscc, period, filed, due=""):
    return vat(uscc, period=period, due_date=due, filed_on=filed.isoformat(), received_at=f"{filed}T10:00:00+00:00")


def test_ingestion_stores_the_moved_deadline_for_a_blank_or_unmoved_one(session, firm):
    other = factories.enterprise(session).uscc
    report = _land(
        session,
        [
            _vat(firm, "2026-09", D(2026, 10, 26)),  # blank: the statutory deadline
            _vat(other, "2026-09", D(2026, 10, 20), due="2026-10-15"),  # the unmoved 15th: raised to the 26th
            _vat(firm, "2026-08", D(2026, 9, 30), due="2026-09-30"),  # a later one (an extension): kept
        ],
    )
    assert report["rejected"] == 0 and report["inserted"] == 3
    stored = {}
    for u in (firm, other):
        for row in service.records(session, source=SOURCES["vat_declarations"], uscc=u, as_of=clock.now()):
            stored[(u, f"{row['data']['period']:%Y-%m}")] = row["data"]["due_date"]
    assert stored == {
        (firm, "2026-09"): D(2026, 10, 26),
        (other, "2026-09"): D(2026, 10, 26),
        (firm, "2026-08"): D(2026, 9, 30),
    }


def test_a_return_filed_after_midnight_in_china_and_received_at_once_is_accepted(session, firm):
    """Filed on 1 December and received at 00:30 that day in Hangzhou (16:30 UTC on 30 November): the
    day it was received is China's, so it is not 'received before it was filed'."""
    row = vat(firm, period="2026-11", filed_on="2026-12-01", received_at="2026-11-30T16:30:00+00:00")
    assert _land(session, [row])["rejected"] == 0
    early = vat(firm, period="2026-10", filed_on="2026-12-01", received_at="2026-11-30T15:30:00+00:00")
    report = _land(session, [early])  # 23:30 on 30 November in Hangzhou: before the filing
    assert [(r["field"], r["line"]) for r in report["rejections"]] == [("received_at", 2)]


def test_a_return_filed_on_the_moved_deadline_is_on_time_in_features_and_pre_evaluation(session, firm):
    on_time, two_late, four_late = firm, factories.enterprise(session).uscc, factories.enterprise(session).uscc
    _land(
        session,
        [
            _vat(on_time, "2026-09", D(2026, 10, 26), due="2026-10-15"),  # 11 days after the 15th, on time
            _vat(two_late, "2026-09", D(2026, 10, 28)),  # 2 days late: within the 3 days' grace
            _vat(four_late, "2026-09", D(2026, 10, 30)),  # 4 days late
        ],
    )
    as_of = dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)
    frame = pipeline.compute(session, usccs=[on_time, two_late, four_late], as_of=as_of)
    late = dict(zip(frame.usccs.tolist(), frame.values[:, frame.names.index("late_filings_12m")].tolist(), strict=True))
    assert late == {on_time: 0.0, two_late: 1.0, four_late: 1.0}  # the feature counts any day after the deadline
    ev = pre_evaluate(session, usccs=[on_time, two_late, four_late], year=2026, as_of=as_of)
    counted = dict(zip(ev.usccs.tolist(), ev.x["late_filings"].tolist(), strict=True))
    assert counted == {on_time: 0, two_late: 0, four_late: 1}  # the grade counts beyond the grace days


def test_the_synthetic_province_files_against_the_moved_deadlines():
    from bank_tax.synth.province import SynthParams, generate

    province = generate(SynthParams.make(firms=60, months=14, seed=3, end_period="2026-10", faults=False))
    vat_rows = province.tables["vat_declarations"]
    periods = np.array([str(p)[:7] for p in vat_rows["period"]])
    for period in ("2025-12", "2026-01", "2026-04", "2026-09"):
        due = vat_rows["due_date"][periods == period]
        assert due.size and (due == np.datetime64(DUE_2026[period])).all(), period
    filed, due = vat_rows["filed_on"], vat_rows["due_date"]
    assert (filed > due).mean() < 0.5 and (filed <= due).any()  # lateness is measured from the moved date
