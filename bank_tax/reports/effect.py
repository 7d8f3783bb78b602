"""The quarterly effect report of the 银税互动 programme.

For a quarter: firms registered and consenting, applications, approvals and the approval rate, loans and
amounts disbursed, the average rate (amount-weighted), and non-performing loans at quarter end (90+
days past due by the events known then) with their count, amount and ratio to the outstanding book;
each broken down by tax-credit grade (the latest published by quarter end), region (prefecture), industry
(GB/T 4754 section) and bank; and the change on the previous quarter.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.consent.models import Consent
from bank_tax.enterprises.models import Enterprise
from bank_tax.errors import Invalid
from bank_tax.lending.models import Application, Loan, LoanEvent
from bank_tax.sources.models import CreditGrade

METRICS = (
    "applications",
    "approved",
    "declined",
    "approval_rate",
    "loans",
    "amount",
    "average_rate",
    "outstanding_loans",
    "outstanding_amount",
    "npl_loans",
    "npl_amount",
    "npl_ratio",
)
DIMENSIONS = ("grade", "region", "industry", "bank")


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """'2026Q3' → (first day, last day)."""
    m = re.fullmatch(r"(\d{4})Q([1-4])", quarter)
    if not m or not 1990 <= int(m.group(1)) <= 2100:
        raise Invalid("季度格式应为 YYYYQn / the quarter is written YYYYQn, e.g. 2026Q3", {"quarter": [quarter]})
    year, q = int(m.group(1)), int(m.group(2))
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)) - dt.timedelta(days=1)
    return start, end


def previous_quarter(quarter: str) -> str:
    """The quarter before."""
    year, q = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def current_quarter(today: dt.date | None = None) -> str:
    """The quarter of today's business date (China's: at 2026-12-31T20:00Z it is 2027Q1)."""
    return clock.quarter_of(today or clock.today())


def last_complete_quarter(today: dt.date | None = None) -> str:
    """The latest quarter that has ended by today (China's date)."""
    return previous_quarter(current_quarter(today))


def reporting_deadline(quarter: str) -> dt.date:
    """When the quarter's report is due to the programme: the 25th of the quarter's last month."""
    _, end = quarter_bounds(quarter)
    return end.replace(day=25)


def _firm_dimensions(session: Session, end: dt.date) -> dict[str, dict[str, str]]:
    """For every firm: its grade published by ``end``, prefecture and industry section."""
    firms = {
        u: {"region": r[:4], "industry": i[0], "grade": "unrated"}
        for u, r, i in session.execute(sa.select(Enterprise.uscc, Enterprise.region_code, Enterprise.industry_code))
    }
    grades = session.execute(
        sa.select(CreditGrade.uscc, CreditGrade.grade, CreditGrade.year, CreditGrade.version)
        .where(CreditGrade.evaluated_on <= end)
        .order_by(CreditGrade.year, CreditGrade.version)
    )
    for uscc, grade, _year, _v in grades:  # ordered: the latest published grade wins
        if uscc in firms:
            firms[uscc]["grade"] = grade
    return firms


def _group(rows: list[dict], key: str | None) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault("all" if key is None else r[key], []).append(r)
    return out


def _metrics(apps: list[dict], loans: list[dict]) -> dict:
    approved = sum(a["status"] == "approved" for a in apps)
    declined = sum(a["status"] == "declined" for a in apps)
    new = [x for x in loans if x["new"]]
    amount = sum(x["principal"] for x in new)
    outstanding = [x for x in loans if x["outstanding"]]
    out_amount = sum(x["principal"] for x in outstanding)
    npl = [x for x in outstanding if x["npl"]]
    npl_amount = sum(x["principal"] for x in npl)
    return {
        "applications": sum(a["submitted"] for a in apps),
        "approved": approved,
        "declined": declined,
        "approval_rate": round(approved / (approved + declined), 4) if approved + declined else None,
        "loans": len(new),
        "amount": amount / 100,
        "average_rate": round(sum(x["principal"] * x["rate"] for x in new) / amount, 4) if amount else None,
        "outstanding_loans": len(outstanding),
        "outstanding_amount": out_amount / 100,
        "npl_loans": len(npl),
        "npl_amount": npl_amount / 100,
        "npl_ratio": round(npl_amount / out_amount, 4) if out_amount else None,
    }


def compute(session: Session, quarter: str, *, with_previous: bool = True) -> dict:
    """The report for ``quarter`` (see the module docstring)."""
    start, end = quarter_bounds(quarter)
    start_ts, end_ts = clock.day_start(start), clock.day_end(end)  # the quarter in China's time
    firms = _firm_dimensions(session, end)
    registered = session.scalar(
        sa.select(sa.func.count()).select_from(Enterprise).where(Enterprise.registered_at < end_ts)
    )
    new_firms = session.scalar(
        sa.select(sa.func.count())
        .select_from(Enterprise)
        .where(Enterprise.registered_at >= start_ts, Enterprise.registered_at < end_ts)
    )
    consenting = session.scalar(
        sa.select(sa.func.count(sa.distinct(Consent.uscc))).where(
            Consent.starts_at < end_ts,
            Consent.expires_at >= end_ts,
            sa.or_(Consent.ended_at.is_(None), Consent.ended_at >= end_ts),
        )
    )
    apps = []
    for a in session.execute(
        sa.select(
            Application.uscc,
            Application.bank_code,
            Application.status,
            Application.submitted_at,
            Application.decided_at,
        )
    ):
        submitted = start_ts <= a.submitted_at < end_ts
        decided = a.decided_at is not None and start_ts <= a.decided_at < end_ts
        if submitted or decided:
            dims = firms.get(a.uscc, {"region": "?", "industry": "?", "grade": "unrated"})
            apps.append(
                {**dims, "bank": a.bank_code, "submitted": submitted, "status": a.status if decided else "pending"}
            )
    loan_rows = session.execute(
        sa.select(Loan.id, Loan.uscc, Loan.bank_code, Loan.principal, Loan.rate, Loan.start_date)
        .where(Loan.start_date <= end)
        .order_by(Loan.id)
    ).all()
    ids = np.array([r.id for r in loan_rows], dtype=np.int64)
    dpd = np.zeros(ids.shape[0], dtype=np.int64)
    ended = np.zeros(ids.shape[0], dtype=bool)
    if ids.size:
        ev = session.execute(
            sa.select(LoanEvent.loan_id, LoanEvent.event_type, LoanEvent.dpd, LoanEvent.event_date)
            .where(LoanEvent.event_date <= end)
            .order_by(LoanEvent.event_date, LoanEvent.id)
        ).all()
        if ev:
            ev_loan = np.array([e[0] for e in ev], dtype=np.int64)
            kind = np.array([e[1] for e in ev])
            days = np.array([e[2] for e in ev], dtype=np.int64)
            ended = np.isin(ids, ev_loan[np.isin(kind, ["closure", "write_off"])])
            moves = np.isin(kind, ["overdue", "default"]) | ((kind == "repayment") & (days == 0))
            # events are in date order: the last one that sets days past due stands
            last_loan, last_days = ev_loan[moves][::-1], days[moves][::-1]
            loans_seen, first = np.unique(last_loan, return_index=True)
            known = np.isin(loans_seen, ids)
            dpd[np.searchsorted(ids, loans_seen[known])] = last_days[first][known]
    loans = []
    for i, r in enumerate(loan_rows):
        dims = firms.get(r.uscc, {"region": "?", "industry": "?", "grade": "unrated"})
        loans.append(
            {
                **dims,
                "bank": r.bank_code,
                "principal": r.principal,
                "rate": r.rate,
                "new": r.start_date >= start,
                "outstanding": not ended[i],
                "npl": bool(dpd[i] >= 90),
            }
        )
    report = {
        "quarter": quarter,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "deadline": reporting_deadline(quarter).isoformat(),
        "firms": {"registered": registered, "registered_in_quarter": new_firms, "consenting": consenting},
        "totals": _metrics(apps, loans),
        "by": {
            dim: {
                k: _metrics(_group(apps, dim).get(k, []), v) | {"key": k} for k, v in sorted(_group(loans, dim).items())
            }
            for dim in DIMENSIONS
        },
    }
    for dim in DIMENSIONS:  # keys with applications but no loans
        for k, rows in _group(apps, dim).items():
            report["by"][dim].setdefault(k, _metrics(rows, []) | {"key": k})
    if with_previous:
        prev = compute(session, previous_quarter(quarter), with_previous=False)
        report["previous_quarter"] = prev["quarter"]
        report["change"] = {
            m: (
                None
                if report["totals"][m] is None or prev["totals"][m] is None
                else round(report["totals"][m] - prev["totals"][m], 4)
            )
            for m in METRICS
        }
    return report


def rows(report: dict) -> list[dict]:
    """The report flattened: one row per dimension and key (totals first), for CSV and XLSX."""
    out = [{"dimension": "total", "key": "all", **report["totals"]}]
    for dim in DIMENSIONS:
        for key, metrics in sorted(report["by"][dim].items()):
            out.append({"dimension": dim, "key": key, **{m: metrics[m] for m in METRICS}})
    return out
