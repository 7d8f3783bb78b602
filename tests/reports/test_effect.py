"""The quarterly effect report against a small case computed by hand."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from bank_tax import clock
from bank_tax.exports import safe_cell
from bank_tax.lending import loans, service
from bank_tax.reports import effect
from bank_tax.security.roles import Principal, Role
from bank_tax.sources import ingest
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.sources.helpers import csv_bytes

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

TODAY = clock.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"  # by hand, not with the code under test
PREVIOUS = f"{TODAY.year - 1}Q4" if TODAY.month <= 3 else f"{TODAY.year}Q{(TODAY.month - 1) // 3}"
Q_START = dt.date(TODAY.year, (TODAY.month - 1) // 3 * 3 + 1, 1)


@pytest.fixture
def case(session):
    a, b = factories.bank(session, "BANK-A"), factories.bank(session, "BANK-B")
    factories.product(session, a.code)
    factories.product(session, b.code)
    f1 = factories.enterprise(session, region_code="330106", industry_code="C18")
    f2 = factories.enterprise(session, region_code="330203", industry_code="F51")
    f3 = factories.enterprise(session, region_code="330106", industry_code="I65")
    published = (Q_START - dt.timedelta(days=30)).isoformat()
    rows = [
        {
            "uscc": u,
            "year": str(Q_START.year - 1),
            "grade": g,
            "score": "95",
            "rule_set": "2025",
            "evaluated_on": published,
            "received_at": f"{published}T02:00:00+00:00",
        }
        for u, g in ((f1.uscc, "A"), (f2.uscc, "B"))
    ]
    ingest.ingest(
        session, source=SOURCES["credit_grades"], data=csv_bytes("credit_grades", rows), filename="g.csv", actor=None
    )
    officer = Principal(0, "officer", Role.BANK_OFFICER, bank_code=a.code)
    rate = 3.0 + 1.0

    def app(firm, bank):
        return service.submit(
            session,
            uscc=firm.uscc,
            actor=Principal(0, "f", Role.ENTERPRISE, uscc=firm.uscc),
            key=factories.key(),
            bank_code=bank,
            product_code="YSD",
            amount=100_000_000,
            term_months=12,
            purpose_of_funds="采购",
            grant_consent=True,
        )

    a1, a2 = app(f1, a.code), app(f2, a.code)
    app(f3, b.code)  # still pending
    for x in (a1, a2):
        service.act(session, app=x, action="review", actor=officer)
    service.decide(
        session,
        app=a1,
        decision="approved",
        actor=officer,
        reason_code=None,
        reason="",
        amount=90_000_000,
        term_months=12,
        rate=round(rate, 2),
    )
    service.decide(session, app=a2, decision="declined", actor=officer, reason_code="tax_arrears", reason="欠税")

    def loan(bank, contract, firm, principal, r, start):
        return loans.report_disbursement(
            session,
            bank_code=bank,
            actor=None,
            contract_no=contract,
            uscc=firm.uscc,
            product_code="YSD",
            principal=principal,
            rate=r,
            start_date=start,
            maturity_date=start + dt.timedelta(days=365),
        )[0]

    loan(a.code, "L1", f1, 90_000_000, 4.0, Q_START + dt.timedelta(days=5))
    loan(a.code, "L2", f2, 10_000_000, 5.0, Q_START - dt.timedelta(days=60))
    loan(b.code, "L3", f3, 20_000_000, 3.5, Q_START + dt.timedelta(days=2))
    day = (Q_START + dt.timedelta(days=10)).isoformat()
    import numpy as np

    for bank, contract, kind, dpd in ((a.code, "L2", "overdue", 95), (b.code, "L3", "closure", 0)):
        cols = {
            "event_id": np.array([f"{contract}-1"]),
            "contract_no": np.array([contract]),
            "event_type": np.array([kind]),
            "event_date": np.array([day]),
            "amount": np.array(["0"]),
            "dpd": np.array([str(dpd)]),
        }
        loans.record_events(session, bank_code=bank, columns=cols, lines=np.array([2]), actor=None)
    session.flush()
    return {"f1": f1.uscc}


def test_totals_by_hand(session, case):
    report = effect.compute(session, QUARTER)
    t = report["totals"]
    assert (t["applications"], t["approved"], t["declined"], t["approval_rate"]) == (3, 1, 1, 0.5)
    assert (t["loans"], t["amount"]) == (2, 1_100_000)
    assert t["average_rate"] == round((900_000 * 4.0 + 200_000 * 3.5) / 1_100_000, 4)
    assert (t["outstanding_loans"], t["outstanding_amount"]) == (2, 1_000_000)
    assert (t["npl_loans"], t["npl_amount"], t["npl_ratio"]) == (1, 100_000, 0.1)
    assert report["firms"]["registered"] >= 3 and report["firms"]["consenting"] >= 3


def test_breakdowns_by_hand(session, case):
    by = effect.compute(session, QUARTER)["by"]
    assert (by["bank"]["BANK-A"]["loans"], by["bank"]["BANK-A"]["npl_loans"]) == (1, 1)
    assert (by["bank"]["BANK-B"]["loans"], by["bank"]["BANK-B"]["npl_ratio"]) == (1, None)
    assert by["grade"]["A"]["amount"] == 900_000 and by["grade"]["B"]["npl_amount"] == 100_000
    assert by["grade"]["unrated"]["applications"] == 1
    assert by["region"]["3301"]["loans"] == 2 and by["industry"]["F"]["npl_ratio"] == 1.0


def test_quarter_on_quarter_change(session, case):
    """By hand: the previous quarter had one new loan (L2, ¥100,000 at 5%), no applications, and L2
    outstanding and performing at its end; this quarter has L1 and L3 new, L3 closed, L2 90+ days late."""
    report = effect.compute(session, QUARTER)
    assert report["previous_quarter"] == PREVIOUS
    change = report["change"]
    assert (change["applications"], change["approved"], change["declined"]) == (3, 1, 1)
    assert change["approval_rate"] is None  # nothing was decided in the previous quarter
    assert (change["loans"], change["amount"]) == (1, 1_000_000)
    assert change["average_rate"] == round(round((900_000 * 4.0 + 200_000 * 3.5) / 1_100_000, 4) - 5.0, 4)
    assert (change["outstanding_loans"], change["outstanding_amount"]) == (1, 900_000)
    assert (change["npl_loans"], change["npl_amount"], change["npl_ratio"]) == (1, 100_000, 0.1)


def test_api_formats_and_editions(client, session, case):
    headers, _ = factories.auth(session, "operator")
    first = client.get(f"/api/v1/reports/effect?quarter={QUARTER}", headers=headers)
    assert first.status_code == 200 and first.get_json()["totals"]["loans"] == 2
    csv_resp = client.get(f"/api/v1/reports/effect?quarter={QUARTER}&format=csv", headers=headers)
    assert csv_resp.mimetype == "text/csv" and "dimension,key,applications" in csv_resp.get_data(as_text=True)
    xlsx = client.get(f"/api/v1/reports/effect?quarter={QUARTER}&format=xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[1]][:3] == ["dimension", "key", "applications"]
    assert client.get("/api/v1/reports/effect?quarter=2026Q5", headers=headers).status_code == 422
    officer, _ = factories.auth(session, "bank_officer")
    assert client.get(f"/api/v1/reports/effect?quarter={QUARTER}", headers=officer).status_code == 403


def test_cli(app, session, case, tmp_path):
    out = tmp_path / "r.xlsx"
    result = app.test_cli_runner().invoke(
        args=["report", "effect", "--quarter", QUARTER, "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert load_workbook(out).active.max_row > 3


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("@x", "'@x"),
        ("-2", "'-2"),
        ("ok", "ok"),
        (-2, -2),
        (None, None),
    ],
)
def test_formula_injection_is_neutralised(value, safe):
    assert safe_cell(value) == safe
