"""Scoring firms with the champion: one firm on request (masked for a bank), or a partition of firms in the
batch (:mod:`bank_tax.batch` drives the partitions)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock, faults, store
from bank_tax.categories import CATEGORIES
from bank_tax.consent.mask import require_firm_read
from bank_tax.enterprises.models import Enterprise
from bank_tax.errors import NotFound, Unavailable
from bank_tax.features import pipeline
from bank_tax.features import service as snapshots
from bank_tax.features.models import FeatureSnapshot
from bank_tax.modelling import explain, scale
from bank_tax.modelling.model import ScoringModel
from bank_tax.modelling.models import ScoreRun, ScoreRunPart
from bank_tax.modelling.service import registry
from bank_tax.security.roles import Principal

SCORES = pa.schema(
    [
        ("uscc", pa.string()),
        ("pd", pa.float64()),
        ("points", pa.int64()),
        ("grade", pa.string()),
        ("reasons", pa.string()),
    ]
)


def champion() -> ScoringModel:
    """The champion model, or 503 when none has been trained yet."""
    try:
        return registry().load("champion")
    except NotFound as exc:
        raise Unavailable("评分模型尚未就绪 / no champion scoring model yet (flask --app app model bootstrap)") from exc


def scale_description() -> dict:
    return {
        "points": f"{scale.BASE_POINTS:g} at odds {scale.BASE_ODDS:g}:1, {scale.PDO:g} points to double the odds",
        "range": list(scale.POINTS_RANGE),
        "grades": [{"grade": g, "pd_below": b} for g, b in scale.GRADES],
    }


def reasons_of(model: ScoringModel, x: np.ndarray, k: int = 3) -> list[dict]:
    """The top ``k`` reasons of one feature row, in words, with the PD each would remove."""
    r = model.reasons(x[None, :], k=k)
    out = []
    for j, w in zip(r.index[0], r.weight[0], strict=True):
        if j < 0:
            continue
        name = model.names[j]
        out.append({**explain.describe(name, float(x[j])), "value": float(x[j]), "pd_reduction": float(w)})
    return out


def score_firm(
    session: Session, *, principal: Principal, uscc: str, purpose: str | None = None, as_of: dt.datetime | None = None
) -> dict:
    """A firm's score now: the firm and staff see the full view; a bank sees the score computed only from
    the categories the firm consented to for ``purpose`` (403 without consent; the read is audited)."""
    mask = require_firm_read(
        session, principal=principal, uscc=uscc, purpose=purpose, categories=[], resource=f"score/{uscc}"
    )
    if session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == uscc)) is None:
        raise NotFound("no such enterprise")
    model = champion()
    moment = as_of or clock.now()
    frame = pipeline.compute(session, usccs=[uscc], as_of=moment, mask=mask)
    s = model.score(frame.values)
    used = list(CATEGORIES) if mask is None else [c for c, ok in zip(CATEGORIES, mask.allowed[0], strict=True) if ok]
    return {
        "uscc": uscc,
        "as_of": moment,
        "model_version": model.version,
        "feature_set_version": model.feature_set_version,
        "pd": float(s.pd[0]),
        "points": int(s.points[0]),
        "grade": str(s.grade[0]),
        "categories_used": used,
        "reasons": reasons_of(model, frame.values[0]),
        "scale": scale_description(),
    }


def begin_run(session: Session, *, as_of: dt.datetime, model_version: str) -> ScoreRun:
    """A new score run as of ``as_of`` with its (empty) feature snapshot; partitions fill both."""
    snap = snapshots.begin(session, as_of=as_of)
    run = ScoreRun(as_of=as_of, model_version=model_version, snapshot_id=snap.id, n_firms=0, status="running")
    session.add(run)
    session.flush()
    return run


def score_frame(frame: pipeline.FeatureFrame, model: ScoringModel) -> dict[str, np.ndarray]:
    """PD, points, grade and the top three reason codes (joined by commas) of every row of ``frame``: the
    scoring half of a partition, the same in a pool worker and in a Spark task."""
    s = model.score(frame.values)
    r = model.reasons(frame.values, k=3)
    names = np.array(model.names)
    codes = np.where(r.index >= 0, names[np.maximum(r.index, 0)], "")
    reasons = np.array([",".join(c for c in row if c) for row in codes], dtype=object)
    return {"pd": s.pd, "points": s.points, "grade": s.grade, "reasons": reasons}


def partition_scores(inputs: pipeline.Inputs, model: ScoringModel) -> tuple[pipeline.FeatureFrame, dict]:
    """The partition function of the scoring stage, free of any database: a partition's inputs (read from
    the database here, or from the province export on Spark) to its features and scores."""
    frame = pipeline.derive(inputs)
    return frame, score_frame(frame, model)


def score_partition(session: Session, *, run: ScoreRun, part: int, usccs, model: ScoringModel) -> int:
    """One partition of the scoring stage on this machine: ``usccs``' inputs as of the run's moment, their
    features and scores (:func:`partition_scores`), recorded as part ``part`` of the run; returns the number
    of firms. Nothing is committed here: the runner commits the partition with its checkpoint."""
    frame, scored = partition_scores(pipeline.read(session, usccs=usccs, as_of=run.as_of), model)
    return record_partition(session, run=run, part=part, frame=frame, scored=scored)


def record_partition(session: Session, *, run: ScoreRun, part: int, frame: pipeline.FeatureFrame, scored: dict) -> int:
    """Keep a partition's features as part ``part`` of the run's snapshot and its scores as part ``part`` of
    the run (a Parquet file each; computed here, or by Spark and imported); returns the number of firms.
    Files are written before their rows: a partition rolled back leaves an orphan file, never a row without
    its file."""
    snapshots.add_part(session, session.get(FeatureSnapshot, run.snapshot_id), part, frame)
    table = pa.table(
        {
            "uscc": pa.array(np.asarray(frame.usccs).astype(str), pa.string()),
            "pd": pa.array(np.asarray(scored["pd"], dtype=np.float64)),
            "points": pa.array(np.asarray(scored["points"], dtype=np.int64)),
            "grade": pa.array(np.asarray(scored["grade"]).astype(str), pa.string()),
            "reasons": pa.array(np.asarray(scored["reasons"]).astype(str), pa.string()),
        },
        schema=SCORES,
    )
    stored = store.write(table, store.new_name("scores"))
    faults.checkpoint("scoring.batch")
    session.add(ScoreRunPart(run_id=run.id, part=part, **store.part_columns(stored, frame.usccs)))
    session.flush()
    return int(frame.usccs.shape[0])


def run_scores(session: Session, run_id: int, *, columns: list[str] | None = None, usccs=None) -> pa.Table:
    """A run's scores as one Arrow table (``uscc`` and ``columns``, default all), from its parts in the
    store, each checked against its digest; with ``usccs``, only those firms, reading only the parts whose
    range of codes holds one of them."""
    cols = ["uscc", *[c for c in (columns or SCORES.names) if c != "uscc"]]
    parts = session.scalars(sa.select(ScoreRunPart).where(ScoreRunPart.run_id == run_id).order_by(ScoreRunPart.part))
    wanted = None if usccs is None else np.unique(np.asarray(list(usccs), dtype=str))
    tables = []
    for p in parts:
        if wanted is not None:
            lo = np.searchsorted(wanted, p.first_uscc, side="left")
            hi = np.searchsorted(wanted, p.last_uscc, side="right")
            if hi <= lo:
                continue
        t = store.read(p.path, p.sha256, columns=cols)
        if wanted is not None:
            t = t.filter(pc.is_in(t.column("uscc"), value_set=pa.array(wanted[lo:hi], pa.string())))
        tables.append(t)
    if not tables:
        return pa.schema([SCORES.field(c) for c in cols]).empty_table()
    return pa.concat_tables(tables)


def latest_run_id(session: Session) -> int | None:
    """The newest finished score run."""
    return session.scalar(sa.select(sa.func.max(ScoreRun.id)).where(ScoreRun.status == "done"))


def finish_run(session: Session, run: ScoreRun) -> ScoreRun:
    """Seal the run once every partition is in: its snapshot's digest, its firm count, done."""
    snap = snapshots.finish(session, session.get(FeatureSnapshot, run.snapshot_id))
    run.n_firms, run.status = snap.n_firms, "done"
    session.flush()
    return run


def latest_scores(session: Session, usccs=None) -> dict[str, dict]:
    """The newest stored (unmasked) score of each firm, from the latest run (for staff and matching)."""
    run_id = latest_run_id(session)
    if run_id is None:
        return {}
    t = run_scores(session, run_id, usccs=usccs).to_pydict()
    return {
        u: {"pd": p, "points": pts, "grade": g, "reasons": [c for c in r.split(",") if c]}
        for u, p, pts, g, r in zip(t["uscc"], t["pd"], t["points"], t["grade"], t["reasons"], strict=True)
    }
