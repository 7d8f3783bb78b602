"""Results computed elsewhere (the Spark job over a province export) recorded as a score run, exactly as
the process pool would have recorded them: a feature snapshot with one part per partition, and a score per
firm. Refused whole when a partition is missing or holds other firms than the export sent out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.dataset as ds
from sqlalchemy.orm import Session

from bank_tax.batch import export
from bank_tax.errors import Conflict
from bank_tax.features.catalogue import NAMES
from bank_tax.features.pipeline import FeatureFrame
from bank_tax.modelling import scoring
from bank_tax.modelling.models import ScoreRun

SCORES = ("pd", "points", "grade", "reasons")


def import_scores(session: Session, results: str | Path, export_dir: str | Path) -> ScoreRun:
    """Record the results at ``results`` (Parquet by ``part``, as :mod:`bank_tax.batch.spark` writes them) of
    the export at ``export_dir`` as a new, finished score run (in ``session``: the caller commits)."""
    manifest = export.read_manifest(export_dir)
    table = ds.dataset(str(results), format="parquet", partitioning="hive").to_table()
    run = scoring.begin_run(
        session, as_of=dt.datetime.fromisoformat(manifest["as_of"]), model_version=manifest["model"]["version"]
    )
    for p in manifest["parts"]:
        rows = table.filter(pc.equal(table.column("part"), p["part"])).sort_by("uscc")
        usccs = np.asarray(rows.column("uscc").to_numpy(zero_copy_only=False), dtype="U18")
        if len(usccs) != p["firms"] or (len(usccs) and (usccs[0] != p["first_uscc"] or usccs[-1] != p["last_uscc"])):
            raise Conflict(f"the results of part {p['part']} are not the firms the export sent ({len(usccs)} rows)")
        values = np.column_stack([rows.column(n).to_numpy() for n in NAMES]).reshape(len(usccs), len(NAMES))
        frame = FeatureFrame(usccs=usccs, names=NAMES, values=values)
        scored = {c: rows.column(c).to_numpy(zero_copy_only=False) for c in SCORES}
        scoring.record_partition(session, run=run, part=p["part"], frame=frame, scored=scored)
    return scoring.finish_run(session, run)
