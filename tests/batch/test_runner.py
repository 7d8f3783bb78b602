"""The partitioned batch: the same scores whether run in one go, partition by partition with a commit each,
or on a process pool; a failing partition is tried again; partitions are ranges of codes that cover every
firm once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from bank_tax import faults
from bank_tax.batch import partitions, runner
from bank_tax.batch.models import BatchPartition, BatchRun
from bank_tax.db import db
from bank_tax.features import pipeline
from bank_tax.features import service as snapshots
from bank_tax.modelling import scoring
from bank_tax.modelling.models import ScoreRun
from tests import factories
from tests.matching.helpers import firm

AS_OF = dt.datetime(2026, 11, 10, 2, tzinfo=dt.UTC)


def _scores(session, score_run_id: int) -> dict:
    t = scoring.run_scores(session, score_run_id, columns=["pd", "grade", "reasons"]).to_pydict()
    return {u: (p, g, r) for u, p, g, r in zip(t["uscc"], t["pd"], t["grade"], t["reasons"], strict=True)}


def test_partitions_are_consecutive_ranges_that_cover_every_firm_once(session):
    codes = sorted(factories.enterprise(session).uscc for _ in range(7))
    later = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    plan = partitions.plan(session, size=3, registered_by=later)
    assert sum(n for _, _, n in plan) == session.scalar(sa.text("SELECT count(*) FROM enterprise"))
    assert all(b < a2 for (_, b, _), (a2, _, _) in zip(plan, plan[1:], strict=False))  # disjoint, in order
    covered = [u for a, b, _ in plan for u in partitions.firms(session, first=a, last=b, registered_by=later)]
    assert sorted(covered) == covered and set(codes) <= set(covered) and len(covered) == len(set(covered))
    assert [n for _, _, n in plan][:-1] == [3] * (len(plan) - 1) and 1 <= plan[-1][2] <= 3
    earlier = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert partitions.plan(session, size=3, registered_by=earlier) == []  # nobody was registered then
    with pytest.raises(ValueError):
        partitions.plan(session, size=0, registered_by=later)


def test_in_session_partitions_equal_one_go(app, session, champion):
    usccs = [firm(session, grade=g).uscc for g in "ABCAB"]
    with app.app_context():
        summary = runner.run("scores", session=session, as_of=AS_OF, partition_firms=2)
        assert summary.status == "done" and summary.partitions == summary.done >= 3
        frame = snapshots.load(session, summary.snapshot_id)
        parts = snapshots.parts(session, summary.snapshot_id)
    whole = pipeline.compute(session, usccs=frame.usccs, as_of=AS_OF)
    assert len(parts) == summary.partitions and set(usccs) <= set(frame.usccs.tolist())
    assert np.array_equal(frame.values, whole.values, equal_nan=True)  # the parts add up to the whole
    run = session.get(ScoreRun, summary.score_run_id)
    assert run.status == "done" and run.n_firms == len(frame.usccs) == summary.firms


def test_the_features_stage_by_partitions_is_one_snapshot_of_every_firm(app, session, champion):
    for g in "ABCA":
        firm(session, grade=g)
    with app.app_context():
        summary = runner.run("features", session=session, as_of=AS_OF, partition_firms=3)
        frame = snapshots.load(session, summary.snapshot_id)
    whole = pipeline.compute(session, usccs=frame.usccs, as_of=AS_OF)
    assert summary.status == "done" and summary.partitions >= 2 and summary.score_run_id is None
    assert len(snapshots.parts(session, summary.snapshot_id)) == summary.partitions
    assert np.array_equal(frame.values, whole.values, equal_nan=True) and len(frame.usccs) == summary.firms


@pytest.fixture
def world(committing_app, fitted, tmp_path):
    factories.champion_registry(committing_app, fitted, tmp_path / "models")
    with committing_app.app_context(), db.scope() as s:
        for g in "ABCABCA":
            firm(s, grade=g)
    return committing_app


@pytest.mark.concurrency
def test_a_process_pool_gives_the_scores_of_a_serial_run(world):
    with world.app_context():
        serial = runner.run("scores", as_of=AS_OF, workers=1, partition_firms=2)
        pooled = runner.run("scores", as_of=AS_OF + dt.timedelta(seconds=1), workers=2, partition_firms=2)
        assert serial.status == pooled.status == "done" and serial.partitions == pooled.partitions == 4
        assert 1 <= len(pooled.peak_rss_mb) <= 2  # worker processes did the work (one may have taken all)
        with db.scope() as s:
            a, b = _scores(s, serial.score_run_id), _scores(s, pooled.score_run_id)
            frames = [snapshots.load(s, x.snapshot_id) for x in (serial, pooled)]
    assert len(a) == 7 and a.keys() == b.keys()
    assert all(a[u][1:] == b[u][1:] and a[u][0] == pytest.approx(b[u][0], abs=1e-12) for u in a)
    assert np.array_equal(frames[0].values, frames[1].values, equal_nan=True)


def test_a_failing_partition_is_tried_again_and_a_failed_run_resumes(world, monkeypatch):
    with world.app_context():
        monkeypatch.setenv("BANK_TAX_FAULTS", "scoring.batch=raise@1")
        faults.reset()
        retried = runner.run("scores", as_of=AS_OF, workers=1, partition_firms=3)
        assert (retried.status, retried.retried, retried.failed, retried.done) == ("done", 1, 0, 3)

        monkeypatch.setenv("BANK_TAX_FAULTS", "scoring.batch=raise@3+")  # the third partition, every time
        faults.reset()
        first = runner.run("scores", as_of=None, workers=1, partition_firms=3)  # as the daily job runs: now
        monkeypatch.delenv("BANK_TAX_FAULTS")
        faults.reset()
        again = runner.run("scores", as_of=None, workers=1, partition_firms=3)  # today's unfinished run resumes
        with db.scope() as s:
            run = s.get(BatchRun, again.run_id)
            left = s.scalar(
                sa.select(sa.func.count())
                .select_from(BatchPartition)
                .where(BatchPartition.run_id == run.id, BatchPartition.status != "done")
            )
            scores = _scores(s, again.score_run_id)
    assert first.status == "failed" and first.failed == 1 and again.run_id == first.run_id
    assert again.as_of == first.as_of
    assert again.status == "done" and again.skipped == 2 and again.done == 1 and left == 0 and len(scores) == 7


def test_a_back_fill_left_unfinished_is_not_resumed_as_todays_run(world, monkeypatch):
    """A run begun today as of a past moment that failed is that moment's run: the daily run (no moment
    given) starts its own, as of now, and leaves the back-fill to be resumed by naming its moment."""
    with world.app_context():
        monkeypatch.setenv("BANK_TAX_FAULTS", "scoring.batch=raise@1+")
        faults.reset()
        past = AS_OF - dt.timedelta(days=40)
        backfill = runner.run("scores", as_of=past, workers=1, partition_firms=3)
        monkeypatch.delenv("BANK_TAX_FAULTS")
        faults.reset()
        daily = runner.run("scores", as_of=None, workers=1, partition_firms=3)
        resumed = runner.run("scores", as_of=past, workers=1, partition_firms=3)
    assert backfill.status == "failed" and daily.status == resumed.status == "done"
    assert daily.run_id != backfill.run_id and daily.as_of > past
    assert resumed.run_id == backfill.run_id and resumed.as_of == past
