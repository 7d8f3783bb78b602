"""The default label every model learns from — one documented function.

For an observation date T, a loan is a **default** when, within ``horizon_months`` (12) of its start, an
event known by T shows ``dpd_threshold`` (90) or more days past due, a ``default`` or a ``write_off``.
A loan is **mature** when its horizon ended by T; an immature loan that already defaulted is labelled
(its outcome is known), an immature loan without a default is not (``label`` -1: not yet known). Cured
delinquency below the threshold is not a default. Only events dated by T count (point in time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.lending.models import Loan, LoanEvent


@dataclass(frozen=True)
class Labels:
    """Columns, one row per loan: id, firm, start, whether mature at T, and the label (1, 0, or -1 unknown)."""

    loan_id: np.ndarray
    uscc: np.ndarray
    start_date: np.ndarray
    mature: np.ndarray
    label: np.ndarray


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Each day plus whole months, clamped to the target month's last day (31 Jan + 1 month = 28/29 Feb)."""
    days = np.asarray(days, dtype="datetime64[D]")
    month = days.astype("datetime64[M]")
    offset = days - month.astype("datetime64[D]")
    target = month + months
    last = (target + 1).astype("datetime64[D]") - target.astype("datetime64[D]") - 1
    return target.astype("datetime64[D]") + np.minimum(offset, last)


def derive(session: Session, *, observation: dt.date, horizon_months: int = 12, dpd_threshold: int = 90) -> Labels:
    """Labels of every loan started by ``observation`` (see the module docstring for the rules)."""
    loans = session.execute(
        sa.select(Loan.id, Loan.uscc, Loan.start_date).where(Loan.start_date <= observation).order_by(Loan.id)
    ).all()
    if not loans:
        empty = np.array([], dtype=np.int64)
        return Labels(empty, np.array([], dtype="U18"), np.array([], dtype="datetime64[D]"), empty.astype(bool), empty)
    ids = np.array([r[0] for r in loans], dtype=np.int64)
    starts = np.array([r[2] for r in loans], dtype="datetime64[D]")
    ends = add_months(starts, horizon_months)
    bad = sa.or_(LoanEvent.dpd >= dpd_threshold, LoanEvent.event_type.in_(["default", "write_off"]))
    events = session.execute(
        sa.select(LoanEvent.loan_id, LoanEvent.event_date).where(bad, LoanEvent.event_date <= observation)
    ).all()
    defaulted = np.zeros(ids.shape[0], dtype=bool)
    if events:
        ev_loan = np.array([e[0] for e in events], dtype=np.int64)
        ev_date = np.array([e[1] for e in events], dtype="datetime64[D]")
        pos = np.searchsorted(ids, ev_loan)
        inside = ev_date < ends[pos]
        defaulted[pos[inside]] = True
    mature = ends <= np.datetime64(observation, "D")
    label = np.where(defaulted, 1, np.where(mature, 0, -1)).astype(np.int64)
    return Labels(ids, np.array([r[1] for r in loans]), starts, mature, label)
