"""The scheduler process knows every job and runs each one inside the app, on demand."""

import datetime as dt

import sqlalchemy as sa

from bank_tax.consent.models import Consent
from bank_tax.db import utcnow
from bank_tax.scheduler import JOBS, build
from tests import factories


def test_every_job_resolves_and_is_scheduled(app):
    ids = {job.id for job in build(app).get_jobs()}
    assert ids == {spec.id for spec in JOBS}
    for spec in JOBS:
        assert callable(spec.function())


def test_list_and_run_once(app, session):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["scheduler", "--list"])
    assert listed.exit_code == 0 and "consent.expire" in listed.output
    firm = factories.enterprise(session)
    c = factories.consent(session, uscc=firm.uscc, bank_code=factories.bank(session).code)
    session.execute(
        sa.update(Consent)
        .where(Consent.id == c.id)
        .values(starts_at=utcnow() - dt.timedelta(days=2), expires_at=utcnow() - dt.timedelta(days=1))
    )
    session.flush()
    ran = runner.invoke(args=["scheduler", "--run-once", "consent.expire"])
    assert ran.exit_code == 0 and "consent.expire: 1" in ran.output
