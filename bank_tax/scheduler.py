"""The one scheduler process: ``flask --app app scheduler`` runs every scheduled job of the system.

Each domain keeps its job functions in its own ``jobs.py``; this module only says when they run. Jobs
run one at a time per kind (``max_instances=1``), missed runs coalesce into one, and each runs inside
the app context with its own committing session, so a failed run leaves nothing half done.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its id, the ``module:function`` to call, and its APScheduler trigger."""

    id: str
    target: str
    trigger: str
    options: dict
    doc: str

    def function(self) -> Callable:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


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
]


def run_job(app: Flask, spec: JobSpec):
    """Run one job inside the app context; log and swallow its failure so the scheduler lives on."""
    with app.app_context():
        try:
            result = spec.function()()
            log.info("job %s done: %s", spec.id, result)
            return result
        except Exception:
            log.exception("job %s failed", spec.id)
            return None


def build(app: Flask) -> BlockingScheduler:
    """A scheduler with every job of :data:`JOBS`, in UTC."""
    scheduler = BlockingScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    )
    for spec in JOBS:
        scheduler.add_job(run_job, spec.trigger, args=(app, spec), id=spec.id, name=spec.doc, **spec.options)
    return scheduler


@click.command("scheduler")
@click.option("--list", "list_only", is_flag=True, help="show the jobs and their schedules, then exit")
@click.option("--run-once", "run_once", type=click.Choice([j.id for j in JOBS]), help="run one job now, then exit")
@with_appcontext
def scheduler_command(list_only: bool, run_once: str | None) -> None:
    """Run every scheduled job of the system (the one scheduler process)."""
    app = current_app._get_current_object()
    if run_once:
        result = run_job(app, next(j for j in JOBS if j.id == run_once))
        click.echo(f"{run_once}: {result}")
        return
    if list_only:
        for spec in JOBS:
            click.echo(f"{spec.id:<22} {spec.trigger} {spec.options}  {spec.doc}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"scheduler: {len(JOBS)} jobs; Ctrl+C to stop")
    try:
        build(app).start()
    except (KeyboardInterrupt, SystemExit):
        pass
