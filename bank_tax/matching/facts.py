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
from bank_tax.features.panels import month_range, to_panel
from bank_tax.matching.rules import GRADE_OF_POINTS, Firms
from bank_tax.modelling.model import Scores, ScoringModel


@dataclass
class Facts:
    """The firm table for the rules, plus what a whitelist shows: the features, scores and reasons."""

    firms: Firms
    frame: pipeline.FeatureFrame
    scores: Scores


def _window_sums(panel: np.ndarray) -> np.ndarray:
    """(firms, months) → (firms, months): column w is the sum of the last w + 1 months (missing as 0)."""
    return np.cumsum(np.nan_to_num(panel)[:, ::-1], axis=1)


def gather(session: Session, *, usccs, as_of: dt.datetime, model: ScoringModel, mask: Mask | None = None) -> Facts:
    """Facts of ``usccs`` as known at ``as_of``; with a bank's ``mask`` everything it may not use is hidden
    (features, window sums of tax when tax is not consented) and the PD is the masked one."""
    inputs = pipeline.read(session, usccs=usccs, as_of=as_of)
    frame = pipeline.derive(inputs)
    if mask is not None:
        frame = pipeline.apply_mask(frame, mask)
    usccs = frame.usccs
    vat = to_panel(
        inputs.vat, usccs=usccs, span=month_range(as_of, pipeline.MONTHS), columns=["tax_paid", "taxable_sales"]
    )
    tax_window, sales_window = _window_sums(vat["tax_paid"] / 100), _window_sums(vat["taxable_sales"] / 100)
    consented = None
    if mask is not None:
        consented = pipeline.mask_rows(mask, usccs)
        tax_ok = consented[:, 0]
        tax_window[~tax_ok] = 0.0
        sales_window[~tax_ok] = 0.0
    reg = dict(
        (u, (r, i))
        for u, r, i in session.execute(
            sa.select(Enterprise.uscc, Enterprise.region_code, Enterprise.industry_code).where(
                Enterprise.uscc.in_([str(u) for u in usccs]) if usccs.size <= 2000 else sa.true()
            )
        ).all()
    )
    region = np.array([reg.get(u, ("", ""))[0] for u in usccs], dtype="U6")
    industry = np.array([reg.get(u, ("", ""))[1] for u in usccs], dtype="U4")
    scores = model.score(frame.values)
    grade_points = frame.column("grade_score")
    grade = np.array([GRADE_OF_POINTS.get(g, "") for g in grade_points.tolist()], dtype="U1")
    firms = Firms(
        usccs=usccs,
        region=region,
        industry=industry,
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
