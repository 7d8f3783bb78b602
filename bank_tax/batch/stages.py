"""The stages of the daily batch. A stage says what makes two runs the same (its key), what a run holds
before its first partition (begin), what one partition does (its domain's partition function), and how a
run is sealed once every partition is in (finish)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import metrics, store
from bank_tax.batch import export
from bank_tax.batch.models import BatchPartition, BatchRun
from bank_tax.features import exchange, pipeline
from bank_tax.features import service as snapshots
from bank_tax.features.catalogue import FEATURE_SET_VERSION
from bank_tax.features.models import FeatureSnapshot
from bank_tax.matching import build
from bank_tax.modelling import monitoring, scoring
from bank_tax.modelling.models import ScoreRun
from bank_tax.modelling.service import registry
from bank_tax.sources import history
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit import push


@dataclass(frozen=True)
class Scores:
    """Features of every firm as of the moment (a snapshot, one Parquet part per partition), scored by
    the champion, with their reasons (one score run)."""

    name: str = "scores"

    def key(self, session: Session, params: dict) -> str:
        return scoring.champion().version

    def begin(self, session: Session, run: BatchRun, params: dict) -> None:
        score_run = scoring.begin_run(session, as_of=run.as_of, model_version=run.key)
        run.snapshot_id, run.score_run_id = score_run.snapshot_id, score_run.id

    def partition(self, session: Session, run: BatchRun, part: int, usccs: list[str]) -> int:
        # the run's own model (its key), not whatever is champion now: a promotion mid-run must not mix two
        score_run = session.get(ScoreRun, run.score_run_id)
        model = registry().load(score_run.model_version)
        return scoring.score_partition(session, run=score_run, part=part, usccs=usccs, model=model)

    def finish(self, session: Session, run: BatchRun, params: dict) -> None:
        scoring.finish_run(session, session.get(ScoreRun, run.score_run_id))
        psi = monitoring.last_run_psi(session)
        if psi is not None:
            metrics.SCORE_PSI.set(psi)


@dataclass(frozen=True)
class Features:
    """Every firm's features as of the moment, unmasked: one snapshot, a Parquet part per partition."""

    name: str = "features"

    def key(self, session: Session, params: dict) -> str:
        return FEATURE_SET_VERSION

    def begin(self, session: Session, run: BatchRun, params: dict) -> None:
        run.snapshot_id = snapshots.begin(session, as_of=run.as_of).id

    def partition(self, session: Session, run: BatchRun, part: int, usccs: list[str]) -> int:
        frame = pipeline.compute(session, usccs=usccs, as_of=run.as_of)
        snapshots.add_part(session, session.get(FeatureSnapshot, run.snapshot_id), part, frame)
        return len(usccs)

    def finish(self, session: Session, run: BatchRun, params: dict) -> None:
        snapshots.finish(session, session.get(FeatureSnapshot, run.snapshot_id))


@dataclass(frozen=True)
class Export:
    """The province export (:mod:`bank_tax.batch.export`): every partition's inputs as of the moment and
    the champion to score them, for the Spark job and for analysts. Keyed, like scores, by the champion."""

    name: str = "export"

    def key(self, session: Session, params: dict) -> str:
        return scoring.champion().version

    def begin(self, session: Session, run: BatchRun, params: dict) -> None:
        pass

    def partition(self, session: Session, run: BatchRun, part: int, usccs: list[str]) -> int:
        inputs = pipeline.read(session, usccs=usccs, as_of=run.as_of)
        store.write(exchange.inputs_table(inputs), export.part_path(run.id, part))
        return len(usccs)

    def finish(self, session: Session, run: BatchRun, params: dict) -> None:
        version, path, sha256 = registry().file_of(run.key)
        parts = session.scalars(
            sa.select(BatchPartition).where(BatchPartition.run_id == run.id).order_by(BatchPartition.part)
        )
        export.write_manifest(
            run.id,
            {
                "batch_run_id": run.id,
                "as_of": run.as_of.isoformat(),
                "model": {"version": version, "path": export.copy_model(run.id, path), "sha256": sha256},
                "parts": [
                    {
                        "part": p.part,
                        "path": export.PART.format(part=p.part),
                        "sha256": store.digest(store.root() / export.part_path(run.id, p.part)),
                        "firms": p.n_firms,
                        "first_uscc": p.first_uscc,
                        "last_uscc": p.last_uscc,
                    }
                    for p in parts
                ],
            },
        )


@dataclass(frozen=True)
class History:
    """The history export (:mod:`bank_tax.batch.export`): every version of every record of each
    partition's firms known at the moment (:func:`bank_tax.sources.history.partition`), one Parquet file a
    source and partition, for analysts. One run a moment: a moment's history does not change."""

    name: str = "history"

    def key(self, session: Session, params: dict) -> str:
        return "records"

    def begin(self, session: Session, run: BatchRun, params: dict) -> None:
        pass

    def partition(self, session: Session, run: BatchRun, part: int, usccs: list[str]) -> int:
        for source, table in history.partition(session, usccs=usccs, as_of=run.as_of).items():
            store.write(table, export.history_part_path(run.id, source, part))
        return len(usccs)

    def finish(self, session: Session, run: BatchRun, params: dict) -> None:
        parts = session.scalars(
            sa.select(BatchPartition).where(BatchPartition.run_id == run.id).order_by(BatchPartition.part)
        ).all()
        files = []
        for p in parts:
            for source in SOURCES:
                path = store.root() / export.history_part_path(run.id, source, p.part)
                files.append(
                    {
                        "source": source,
                        "part": p.part,
                        "path": export.HISTORY_PART.format(source=source, part=p.part),
                        "rows": pq.ParquetFile(path).metadata.num_rows,
                        "sha256": store.digest(path),
                    }
                )
        export.write_manifest(
            run.id,
            {
                "batch_run_id": run.id,
                "as_of": run.as_of.isoformat(),
                "firms": sum(p.n_firms for p in parts),
                "parts": files,
            },
            where=export.history_folder(run.id),
        )


@dataclass(frozen=True)
class Whitelists:
    """Whitelist editions for the banks in ``params["banks"]``, built together: each partition of firms is
    read once for all of them (:mod:`bank_tax.matching.build`). Keyed by the champion and the banks."""

    name: str = "whitelists"

    def key(self, session: Session, params: dict) -> str:
        banks = ",".join(sorted(set(params.get("banks") or ())))
        return f"{scoring.champion().version}:{hashlib.sha256(banks.encode()).hexdigest()[:16]}"

    def begin(self, session: Session, run: BatchRun, params: dict) -> None:
        banks = sorted(set(params.get("banks") or ()))
        build.begin(session, run, banks=banks, actor=params.get("actor"), trigger=params.get("trigger", "batch"))

    def partition(self, session: Session, run: BatchRun, part: int, usccs: list[str]) -> int:
        return build.partition(session, run, usccs)

    def finish(self, session: Session, run: BatchRun, params: dict) -> None:
        build.finish(session, run, actor=params.get("actor"))


@dataclass(frozen=True)
class Push:
    """The targeted push (:mod:`bank_tax.taxcredit.push`): each partition's firms newly eligible for a
    product are told once; the audit line carries the run's totals. Keyed by the champion (eligibility
    uses its PD)."""

    name: str = "push"

    def key(self, session: Session, params: dict) -> str:
        return scoring.champion().version

    def begin(self, session: Session, run: BatchRun, params: dict) -> None:
        pass

    def partition(self, session: Session, run: BatchRun, part: int, usccs: list[str]):
        counts = push.push_partition(session, usccs=usccs, now=run.as_of)
        return len(usccs), counts

    def finish(self, session: Session, run: BatchRun, params: dict) -> None:
        from bank_tax.batch.runner import totals

        push.record_push(session, totals(session, run.id))


STAGES = {s.name: s for s in (Scores(), Features(), Export(), History(), Whitelists(), Push())}
