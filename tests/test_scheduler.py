"""The scheduler process knows every job and runs each one inside the app, on demand."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bank_tax import (
    clock,
    create_app,  # noqa: F401
)
from bank_tax.banks import service as banks
from bank_tax.config import TestConfig  # noqa: F401
from bank_tax.consent.models import Consent
from bank_tax.db import db
from bank_tax.scheduler import JOBS, JobSpec, build, run_job, status, sync_banks
from bank_tax.scheduler.models import JobRun
from tests import factories

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


def test_every_job_resolves_and_is_scheduled(app):
    ids = {job.id for job in build(app).get_jobs()}
    assert {spec.id for spec in JOBS} <= ids
    for spec in JOBS:
        assert callable(spec.function())
        assert spec.make_trigger().get_next_fire_time(None, clock.now()) is not None


def test_list_and_run_once(app, session):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["scheduler", "--list"])
    assert listed.exit_code == 0 and "consent.expire" in listed.output
    firm = factories.enterprise(session)
    c = factories.consent(session, uscc=firm.uscc, bank_code=factories.bank(session).code)
    session.execute(
        sa.update(Consent)
        .where(Consent.id == c.id)
        .values(starts_at=clock.now() - dt.timedelta(days=2), expires_at=clock.now() - dt.timedelta(days=1))
    )
    session.flush()
    ran = runner.invoke(args=["scheduler", "--run-once", "consent.expire"])
    assert ran.exit_code == 0 and "consent.expire: 1" in ran.output


def _app(url, tmp_path):
    return create_app(TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url)


SLOW = "tests.scheduler_jobs:slow"


@pytest.mark.concurrency
def test_two_scheduler_processes_run_a_job_once(committing_app, tmp_path):
    """Two processes fire the same job at the same moment: one runs it, the other skips; a third try
    right after (not forced) is the same occurrence and skips too."""
    url = committing_app.config["DATABASE_URL"]
    marker = tmp_path / "ran.txt"
    code = (
        "import sys; from bank_tax import create_app; from bank_tax.config import TestConfig; "
        "from bank_tax.scheduler import JobSpec, run_job; "
        f"app = create_app(TestConfig, instance_path={str(tmp_path / 'i')!r}, DATABASE_URL={url!r}); "
        f"spec = JobSpec('test.slow', {SLOW!r}, 'interval', {{'hours': 1}}, 'slow', args=({str(marker)!r},)); "
        "print(run_job(app, spec))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)
    ]
    outputs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == ["None", "slow done"]
    assert marker.read_text().count("ran") == 1
    spec = JobSpec("test.slow", SLOW, "interval", {"hours": 1}, "slow", args=(str(marker),))
    assert run_job(committing_app, spec) is None  # the same occurrence: skipped
    assert run_job(committing_app, spec, force=True) == "slow done"  # an operator's --run-once
    with committing_app.app_context(), db.scope() as s:
        runs = s.scalars(sa.select(JobRun).where(JobRun.job_id == "test.slow").order_by(JobRun.id)).all()
    assert [r.outcome for r in runs] == ["done", "done"] and all(r.duration_s >= 1.5 for r in runs)


def test_a_failing_job_is_recorded_and_the_others_go_on(committing_app):
    failing = JobSpec("test.boom", "tests.scheduler_jobs:boom", "interval", {"minutes": 5}, "boom")
    assert run_job(committing_app, failing) is None
    assert run_job(committing_app, JOBS[1]) == 0  # consent expiry, nothing to expire
    with committing_app.app_context():
        by_id = {s["id"]: s for s in status()}
        with db.scope() as s:
            boom = s.scalars(sa.select(JobRun).where(JobRun.job_id == "test.boom")).one()
    assert boom.outcome == "failed" and "agency's server is down" in boom.message
    assert by_id["consent.expire"]["last_outcome"] == "done" and by_id["consent.expire"]["next_run"] > clock.now()
    # the next occurrence still runs (the lease was released)
    assert run_job(committing_app, failing, force=True) is None
    with committing_app.app_context(), db.scope() as s:
        assert s.scalar(sa.select(sa.func.count()).where(JobRun.job_id == "test.boom")) == 2


def test_banks_get_whitelist_jobs_on_their_own_schedule(committing_app):
    with committing_app.app_context():
        with db.scope() as s:
            factories.bank(s, code="ZJB")
        scheduler = build(committing_app)
        assert str(scheduler.get_job("whitelists.ZJB").trigger).startswith("cron[month='*', day='1'")
        with db.scope() as s:
            banks.set_schedule(s, bank_code="ZJB", whitelist_cron="30 7 * * 1", actor=None)
            factories.bank(s, code="NBB")
        assert sync_banks() == "2 bank jobs, 2 added or changed, 0 removed"  # ZJB rescheduled, NBB added
        assert sync_banks() == "2 bank jobs, 0 added or changed, 0 removed"
        assert "day_of_week='1'" in str(scheduler.get_job("whitelists.ZJB").trigger)
        assert scheduler.get_job("whitelists.NBB") is not None
        out = committing_app.test_cli_runner().invoke(args=["scheduler", "status"])
    assert out.exit_code == 0 and "whitelists.ZJB" in out.output and "never run" in out.output


def test_the_job_status_reads_in_the_requests_own_session(committing_app):
    """On a database file, a second session inside a request waits for the request's SQLite lock (30 s,
    then a 503): the status API and page read in the request's session."""
    from bank_tax.db import db
    from tests import factories

    with committing_app.app_context(), db.scope() as s:
        user = factories.user(s, "operator")
        token = factories.token(s, user)
    client = committing_app.test_client()
    answer = client.get("/api/v1/scheduler/jobs", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and any(j["id"] == "pipeline.run" for j in answer.get_json())
