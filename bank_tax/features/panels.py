"""Dense firm × month panels of agency records, exactly as they were known at an as-of moment.

A panel holds, for the firms asked about and the ``months`` calendar months ending with the last full
month before ``as_of``, one float64 matrix per column (NaN where no record). Only records received by
``as_of`` count, each at the latest version known then, and records under dispute then are left out.
This is the one shape the feature pipeline computes on: windows become slices and cumulative sums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.sources.service import current_versions, open_disputes
from bank_tax.sources.specs import Source


@dataclass(frozen=True)
class Panel:
    """Firms (sorted), the months covered, and one (firms × months) matrix per column."""

    usccs: np.ndarray
    months: np.ndarray  # datetime64[M], oldest first
    values: dict[str, np.ndarray]

    def __getitem__(self, column: str) -> np.ndarray:
        return self.values[column]


def month_range(as_of: dt.datetime, months: int) -> np.ndarray:
    """The ``months`` calendar months ending with the last full month before ``as_of``."""
    last = np.datetime64(as_of.date(), "M") - 1
    return np.arange(last - months + 1, last + 1)


def _numeric(values: list, kind: str) -> np.ndarray:
    if kind == "date":
        days = np.array(values, dtype="datetime64[D]")
        return np.where(np.isnat(days), np.nan, days.astype(np.int64).astype(np.float64))
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def monthly(
    session: Session,
    *,
    source: Source,
    columns: list[str],
    usccs: np.ndarray,
    as_of: dt.datetime,
    months: int = 36,
    where=None,
) -> Panel:
    """A panel of ``columns`` of a monthly source (keyed by uscc and period) as known at ``as_of``.

    Date columns come as day numbers (days since 1970-01-01). ``where`` narrows rows further (e.g. one
    utility), given the subquery of current versions.
    """
    usccs = np.unique(np.asarray(usccs, dtype="U18"))
    span = month_range(as_of, months)
    first, last = span[0].astype("datetime64[D]").item(), span[-1].astype("datetime64[D]").item()
    q = current_versions(source, as_of=as_of, usccs=usccs, period=(first, last)).subquery()
    kinds = {f.name: f.kind for f in source.fields}
    stmt = sa.select(q.c.uscc, q.c.period, *[q.c[c] for c in columns]).where(
        q.c.id.not_in(open_disputes(source, as_of=as_of))
    )
    if where is not None:
        stmt = stmt.where(where(q))
    rows = session.execute(stmt).all()
    values = {c: np.full((usccs.shape[0], months), np.nan) for c in columns}
    if rows and usccs.size:
        cols = list(zip(*rows, strict=True))
        codes = np.array(cols[0], dtype="U18")
        firm = np.searchsorted(usccs, codes)
        firm = np.minimum(firm, usccs.shape[0] - 1)
        keep = usccs[firm] == codes
        month = (np.array(cols[1], dtype="datetime64[D]").astype("datetime64[M]") - span[0]).astype(np.int64)
        for c, col in zip(columns, cols[2:], strict=True):
            values[c][firm[keep], month[keep]] = _numeric(list(col), kinds.get(c, ""))[keep]
    return Panel(usccs=usccs, months=span, values=values)
