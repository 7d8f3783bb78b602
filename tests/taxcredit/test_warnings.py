"""Warnings for the running year: what happened, what is coming, the deadlines and the repair paths;
the projections and what repairing opens up in matching; the API and who may read it."""

from __future__ import annotations

import datetime as dt

import pytest

from bank_tax import clock
from bank_tax.taxcredit import service
from tests import factories
from tests.taxcredit.helpers import annual_return, arrear, firm, si_arrears, vat_year

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

# 2026's deadlines as the tax bureau published them (税总办征科函〔2025〕64号): Labour Day 1–5 May, so
# April's returns are due on 22 May, not the 15th (5 working days later, art. 109); 31 May is a Sunday,
# so the 2025 annual return is due on Monday 1 June.
NOW = dt.datetime(2026, 5, 18, 9, 0, tzinfo=clock.SHANGHAI)


def _staff():
    from tests.factories import _staff as staff

    return staff()


def test_late_filings_an_upcoming_return_and_statement_and_what_repair_would_open(app, session, champion):
    bank = factories.bank(session)
    factories.product(session, bank.code, "YSD")  # A/B/M grades
    f = firm(session)
    annual_return(session, f.uscc, 2024)
    vat_year(session, f.uscc, 2025)
    vat_year(session, f.uscc, 2026, months=range(1, 4), late={1: 10, 2: 10, 3: 10})  # −15, can be repaired
    si_arrears(session, f.uscc, 2026, [1, 2, 3])  # −6 (2025 rules)
    with app.app_context():
        body = service.credit_warnings(session, principal=_staff(), uscc=f.uscc, now=NOW)

    assert body["year"] == 2026 and body["rule_set"] == "2025"
    assert body["score"] == 79.0 and body["deductions"] == {"late_filing": 15.0, "si_arrear": 6.0}
    by_code = {}
    for w in body["warnings"]:
        by_code.setdefault(w["code"], []).append(w)
    assert len(by_code["late_filing"]) == 3 and all(w["status"] == "happened" for w in by_code["late_filing"])
    assert {w["repair"]["en"].split(" (")[0] for w in by_code["late_filing"]} == {
        "a credit repair restores 60%",  # January's and February's: 31–90 days ago
        "a credit repair restores 80%",  # March's: within 30 days
    }
    (due,) = by_code["filing_due"]  # April's return, due on 22 May (moved from the 15th for Labour Day)
    assert due["status"] == "upcoming" and due["deadline"] == dt.date(2026, 5, 22) and due["severity"] == "high"
    assert due["statutory_deadline"] == dt.date(2026, 5, 15) and "2026-05-22" in due["zh"] and "顺延" in due["zh"]
    assert due["repair"]["deadline"] == dt.date(2026, 5, 25)
    (statement,) = by_code["statement_due"]  # the 2025 annual return: 31 May is a Sunday, so 1 June
    assert statement["deadline"] == dt.date(2026, 6, 1) and statement["points"] == -10.0
    assert statement["statutory_deadline"] == dt.date(2026, 5, 31)
    # doing nothing: 79 − 5 (April late) − 10 (no statement: starts at 90) = 64 → C; repairing: 79 + 10 → B
    assert body["projected_grade"] == "C" and body["projected_grade_if_repaired"] == "B"
    newly = body["what_if"]["newly_eligible"]
    assert [(p["bank_code"], p["product_code"]) for p in newly] == [(bank.code, "YSD")]
    assert body["what_if"]["eligible_as_is"] == []
    assert body["warnings"][0]["severity"] == "high"  # the most urgent first


def test_an_open_arrear_warns_until_the_year_end_and_a_return_within_grace_is_still_saveable(app, session):
    f = firm(session)
    annual_return(session, f.uscc, 2025)
    vat_year(session, f.uscc, 2026, months=range(1, 4))
    arrear(session, f.uscc, 2026, 2)
    with app.app_context():
        body = service.credit_warnings(
            session, principal=_staff(), uscc=f.uscc, now=dt.datetime(2026, 5, 24, 10, tzinfo=clock.SHANGHAI)
        )
    (a,) = [w for w in body["warnings"] if w["code"] == "arrear"]
    assert a["points"] == -5.0 and a["repair"]["deadline"] == dt.date(2026, 12, 31) and "6" in a["repair"]["zh"]
    (overdue,) = [w for w in body["warnings"] if w["code"] == "filing_overdue"]  # April's: due 22 May, 2 days late
    assert overdue["deadline"] == dt.date(2026, 5, 25) and "在3日内补正可全额恢复分数" in overdue["repair"]["zh"]
    assert body["what_if"] is None  # no champion model here: nothing can be priced, the warnings still come


def test_the_api_answers_the_firm_and_staff_only(client, session, champion):
    f = firm(session)
    vat_year(session, f.uscc, 2025)
    own = factories.user(session, "enterprise", uscc=f.uscc)
    url = f"/api/v1/enterprises/{f.uscc}/credit-warnings"
    answer = client.get(url, headers={"Authorization": f"Bearer {factories.token(session, own)}"})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["uscc"] == f.uscc and body["projected_grade"] in "ABMCD" and isinstance(body["warnings"], list)
    officer = factories.user(session, "bank_officer")
    answer = client.get(url, headers={"Authorization": f"Bearer {factories.token(session, officer)}"})
    assert answer.status_code == 403
    missing = client.get(
        "/api/v1/enterprises/91350100M000100Y43/credit-warnings",
        headers={"Authorization": f"Bearer {factories.token(session, factories.user(session, 'operator'))}"},
    )
    assert missing.status_code == 404
