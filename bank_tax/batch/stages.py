"""The stages of the daily batch. A stage says what makes two runs the same (its key), what a run holds
before its first partition (begin), what one partition does (its domain's partition function), and how a
run is sealed once every partition is in (finish)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bank_tax.batch.models import BatchRun
from bank_tax.modelling import scoring
from bank_tax.modelling.models import ScoreRun
from bank_tax.modelling.service import registry


@dataclass(frozen=True)
class Scores:
    """Features of every firm as of the moment (a snapshot, one Parquet part per partition), scored by
    the champion, with their reasons (one score run)."""

    name: str = "scores"

    def key(self, session: Session) -> str:
        return scoring.champion().version

    def begin(self, session: Session, run: BatchRun) -> None:
        score_run = scoring.begin_run(session, as_of=run.as_of, model=scoring.champion())
        run.snapshot_id, run.score_run_id = score_run.snapshot_id, score_run.id

    def partition(self, session: Session, run: BatchRun, part: int, usccs: list[str]) -> int:
        # the run's own model (its key), not whatever is champion now: a promotion mid-run must not mix two
        score_run = session.get(ScoreRun, run.score_run_id)
        model = registry().load(score_run.model_version)
        return scoring.score_partition(session, run=score_run, part=part, usccs=usccs, model=model)

    def finish(self, session: Session, run: BatchRun) -> None:
        scoring.finish_run(session, session.get(ScoreRun, run.score_run_id))


STAGES = {s.name: s for s in (Scores(),)}
