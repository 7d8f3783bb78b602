"""The platform's training set: every matured loan with its firm's features as they were known before
the loan was applied for.

Labels come from :func:`bank_tax.lending.labels.derive` (one documented definition). A loan's features
are computed **as of the first day of the month its application was made**: the application's own date
when the loan links one, otherwise fifteen days before the loan's start (an application precedes its
loan by under two weeks). The first of that month is never after the application, so no record received
after the decision can leak in; computing month by month lets one pipeline call serve all loans of a
month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tqdm import tqdm

from bank_tax import clock
from bank_tax.features import pipeline
from bank_tax.features.catalogue import CATALOGUE, FEATURE_SET_VERSION, NAMES
from bank_tax.lending import labels as lending_labels
from bank_tax.lending.models import Application, Loan
from bank_tax.sources.service import PUSHDOWN_FIRMS

APPLICATION_LEAD_DAYS = 15
CHUNK_FIRMS = PUSHDOWN_FIRMS  # firms per read: the most a read names by list (beyond, it reads a range)


@dataclass(frozen=True)
class Dataset:
    """One row per labelled loan: features (catalogue order), label, and where the row came from."""

    loan_id: np.ndarray
    uscc: np.ndarray
    start_date: np.ndarray  # datetime64[D]
    as_of: np.ndarray  # datetime64[D]: the moment the features were computed at
    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...] = NAMES

    @property
    def directions(self) -> np.ndarray:
        return np.array([f.direction for f in CATALOGUE], dtype=np.int64)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(f.category for f in CATALOGUE)

    def frame(self):
        """The dataset as a pandas DataFrame (for notebooks; pandas is imported only here)."""
        import pandas as pd

        df = pd.DataFrame(self.X, columns=list(self.names))
        df.insert(0, "default", self.y)
        df.insert(0, "as_of", self.as_of)
        df.insert(0, "start_date", self.start_date)
        df.insert(0, "uscc", self.uscc)
        df.insert(0, "loan_id", self.loan_id)
        return df


def feature_moment(start: np.ndarray, applied: np.ndarray) -> np.ndarray:
    """The day each loan's features are computed as of (see the module docstring)."""
    start = np.asarray(start, dtype="datetime64[D]")
    applied = np.asarray(applied, dtype="datetime64[D]")
    basis = np.where(np.isnat(applied), start - APPLICATION_LEAD_DAYS, applied)
    return basis.astype("datetime64[M]").astype("datetime64[D]")


def build(session: Session, *, observation: dt.date, horizon_months: int = 12, progress: bool = False) -> Dataset:
    """The loans whose 12-month outcome is known at ``observation`` (mature) and their point-in-time
    features. Immature loans are left out even when they already defaulted: only the defaults of a
    young vintage are known, so keeping them would teach the model too high a default rate."""
    lab = lending_labels.derive(session, observation=observation, horizon_months=horizon_months)
    keep = lab.mature  # an immature loan is labelled only once it defaulted: keeping those would bias PDs up
    ids = lab.loan_id[keep]
    applied_rows = dict(
        session.execute(
            sa.select(Loan.id, Application.submitted_at)
            .join(Application, Application.id == Loan.application_id)
            .where(Loan.id.in_([int(i) for i in ids]) if ids.size <= 5000 else sa.true())
        ).all()
    )
    applied = np.array(
        [clock.business_date(applied_rows[i]) if i in applied_rows else None for i in ids],
        dtype="datetime64[D]",
    )
    moment = feature_moment(lab.start_date[keep], applied)
    usccs = lab.uscc[keep].astype("U18")
    X = np.full((ids.shape[0], len(NAMES)), np.nan)
    months = np.unique(moment)
    for day in tqdm(months, desc="features per application month", unit="month", disable=not progress):
        rows = np.nonzero(moment == day)[0]
        rows = rows[np.argsort(usccs[rows], kind="stable")]
        at = clock.day_start(day.item())
        # a few thousand firms at a time, each read by its list of codes: memory stays that of one chunk
        # however many loans a month has, and no chunk reads the firms between its codes
        for lo in range(0, rows.size, CHUNK_FIRMS):
            chunk = rows[lo : lo + CHUNK_FIRMS]
            frame = pipeline.compute(session, usccs=usccs[chunk], as_of=at)
            X[chunk] = frame.values[np.searchsorted(frame.usccs, usccs[chunk])]
    return Dataset(
        loan_id=ids,
        uscc=usccs,
        start_date=lab.start_date[keep],
        as_of=moment,
        X=X,
        y=lab.label[keep],
    )


def describe(data: Dataset) -> dict:
    """What the model card says about the data: window, counts, feature-set version."""
    return {
        "loans": int(data.y.shape[0]),
        "defaults": int(data.y.sum()),
        "first_start": str(data.start_date.min()) if data.y.size else None,
        "last_start": str(data.start_date.max()) if data.y.size else None,
        "feature_set_version": FEATURE_SET_VERSION,
        "label": "90+ days past due, default or write-off within 12 months of the start (lending.labels)",
        "features_as_of": "first day of the application month (modelling.dataset)",
    }
