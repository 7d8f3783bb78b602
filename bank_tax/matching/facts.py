"""The firm facts matching needs, read and computed for many firms at once (optionally through a bank's
consent mask): registry fields, the catalogue's features, window sums for limits, and the champion's PD."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.consent.mask import Mask
from bank_tax.enterprises.models import Enterprise
from bank_tax.features import pipeline
from bank_tax.features.panels import firm_filter, month_range, to_panel
from bank_tax.matching.rules import GRADE_OF_POINTS, Firms
from bank_tax.modelling.model import Scores, ScoringModel


@dataclass
class Facts:
    """The firm table for the rules, plus what a whitelist shows: the features, scores and reasons."""

    firms: Firms
    frame: pipeline.FeatureFrame
    scores: Scores


@dataclass
class Shared:
    """What matching reads and computes of some firms before any bank's consent applies: read once per
    partition of firms and used for every bank (each bank's mask applies to the same features)."""

    frame: pipeline.FeatureFrame  # unmasked
    region: np.ndarray
    industry: np.ndarray
    tax_window: np.ndarray  # (firms, months): column w is the tax paid in the last w + 1 months
    sales_window: np.ndarray


def _window_sums(panel: np.ndarray) -> np.ndarray:
    """(firms, months) → (firms, months): column w is the sum of the last w + 1 months (missing as 0)."""
    return np.cumsum(np.nan_to_num(panel)[:, ::-1], axis=1)


def shared(session: Session, *, usccs, as_of: dt.datetime) -> Shared:
    """The reads and unmasked features of ``usccs`` as known at ``as_of``."""
    inputs = pipeline.read(session, usccs=usccs, as_of=as_of)
    frame = pipeline.derive(inputs)
    usccs = frame.usccs
    vat = to_panel(
        inputs.vat, usccs=usccs, span=month_range(as_of, pipeline.MONTHS), columns=["tax_paid", "taxable_sales"]
    )
    stmt = sa.select(Enterprise.uscc, Enterprise.region_code, Enterprise.industry_code)
    if firm_filter(usccs) == "list":
        stmt = stmt.where(Enterprise.uscc.in_(usccs.tolist()))
    elif usccs.size:
        stmt = stmt.where(Enterprise.uscc.between(str(usccs[0]), str(usccs[-1])))
    reg = {u: (r, i) for u, r, i in session.execute(stmt).all()}
    return Shared(
        frame=frame,
        region=np.array([reg.get(u, ("", ""))[0] for u in usccs.tolist()], dtype="U6"),
        industry=np.array([reg.get(u, ("", ""))[1] for u in usccs.tolist()], dtype="U4"),
        tax_window=_window_sums(vat["tax_paid"] / 100),
        sales_window=_window_sums(vat["taxable_sales"] / 100),
    )


def facts(base: Shared, *, model: ScoringModel, mask: Mask | None = None, rows: np.ndarray | None = None) -> Facts:
    """The facts of ``base``'s firms (or those at ``rows``); with a bank's ``mask`` everything it may not use
    is hidden (features, window sums of tax when tax is not consented) and the PD is the masked one."""
    pick = slice(None) if rows is None else rows
    frame = pipeline.FeatureFrame(usccs=base.frame.usccs[pick], names=base.frame.names, values=base.frame.values[pick])
    tax_window, sales_window = base.tax_window[pick].copy(), base.sales_window[pick].copy()
    consented = None
    if mask is not None:
        frame = pipeline.apply_mask(frame, mask)
        consented = pipeline.mask_rows(mask, frame.usccs)
        tax_window[~consented[:, 0]] = 0.0
        sales_window[~consented[:, 0]] = 0.0
    scores = model.score(frame.values)
    grade = np.array([GRADE_OF_POINTS.get(g, "") for g in frame.column("grade_score").tolist()], dtype="U1")
    firms = Firms(
        usccs=frame.usccs,
        region=base.region[pick],
        industry=base.industry[pick],
        tax_grade=grade,
        months_operating=frame.column("months_operating"),
        tax_12m=frame.column("tax_paid_12m"),
        sales_12m=frame.column("sales_12m"),
        blacklisted=np.nan_to_num(frame.column("blacklisted")) > 0,
        redlisted=np.nan_to_num(frame.column("redlisted")) > 0,
        open_arrears=frame.column("open_arrears"),
        pd=scores.pd,
        tax_window=tax_window,
        sales_window=sales_window,
        consented=consented,
    )
    return Facts(firms=firms, frame=frame, scores=scores)


def gather(session: Session, *, usccs, as_of: dt.datetime, model: ScoringModel, mask: Mask | None = None) -> Facts:
    """Facts of ``usccs`` as known at ``as_of``, through a bank's ``mask`` when given (:func:`facts`)."""
    return facts(shared(session, usccs=usccs, as_of=as_of), model=model, mask=mask)
