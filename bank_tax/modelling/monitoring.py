"""Watching a model in use: population stability over time, performance by vintage and by grade.

Plain functions over arrays and the stored score runs; the monitoring notebook and the analysts'
dashboard call them, so the numbers on a chart and in a report are computed once, here.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.modelling import metrics, scale, scoring
from bank_tax.modelling.models import ScoreRun


def quarters(days: np.ndarray) -> np.ndarray:
    """'2025Q3' labels of dates."""
    months = np.asarray(days, dtype="datetime64[M]").astype(np.int64)
    return np.array([f"{m // 12 + 1970}Q{m % 12 // 3 + 1}" for m in months])


def psi_by_period(X: np.ndarray, names, periods: np.ndarray, reference: np.ndarray) -> dict[str, dict[str, float]]:
    """PSI of every feature in each period against the ``reference`` rows (e.g. the training vintages)."""
    out: dict[str, dict[str, float]] = {}
    for period in np.unique(periods):
        rows = periods == period
        out[str(period)] = {n: metrics.psi(X[reference, j], X[rows, j]) for j, n in enumerate(names)}
    return out


def by_group(y: np.ndarray, p: np.ndarray, groups: np.ndarray) -> list[dict]:
    """Loans, defaults, default rate, mean PD and AUC per group (vintage quarter, grade, …)."""
    rows = []
    for g in np.unique(groups):
        sel = groups == g
        s = metrics.summary(y[sel], p[sel])
        rows.append({"group": str(g), **s})
    return rows


def by_risk_grade(y: np.ndarray, p: np.ndarray) -> list[dict]:
    """Default rate against predicted PD per risk grade, in grade order."""
    grades = scale.grades(p)
    order = {g: i for i, (g, _) in enumerate(scale.GRADES)}
    return sorted(by_group(y, p, grades), key=lambda r: order[r["group"]])


def approvals_by_grade(session: Session) -> list[dict]:
    """Decided applications per risk grade of the firm's latest stored score: approved, declined, rate."""
    from bank_tax.lending.models import Application

    run_id = scoring.latest_run_id(session)
    if run_id is None:
        return []
    decided = session.execute(
        sa.select(Application.uscc, Application.status).where(Application.status.in_(["approved", "declined"]))
    ).all()
    grade_of = _grades(session, run_id, {u for u, _ in decided})
    counts = Counter((grade_of[u], status) for u, status in decided if u in grade_of)
    rows = [(g, s, n) for (g, s), n in counts.items()]
    out = []
    for grade, _ in scale.GRADES:
        approved = sum(n for g, s, n in rows if g == grade and s == "approved")
        declined = sum(n for g, s, n in rows if g == grade and s == "declined")
        if approved or declined:
            out.append(
                {"grade": grade, "approved": approved, "declined": declined, "rate": approved / (approved + declined)}
            )
    return out


def score_runs(session: Session) -> list[dict]:
    """Every stored batch scoring, oldest first: when, which model, how many firms, the grade mix."""
    runs = session.scalars(sa.select(ScoreRun).where(ScoreRun.status == "done").order_by(ScoreRun.id)).all()
    out = []
    for r in runs:
        grades = scoring.run_scores(session, r.id, columns=["grade"]).column("grade").to_numpy(zero_copy_only=False)
        mix = dict(Counter(grades.tolist()))
        out.append(
            {"run_id": r.id, "as_of": r.as_of, "model_version": r.model_version, "firms": r.n_firms, "grades": mix}
        )
    return out


def score_psi_over_runs(session: Session) -> list[dict]:
    """PSI of each run's PD distribution against the first run's (is the scored population drifting?)."""
    rows = session.execute(
        sa.select(ScoreRun.id, ScoreRun.as_of).where(ScoreRun.status == "done").order_by(ScoreRun.id)
    ).all()
    if not rows:
        return []
    first = _pds(session, rows[0][0])
    out = []
    for run_id, as_of in rows:
        pds = _pds(session, run_id)
        out.append({"run_id": run_id, "as_of": as_of, "psi": metrics.psi(first, pds), "mean_pd": float(pds.mean())})
    return out


def last_run_psi(session: Session) -> float | None:
    """PSI of the newest finished run's PD distribution against the first run's (None before any run):
    the one drift figure the metrics carry."""
    first, last = session.execute(
        sa.select(sa.func.min(ScoreRun.id), sa.func.max(ScoreRun.id)).where(ScoreRun.status == "done")
    ).one()
    if first is None:
        return None
    return float(metrics.psi(_pds(session, first), _pds(session, last)))


def loan_outcomes(session: Session) -> list[dict]:
    """Default rate of booked loans by vintage (quarter of the start date) and by the firm's risk grade in
    the latest score run. A loan counts as defaulted once the bank reported a default or write-off.

    The grade is today's, not the one at origination (applications keep their own snapshot): it answers
    "where do the loans we hold sit now", which is what the dashboard shows beside the score drift."""
    from bank_tax.lending.models import Loan, LoanEvent

    bad = (
        sa.select(LoanEvent.loan_id)
        .where(LoanEvent.event_type.in_(["default", "write_off"]))
        .group_by(LoanEvent.loan_id)
        .subquery()
    )
    run_id = scoring.latest_run_id(session)
    stmt = sa.select(Loan.start_date, bad.c.loan_id.is_not(None), Loan.uscc).outerjoin(bad, bad.c.loan_id == Loan.id)
    loans = session.execute(stmt).all()
    grade_of = _grades(session, run_id, {u for _, _, u in loans}) if run_id is not None else {}
    rows = [(start, defaulted, grade_of.get(u)) for start, defaulted, u in loans]
    out = []
    for kind, key in (("vintage", lambda r: f"{r[0].year}Q{(r[0].month - 1) // 3 + 1}"), ("grade", lambda r: r[2])):
        groups: dict[str, list[bool]] = {}
        for r in rows:
            if key(r) is not None:
                groups.setdefault(key(r), []).append(bool(r[1]))
        for group in sorted(groups):
            n, d = len(groups[group]), sum(groups[group])
            out.append({"by": kind, "group": group, "loans": n, "defaults": d, "rate": d / n})
    return out


def _grades(session: Session, run_id: int, usccs: set[str]) -> dict[str, str]:
    """The grade of each of ``usccs`` in the run (firms it did not score are left out)."""
    if not usccs:
        return {}
    t = scoring.run_scores(session, run_id, columns=["grade"], usccs=usccs).to_pydict()
    return dict(zip(t["uscc"], t["grade"], strict=True))


def _pds(session: Session, run_id: int) -> np.ndarray:
    """Every PD of the run, in firm order."""
    return scoring.run_scores(session, run_id, columns=["pd"]).column("pd").to_numpy()
