"""The one runner: a stage over every partition of firms, resumable.

Three ways to drive the same partition functions:

* ``run(stage, session=s, ...)``: every partition in the caller's session, nothing committed (tests, and
  callers composing the batch into a transaction of their own);
* ``run(stage, workers=1)``: one partition after another in this process, each committed with its
  checkpoint;
* ``run(stage, workers=N)``: a process pool (spawned workers, each with the app built from this one's
  settings), partitions committed by the worker that computed them.

A run is found again by (stage, as of, key): a run of the same stage as of the same moment with the same
key (the champion's version, for scores) that did not finish is resumed at its unfinished partitions; a
finished one is not, so running twice makes two runs. A partition that fails is tried again once; after
that the run is marked failed and the next call resumes it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from tqdm import tqdm

from bank_tax import clock, metrics
from bank_tax.batch import partitions
from bank_tax.batch.models import BatchPartition, BatchRun
from bank_tax.batch.stages import STAGES
from bank_tax.db import db

RETRIES = 1
# what a worker process needs of this app's settings to build the same app
WORKER_SETTINGS = ("DATABASE_URL", "MODEL_DIR", "STORE_PATH", "SECRET_KEY", "PII_KEY")


@dataclass
class Summary:
    """What a call did: the run, and its partitions done, failed and retried."""

    run_id: int
    status: str
    partitions: int
    done: int = 0
    failed: int = 0  # left undone at the end of the call (read back from the checkpoints)
    retried: int = 0
    skipped: int = 0  # already done before this call (a resumed run)
    firms: int = 0
    as_of: dt.datetime | None = None
    snapshot_id: int | None = None
    score_run_id: int | None = None
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)  # the partitions' counts, summed

    def outputs(self, run: BatchRun) -> None:
        self.status, self.firms, self.as_of = run.status, run.n_firms, run.as_of
        self.snapshot_id, self.score_run_id = run.snapshot_id, run.score_run_id


def unfinished(session: Session, stage_name: str, *, key: str, as_of: dt.datetime | None) -> BatchRun | None:
    """The run to resume: of this stage and key, not done, as of ``as_of`` exactly; with no moment given
    (the daily job, the CLI without ``--as-of``), the newest one begun today as of today (China's date): a
    run begun today as of a past moment (a back-fill) is that moment's run, never today's."""
    stmt = sa.select(BatchRun).where(BatchRun.stage == stage_name, BatchRun.key == key, BatchRun.status != "done")
    if as_of is not None:
        stmt = stmt.where(BatchRun.as_of == as_of)
    else:
        today = clock.day_start(clock.today())
        stmt = stmt.where(BatchRun.started_at >= today, BatchRun.as_of >= today)
    return session.scalar(stmt.order_by(BatchRun.id.desc()).limit(1))


def start(
    session: Session, stage_name: str, *, as_of: dt.datetime | None, partition_firms: int, params: dict | None = None
) -> BatchRun:
    """The unfinished run of this stage, moment and key to resume, or a new one (as of ``as_of``, or now)
    with its partitions. ``params`` are the stage's own (which banks, who asked): its key says which of
    them make a run the same one, and its begin keeps what the partitions need in the database."""
    stage = STAGES[stage_name]
    params = params or {}
    key = stage.key(session, params)
    found = unfinished(session, stage_name, key=key, as_of=as_of)
    if found is not None:
        return found
    as_of = as_of or clock.now()
    run = BatchRun(stage=stage_name, as_of=as_of, key=key, partition_firms=partition_firms)
    session.add(run)
    session.flush()
    planned = partitions.plan(session, size=partition_firms, registered_by=run.started_at)
    if planned:
        session.execute(
            sa.insert(BatchPartition),
            [
                {"run_id": run.id, "part": i, "first_uscc": a, "last_uscc": b, "n_firms": n}
                for i, (a, b, n) in enumerate(planned)
            ],
        )
    run.n_partitions = len(planned)
    stage.begin(session, run, params)
    session.flush()
    return run


def run_partition(session: Session, run_id: int, part_id: int) -> dict:
    """Compute one partition and mark it done, in ``session`` (the caller commits both together)."""
    t0 = time.perf_counter()
    run = session.get(BatchRun, run_id)
    part = session.get(BatchPartition, part_id, with_for_update=True)  # one worker per partition
    if part.status == "done":  # committed already (by a worker that died after, or a resumer beside us)
        return {"part": part.part, "firms": part.n_firms, "peak_rss_mb": part.peak_rss_mb, "pid": os.getpid()}
    usccs = partitions.firms(session, first=part.first_uscc, last=part.last_uscc, registered_by=run.started_at)
    n = STAGES[run.stage].partition(session, run, part.part, usccs)
    if isinstance(n, tuple):  # (firms, counts): counts are kept with the checkpoint and summed by totals()
        n, counts = n
        part.stats = json.dumps(counts, sort_keys=True)
    part.status, part.n_firms, part.finished_at = "done", n, clock.now()
    part.seconds = round(time.perf_counter() - t0, 3)
    part.peak_rss_mb = round(peak_rss_mb(), 1)
    part.attempts += 1
    session.flush()
    return {"part": part.part, "firms": n, "peak_rss_mb": part.peak_rss_mb, "pid": os.getpid()}


def totals(session: Session, run_id: int) -> dict[str, int]:
    """The counts the run's done partitions reported, summed."""
    out: dict[str, int] = {}
    rows = session.scalars(
        sa.select(BatchPartition.stats).where(BatchPartition.run_id == run_id, BatchPartition.status == "done")
    )
    for stats in rows:
        for k, v in json.loads(stats or "{}").items():
            out[k] = out.get(k, 0) + v
    return out


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB: the kernel's high-water mark of its own address
    space (``VmHWM``). ``getrusage``'s ``ru_maxrss`` is only the fallback: Linux carries it across
    ``exec``, so a ``flask`` started by a big parent would report the parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pending(session: Session, run_id: int) -> list[int]:
    """The ids of the run's partitions not done yet, in order."""
    return list(
        session.scalars(
            sa.select(BatchPartition.id)
            .where(BatchPartition.run_id == run_id, BatchPartition.status != "done")
            .order_by(BatchPartition.part)
        )
    )


def _finish(session: Session, run_id: int, params: dict) -> BatchRun:
    run = session.get(BatchRun, run_id)
    if _pending(session, run_id):
        run.status = "failed"
    else:
        STAGES[run.stage].finish(session, run, params)
        run.n_firms = int(
            session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(BatchPartition.n_firms), 0)).where(
                    BatchPartition.run_id == run_id
                )
            )
        )
        run.status, run.finished_at = "done", clock.now()
    session.flush()
    return run


def _failed(run_id: int, part_id: int, message: str) -> None:
    """Record a failed attempt, unless the partition committed after all (its work then stands)."""
    with db.scope() as s:
        s.execute(
            sa.update(BatchPartition)
            .where(BatchPartition.id == part_id, BatchPartition.status != "done")
            .values(attempts=BatchPartition.attempts + 1, status="failed", message=message[:500])
        )


def run(
    stage_name: str,
    *,
    as_of: dt.datetime | None,
    session: Session | None = None,
    workers: int | None = None,
    partition_firms: int | None = None,
    progress: bool = False,
    params: dict | None = None,
) -> Summary:
    """Run (or resume) ``stage_name`` as of ``as_of`` over every partition; see the module docstring. With
    no moment, today's unfinished run is resumed, or a new one begins as of now. ``params`` go to the
    stage (:func:`start`); a run resumed by a later call finishes with that call's."""
    size = partition_firms or int(current_app.config.get("BATCH_PARTITION_FIRMS") or 50_000)
    params = params or {}
    t0 = time.perf_counter()
    if session is not None:
        summary = _in_session(session, stage_name, as_of=as_of, size=size, progress=progress, params=params)
        return _reported(stage_name, summary, t0)
    with db.scope() as s:
        run_ = start(s, stage_name, as_of=as_of, partition_firms=size, params=params)
        run_id, n_parts = run_.id, run_.n_partitions
        todo = _pending(s, run_id)
    summary = Summary(run_id=run_id, status="running", partitions=n_parts, skipped=n_parts - len(todo))
    workers = workers if workers is not None else int(current_app.config.get("BATCH_WORKERS") or 0) or os.cpu_count()
    bar = tqdm(total=n_parts, initial=summary.skipped, desc=stage_name, unit="partition", disable=not progress)
    try:
        if workers > 1 and len(todo) > 1:
            _on_pool(summary, todo, workers=min(workers, len(todo)), bar=bar)
        else:
            _serially(summary, todo, bar=bar)
    finally:
        bar.close()
    with db.scope() as s:
        summary.outputs(_finish(s, run_id, params))
        summary.failed = len(_pending(s, run_id))
        summary.totals = totals(s, run_id)
    return _reported(stage_name, summary, t0)


def _reported(stage_name: str, summary: Summary, t0: float) -> Summary:
    """The call's summary, after giving its duration and counts to the metrics."""
    metrics.stage_finished(
        stage_name,
        status=summary.status,
        seconds=time.perf_counter() - t0,
        firms=summary.firms,
        done=summary.done,
        failed=summary.failed,
        retried=summary.retried,
    )
    return summary


def _note(summary: Summary, stats: dict) -> None:
    summary.done += 1
    key = f"pid {stats['pid']}"
    summary.peak_rss_mb[key] = max(summary.peak_rss_mb.get(key, 0.0), stats["peak_rss_mb"])


def _serially(summary: Summary, todo: list[int], *, bar) -> None:
    for part_id in todo:
        for attempt in range(RETRIES + 1):
            try:
                with db.scope() as s:
                    stats = run_partition(s, summary.run_id, part_id)
                _note(summary, stats)
                break
            except Exception as exc:  # a partition's failure is recorded; the others go on
                _failed(summary.run_id, part_id, f"{type(exc).__name__}: {exc}")
                if attempt < RETRIES:
                    summary.retried += 1
        bar.update(1)


_WORKER_APP = None


def _worker_init(settings: dict, instance_path: str) -> None:
    """Build this worker's app from the parent's settings and keep its context pushed."""
    from bank_tax import create_app
    from bank_tax.config import Config

    global _WORKER_APP
    _WORKER_APP = create_app(Config, instance_path=instance_path, **settings)
    _WORKER_APP.app_context().push()


def _worker_task(run_id: int, part_id: int) -> dict:
    with db.scope() as s:
        return run_partition(s, run_id, part_id)


def _on_pool(summary: Summary, todo: list[int], *, workers: int, bar) -> None:
    settings = {k: current_app.config.get(k) for k in WORKER_SETTINGS if current_app.config.get(k) is not None}
    settings["TESTING"] = bool(current_app.config.get("TESTING"))
    ctx = get_context("spawn")  # a fresh interpreter: no database connection or lock inherited by fork
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(settings, current_app.instance_path)
    ) as pool:
        attempts = dict.fromkeys(todo, 0)
        futures = {pool.submit(_worker_task, summary.run_id, p): p for p in todo}
        while futures:
            finished, _ = wait(futures, return_when=FIRST_COMPLETED)
            for fut in finished:
                part_id = futures.pop(fut)
                try:
                    _note(summary, fut.result())
                except BrokenProcessPool:  # a worker died (killed): what did not commit waits for the next call
                    return
                except Exception as exc:
                    _failed(summary.run_id, part_id, f"{type(exc).__name__}: {exc}")
                    attempts[part_id] += 1
                    if attempts[part_id] <= RETRIES:
                        summary.retried += 1
                        futures[pool.submit(_worker_task, summary.run_id, part_id)] = part_id
                        continue
                bar.update(1)


def _in_session(
    session: Session, stage_name: str, *, as_of: dt.datetime | None, size: int, progress: bool, params: dict
) -> Summary:
    run_ = start(session, stage_name, as_of=as_of, partition_firms=size, params=params)
    todo = _pending(session, run_.id)
    summary = Summary(run_id=run_.id, status="running", partitions=run_.n_partitions)
    summary.skipped = run_.n_partitions - len(todo)
    for part_id in tqdm(todo, desc=stage_name, unit="partition", disable=not progress):
        _note(summary, run_partition(session, run_.id, part_id))
    summary.outputs(_finish(session, run_.id, params))
    summary.totals = totals(session, run_.id)
    return summary
