"""The one scheduler process: ``flask --app app scheduler`` runs every scheduled job of the system.

Each domain keeps its job functions in its own ``jobs.py``; this package only says when they run and
makes running them safe:

* **Single runner.** Before a job runs, its process claims the job's lease row in the database (an
  atomic conditional UPDATE): the claim fails while another process holds it, and also when the job
  already started within its ``min_gap`` (half its interval; ten minutes for cron jobs), so two
  scheduler processes started on one database run each occurrence once.
* **Failure.** A job that raises is recorded as ``failed`` with its message and logged; the scheduler
  and the other jobs go on, and the next occurrence runs as usual.
* **Status.** Every run is kept (:class:`~bank_tax.scheduler.models.JobRun`); ``flask --app app
  scheduler status`` and ``GET /api/v1/scheduler/jobs`` show each job's last run, duration, outcome
  and next run.
* **Whitelists** run per bank on the bank's own crontab (``bank.whitelist_cron``); a sync job picks up
  new banks and changed schedules every ten minutes.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from bank_tax import clock, metrics
from bank_tax.db import db, is_unique_violation

log = logging.getLogger(__name__)
LEASE_TTL = dt.timedelta(hours=2)  # a run longer than this is presumed dead and may be taken over


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its id, the ``module:function`` to call (with ``args``), and its trigger."""

    id: str
    target: str
    trigger: str
    options: dict
    doc: str
    args: tuple = field(default=())

    def function(self) -> Callable:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)

    def make_trigger(self):
        if self.trigger == "cron":
            if "crontab" in self.options:
                return CronTrigger.from_crontab(self.options["crontab"], timezone=clock.SHANGHAI)
            return CronTrigger(timezone=clock.SHANGHAI, **self.options)
        return IntervalTrigger(timezone=clock.SHANGHAI, **self.options)

    @property
    def min_gap(self) -> dt.timedelta:
        if self.trigger == "interval":
            return dt.timedelta(**self.options) / 2
        return dt.timedelta(minutes=10)


JOBS: list[JobSpec] = [
    JobSpec(
        "sources.scan_inbox",
        "bank_tax.sources.jobs:scan_inbox",
        "interval",
        {"minutes": 5},
        "ingest files dropped in instance/inbox/SOURCE/",
    ),
    JobSpec(
        "consent.expire",
        "bank_tax.consent.jobs:expire_consents",
        "interval",
        {"hours": 1},
        "mark consents past their expiry as expired",
    ),
    JobSpec(
        "pipeline.run",
        "bank_tax.pipeline:job",
        "cron",
        {"hour": 2, "minute": 30},
        "ingest the drop folder, compute features and score every firm (daily)",
    ),
    JobSpec(
        "taxcredit.push",
        "bank_tax.taxcredit.jobs:targeted_push",
        "cron",
        {"hour": 3, "minute": 30},
        "tell firms newly eligible for a product, in their inbox (daily, after the pipeline)",
    ),
    JobSpec(
        "reports.effect",
        "bank_tax.reports.jobs:quarterly_effect_report",
        "cron",
        {"month": "3,6,9,12", "day": 25, "hour": 1},
        "keep an edition of the quarter's effect report (25th of each quarter's last month)",
    ),
    JobSpec(
        "scheduler.sync_banks",
        "bank_tax.scheduler:sync_banks",
        "interval",
        {"minutes": 10},
        "schedule new banks' whitelists and apply changed schedules",
    ),
    JobSpec(
        "security.purge_logins",
        "bank_tax.security.jobs:purge_login_attempts",
        "interval",
        {"hours": 1},
        "delete login attempts older than the throttle's memory (LOGIN_MEMORY_HOURS)",
    ),
]


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def bank_jobs(session: Session | None = None) -> list[JobSpec]:
    """One whitelist job per bank, on the bank's crontab (read in ``session``, else in a session of its own)."""
    from bank_tax.banks.models import Bank

    stmt = sa.select(Bank.code, Bank.whitelist_cron).order_by(Bank.code)
    if session is not None:
        banks = session.execute(stmt).all()
    else:
        with db.scope() as own:
            banks = own.execute(stmt).all()
    return [
        JobSpec(
            f"whitelists.{code}",
            "bank_tax.matching.jobs:whitelist",
            "cron",
            {"crontab": cron},
            f"push bank {code} a whitelist ({cron}, China's time)",
            args=(code,),
        )
        for code, cron in banks
    ]


def all_jobs(session: Session | None = None) -> list[JobSpec]:
    return [*JOBS, *bank_jobs(session)]


# -- claiming and recording -------------------------------------------------------------------------------
def claim(job_id: str, owner: str, *, min_gap: dt.timedelta, force: bool = False) -> bool:
    """Take the job's lease if nobody holds it and (unless ``force``) it did not start within ``min_gap``."""
    from bank_tax.scheduler.models import JobLease

    now = clock.now()
    with db.scope() as session:
        try:
            with session.begin_nested():
                session.add(JobLease(job_id=job_id, owner="", expires_at=now - dt.timedelta(seconds=1)))
        except sa.exc.IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
    free = JobLease.expires_at < now
    if not force:
        free = sa.and_(free, sa.or_(JobLease.last_started_at.is_(None), JobLease.last_started_at < now - min_gap))
    with db.scope() as session:
        taken = session.execute(
            sa.update(JobLease)
            .where(JobLease.job_id == job_id, free)
            .values(owner=owner, expires_at=now + LEASE_TTL, last_started_at=now)
        ).rowcount
    return taken == 1


def release(job_id: str, owner: str) -> None:
    from bank_tax.scheduler.models import JobLease

    with db.scope() as session:
        session.execute(
            sa.update(JobLease)
            .where(JobLease.job_id == job_id, JobLease.owner == owner)
            .values(expires_at=clock.now() - dt.timedelta(seconds=1))
        )


def run_job(app: Flask, spec: JobSpec, *, force: bool = False):
    """Run one job inside the app context if this process wins its lease; record the run; log and
    swallow a failure so the scheduler lives on. Returns the job's result (None when skipped or failed)."""
    from bank_tax.scheduler.models import JobRun

    with app.app_context():
        owner = owner_name()
        if not claim(spec.id, owner, min_gap=spec.min_gap, force=force):
            log.info("job %s skipped: another scheduler runs it", spec.id)
            return None
        started = clock.now()
        t0 = time.perf_counter()
        with db.scope() as session:
            run = JobRun(job_id=spec.id, owner=owner, started_at=started)
            session.add(run)
            session.flush()
            run_id = run.id
        outcome, message, result = "done", "", None
        try:
            result = spec.function()(*spec.args)
            message = str(result)[:2000]
            log.info("job %s done: %s", spec.id, result)
        except Exception as exc:  # the scheduler must outlive any job
            outcome, message = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            log.exception("job %s failed", spec.id)
        finally:
            with db.scope() as session:
                session.execute(
                    sa.update(JobRun)
                    .where(JobRun.id == run_id)
                    .values(
                        finished_at=clock.now(),
                        duration_s=round(time.perf_counter() - t0, 3),
                        outcome=outcome,
                        message=message,
                    )
                )
            release(spec.id, owner)
            metrics.count(metrics.JOBS, job=spec.id, outcome=outcome)
        return result


# -- the process ------------------------------------------------------------------------------------------
def _add(scheduler: BlockingScheduler, app: Flask, spec: JobSpec) -> None:
    scheduler.add_job(run_job, spec.make_trigger(), args=(app, spec), id=spec.id, name=spec.doc, replace_existing=True)


def build(app: Flask) -> BlockingScheduler:
    """A scheduler with every job (the fixed ones and one whitelist job per bank), on China's time.

    Interval jobs (the drop folder's scan, consent expiry, the banks' schedules) run once as the scheduler
    starts, then every interval: a restart catches up at once instead of after the first interval, each
    still under its lease. The score-drift gauge starts at the last run's PSI, so a scrape after a restart
    has it before the next run."""
    scheduler = BlockingScheduler(
        timezone=clock.SHANGHAI, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    )
    with app.app_context():
        for spec in all_jobs():
            _add(scheduler, app, spec)
            if spec.trigger == "interval":  # once at start too: a date trigger without a date fires at once
                scheduler.add_job(run_job, "date", args=(app, spec), id=f"{spec.id}@start", name=f"{spec.doc} (start)")
        from bank_tax.modelling import monitoring

        with db.scope() as session:
            psi = monitoring.last_run_psi(session)
        if psi is not None:
            metrics.SCORE_PSI.set(psi)
    app.extensions["bank_tax.scheduler"] = scheduler
    return scheduler


def sync_banks() -> str:
    """Bring the running scheduler's whitelist jobs in line with the banks table."""
    scheduler = current_app.extensions.get("bank_tax.scheduler")
    if scheduler is None:
        return "no scheduler in this process"
    app = current_app._get_current_object()
    wanted = {s.id: s for s in bank_jobs()}
    have = {j.id: j for j in scheduler.get_jobs() if j.id.startswith("whitelists.")}
    for job_id in set(have) - set(wanted):
        scheduler.remove_job(job_id)
    changed = 0
    for job_id, spec in wanted.items():
        job = have.get(job_id)
        if job is None or str(job.trigger) != str(spec.make_trigger()):
            if job is not None:
                scheduler.remove_job(job_id)
            _add(scheduler, app, spec)
            changed += 1
    return f"{len(wanted)} bank jobs, {changed} added or changed, {len(set(have) - set(wanted))} removed"


def status(session: Session | None = None, now: dt.datetime | None = None) -> list[dict]:
    """Every job: schedule, last run (start, duration, outcome, message) and next run. Read in ``session``
    (a request's own: a second session there would wait on the request's SQLite lock), else in its own."""
    if session is None:
        with db.scope() as own:
            return status(own, now)
    from bank_tax.scheduler.models import JobRun

    now = now or clock.now()
    specs = all_jobs(session)
    latest = sa.select(JobRun.job_id, sa.func.max(JobRun.id).label("id")).group_by(JobRun.job_id).subquery()
    runs = {r.job_id: r for r in session.scalars(sa.select(JobRun).join(latest, JobRun.id == latest.c.id)).all()}
    out = []
    for spec in specs:
        r = runs.get(spec.id)
        out.append(
            {
                "id": spec.id,
                "doc": spec.doc,
                "schedule": spec.options.get("crontab") or f"{spec.trigger} {spec.options}",
                "next_run": spec.make_trigger().get_next_fire_time(None, now),
                "last_started": r.started_at if r else None,
                "last_duration_s": r.duration_s if r else None,
                "last_outcome": r.outcome if r else None,
                "last_message": r.message if r else None,
            }
        )
    return out


@click.command("scheduler")
@click.argument("action", required=False, type=click.Choice(["status"]))
@click.option("--list", "list_only", is_flag=True, help="show the jobs and their schedules, then exit")
@click.option("--run-once", "run_once", help="run one job now (if no other process runs it), then exit")
@with_appcontext
def scheduler_command(action: str | None, list_only: bool, run_once: str | None) -> None:
    """Run every scheduled job of the system (the one scheduler process); ``status`` shows each job."""
    app = current_app._get_current_object()
    if action == "status":
        for s in status():
            last = (
                f"{s['last_started']:%Y-%m-%d %H:%M} {s['last_outcome']} {s['last_duration_s']}s"
                if s["last_started"]
                else "never run"
            )
            click.echo(f"{s['id']:<26} next {s['next_run']:%Y-%m-%d %H:%M}  last {last}")
        return
    specs = {s.id: s for s in all_jobs()}
    if run_once:
        if run_once not in specs:
            raise click.BadParameter(f"no job {run_once!r}; one of: {', '.join(specs)}", param_hint="--run-once")
        result = run_job(app, specs[run_once], force=True)
        click.echo(f"{run_once}: {result}")
        return
    if list_only:
        for spec in specs.values():
            click.echo(f"{spec.id:<26} {spec.options.get('crontab') or spec.trigger} {spec.options}  {spec.doc}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = build(app)
    click.echo(f"scheduler: {len(scheduler.get_jobs())} jobs; Ctrl+C to stop")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
