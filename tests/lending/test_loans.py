"""Loans and outcome events: disbursement of an approved application, idempotent events, quarantine, labels."""

import datetime as dt
import io

import numpy as np
import pytest

from bank_tax.lending import labels, loans
from bank_tax.lending.models import Loan
from tests import factories
from tests.lending.conftest import apply
from tests.lending.test_applications import APPROVE, _to

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


@pytest.fixture
def approved(client, world):
    app_id = apply(client, world).get_json()["id"]
    _to(client, world, app_id, "approved")
    return app_id


def disburse(client, world, app_id, contract="C-001", **kw):
    body = {
        "application_id": app_id,
        "contract_no": contract,
        "principal": 400000,
        "rate": APPROVE["rate"],
        "start_date": "2025-01-10",
        "maturity_date": "2026-01-10",
    }
    body.update(kw)
    return client.post(f"/api/v1/banks/{world['bank']}/loans", json=body, headers=world["officer"])


def events(client, world, rows):
    return client.post(f"/api/v1/banks/{world['bank']}/loan-events", json={"events": rows}, headers=world["officer"])


def ev(event_id, kind, day, dpd=0, amount=0, contract="C-001"):
    return {
        "event_id": event_id,
        "contract_no": contract,
        "event_type": kind,
        "event_date": day,
        "amount": amount,
        "dpd": dpd,
    }


def test_disbursement_of_an_approved_application(client, world, approved):
    resp = disburse(client, world, approved)
    assert resp.status_code == 201 and resp.get_json()["status"] == "active"
    assert disburse(client, world, approved).status_code == 200  # the same contract again: the same loan
    assert disburse(client, world, approved, principal=1).status_code == 409


def test_only_approved_applications_are_disbursed(client, world):
    app_id = apply(client, world).get_json()["id"]
    assert disburse(client, world, app_id).status_code == 409


def test_history_back_fill_needs_firm_and_product(client, world):
    resp = disburse(client, world, None, uscc=world["uscc"], product_code="YSD", contract="H-1")
    assert resp.status_code == 201
    missing = disburse(client, world, None, contract="H-2")
    assert missing.status_code == 422 and "application_id" in missing.get_json()["errors"]


def test_events_move_the_loan_and_are_idempotent(client, world, approved):
    disburse(client, world, approved)
    batch = [
        ev("E1", "disbursement", "2025-01-10", amount=400000),
        ev("E2", "overdue", "2025-03-11", dpd=30),
        ev("E3", "repayment", "2025-03-20", amount=2000),
    ]
    first = events(client, world, batch).get_json()
    assert (first["inserted"], first["duplicate"], first["rejected"]) == (3, 0, 0)
    again = events(client, world, batch).get_json()
    assert (again["inserted"], again["duplicate"]) == (0, 3)
    [loan] = client.get(f"/api/v1/banks/{world['bank']}/loans", headers=world["officer"]).get_json()
    assert loan["dpd"] == 0 and loan["dpd_bucket"] == "current"
    events(client, world, [ev("E4", "overdue", "2025-06-11", dpd=95), ev("E5", "write_off", "2025-12-01")])
    [loan] = client.get(f"/api/v1/banks/{world['bank']}/loans", headers=world["officer"]).get_json()
    assert loan["status"] == "written_off" and loan["dpd_bucket"] == "90+"


def test_bad_events_are_quarantined_while_good_ones_land(client, world, approved):
    disburse(client, world, approved)
    report = events(
        client,
        world,
        [ev("E1", "repayment", "2025-02-10", amount=100), ev("E2", "repayment", "2025-02-10", contract="NO-SUCH")],
    ).get_json()
    assert (report["inserted"], report["rejected"]) == (1, 1)
    assert report["rejections"][0] == {"line": 2, "field": "contract_no", "reason": report["rejections"][0]["reason"]}
    conflict = events(client, world, [ev("E1", "repayment", "2025-02-10", amount=999)]).get_json()
    assert conflict["rejected"] == 1 and conflict["rejections"][0]["field"] == "event_id"


def test_event_file_with_line_numbers(client, world, approved):
    disburse(client, world, approved)
    data = (
        b"event_id,contract_no,event_type,event_date,amount,dpd\n"
        b"F1,C-001,repayment,2025-02-10,100.00,0\n"
        b"F2,C-001,exploded,2025-02-10,100.00,0\n"
        b"F3,C-001,overdue,2025-13-01,0,30\n"
    )
    resp = client.post(
        f"/api/v1/banks/{world['bank']}/loan-events/file",
        headers=world["officer"],
        data={"file": (io.BytesIO(data), "events.csv")},
        content_type="multipart/form-data",
    )
    report = resp.get_json()
    assert (report["inserted"], report["rejected"]) == (1, 2)
    assert [(r["line"], r["field"]) for r in report["rejections"]] == [(3, "event_type"), (4, "event_date")]


def test_banks_cannot_touch_each_others_loans(client, session, world, approved):
    disburse(client, world, approved)
    other = factories.bank(session)
    officer, _ = factories.auth(session, "bank_officer", bank_code=other.code)
    assert client.get(f"/api/v1/banks/{world['bank']}/loans", headers=officer).status_code == 403
    resp = client.post(
        f"/api/v1/banks/{other.code}/loan-events",
        headers=officer,
        json={"events": [ev("X", "repayment", "2025-02-01")]},
    )
    assert resp.get_json()["rejected"] == 1  # their bank has no such contract: nothing of ours is reachable


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (61, "61-90"), (90, "61-90"), (91, "90+")],
)
def test_dpd_buckets(dpd, bucket):
    assert loans.dpd_bucket(dpd) == bucket


def _loan(session, world, contract, start, product_id):
    loan = Loan(
        bank_code=world["bank"],
        contract_no=contract,
        uscc=world["uscc"],
        product_id=product_id,
        principal=100,
        rate=3.5,
        start_date=start,
        maturity_date=start + dt.timedelta(days=365),
    )
    session.add(loan)
    session.flush()
    return loan


def test_labels_on_hand_made_histories(session, world):
    import sqlalchemy as sa

    from bank_tax.lending.models import LoanEvent
    from bank_tax.products.models import Product

    pid = session.scalar(sa.select(Product.id).where(Product.bank_code == world["bank"]))
    cured = _loan(session, world, "cured", dt.date(2024, 1, 15), pid)
    written = _loan(session, world, "written", dt.date(2024, 1, 15), pid)
    late_default = _loan(session, world, "late", dt.date(2024, 1, 15), pid)
    young = _loan(session, world, "young", dt.date(2025, 3, 1), pid)
    young_bad = _loan(session, world, "young-bad", dt.date(2025, 3, 1), pid)
    for loan, kind, day, dpd in [
        (cured, "overdue", "2024-05-01", 60),
        (cured, "repayment", "2024-06-01", 0),
        (written, "overdue", "2024-07-01", 30),
        (written, "write_off", "2024-11-01", 0),
        (late_default, "overdue", "2025-02-20", 95),  # after the 12-month horizon
        (young_bad, "default", "2025-06-01", 91),
    ]:
        session.add(
            LoanEvent(
                bank_code=world["bank"],
                event_id=f"{loan.contract_no}-{day}",
                loan_id=loan.id,
                event_type=kind,
                event_date=dt.date.fromisoformat(day),
                dpd=dpd,
            )
        )
    session.flush()
    result = labels.derive(session, observation=dt.date(2025, 7, 1))
    got = dict(
        zip(result.loan_id.tolist(), zip(result.label.tolist(), result.mature.tolist(), strict=True), strict=True)
    )
    assert got[cured.id] == (0, True)  # cured delinquency below 90 days: not a default
    assert got[written.id] == (1, True)  # write-off within the horizon
    assert got[late_default.id] == (0, True)  # 90+ only after 12 months: outside the horizon
    assert got[young.id] == (-1, False)  # immature, nothing known yet
    assert got[young_bad.id] == (1, False)  # immature but already defaulted
    earlier = labels.derive(session, observation=dt.date(2025, 5, 1))  # point in time: the default is not known yet
    assert dict(zip(earlier.loan_id.tolist(), earlier.label.tolist(), strict=True))[young_bad.id] == -1
    assert np.array_equal(
        labels.add_months(np.array(["2024-01-31"], dtype="datetime64[D]"), 1),
        np.array(["2024-02-29"], dtype="datetime64[D]"),
    )
