"""The demo province loads through the CLI into an empty database, prints working logins, and loads once;
its past is written at its dates, so every recent quarter's effect report tells a believable programme."""

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bank_tax import clock, demo
from bank_tax.banks.models import Bank
from bank_tax.consent.models import Consent
from bank_tax.consent.service import MAX_TERM
from bank_tax.enterprises.models import Enterprise
from bank_tax.lending import labels
from bank_tax.lending.models import Application, Loan, LoanEvent
from bank_tax.products.models import Product
from bank_tax.reports import effect
from bank_tax.security import audit
from bank_tax.sources.models import IngestBatch, VatDeclaration
from bank_tax.sources.specs import SOURCES

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


def test_demo_load_then_login(app, session, client):
    runner = app.test_cli_runner()
    loaded_at = clock.now()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    _assert_a_true_story(session, loaded_at)
    _assert_same_seed_same_story(app, loaded_at)
    firms = session.scalar(sa.select(sa.func.count()).select_from(Enterprise))
    assert firms == app.config["DEMO_FIRMS"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Bank)) >= 3
    # every agency file went through ingestion, faults quarantined
    sources = set(session.scalars(sa.select(IngestBatch.source)))
    assert sources == set(SOURCES)
    assert session.scalar(sa.select(sa.func.sum(IngestBatch.rejected))) > 0
    assert session.scalar(sa.select(sa.func.count()).select_from(VatDeclaration)) > firms * 12
    # a realistic mix of consents: most firms, not all; some revoked; some to all banks
    statuses = dict(session.execute(sa.select(Consent.status, sa.func.count()).group_by(Consent.status)).all())
    assert statuses["active"] > 0 and statuses.get("revoked", 0) > 0
    consenting = session.scalar(sa.select(sa.func.count(sa.distinct(Consent.uscc))))
    assert 0.6 * firms < consenting < 0.95 * firms
    assert session.scalar(sa.select(sa.func.count()).select_from(Consent).where(Consent.all_banks)) > 0
    # products, historical loans with outcomes, and open applications for officers
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) >= 4
    n_loans = session.scalar(sa.select(sa.func.count()).select_from(Loan))
    assert n_loans > 50
    assert session.scalar(sa.select(sa.func.count()).select_from(LoanEvent)) > n_loans * 5
    statuses = set(session.scalars(sa.select(Application.status)))
    assert {"submitted", "in_review"} <= statuses
    lab = labels.derive(session, observation=clock.today())
    known = lab.label[lab.label >= 0]
    assert known.size > 30 and 0.02 < known.mean() < 0.25
    logins = dict(re.findall(r"^\s+admin\s+(\S+)\s+(\S+)$", result.output, re.M))
    assert "admin" in logins
    resp = client.post("/api/v1/auth/token", json={"username": "admin", "password": logins["admin"]})
    assert resp.status_code == 201
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == firms


def _last_quarters(day: dt.date, n: int) -> list[str]:
    quarters = [effect.last_complete_quarter(day)]
    while len(quarters) < n:
        quarters.append(effect.previous_quarter(quarters[-1]))
    return quarters


def _assert_a_true_story(session, loaded_at):
    """The past was written at its dates: each of the last four quarters has registered and consenting
    firms, applications decided both ways, and loans that each came from an application made before."""
    for quarter in _last_quarters(clock.business_date(loaded_at), 4):
        report = effect.compute(session, quarter, with_previous=False)
        firms, totals = report["firms"], report["totals"]
        assert firms["registered"] > 0 and firms["consenting"] > 0, (quarter, firms)
        assert totals["applications"] > 0 and 0 < totals["approval_rate"] < 1, (quarter, totals)
        start, end = effect.quarter_bounds(quarter)
        loans = session.execute(
            sa.select(Loan, Application)
            .outerjoin(Application, Application.id == Loan.application_id)
            .where(Loan.start_date >= start, Loan.start_date <= end)
        ).all()
        assert len(loans) == totals["loans"] > 0
        for loan, application in loans:
            assert application is not None, (quarter, loan.contract_no)
            assert application.submitted_at < application.decided_at < clock.day_end(loan.start_date)
            assert application.submitted_at < clock.day_start(loan.start_date)
            assert (application.status, application.decided_amount) == ("approved", loan.principal)
            assert application.uscc == loan.uscc and application.bank_code == loan.bank_code
    # every historical loan has its application; declined ones are there too (the 12 open ones are new)
    assert session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.application_id.is_(None))) == 0
    by_status = dict(session.execute(sa.select(Application.status, sa.func.count()).group_by(Application.status)).all())
    assert 0.15 < by_status["declined"] / (by_status["declined"] + by_status["approved"]) < 0.4
    # a firm registers before it consents or applies, and everything is in the past of the load
    registered = dict(session.execute(sa.select(Enterprise.uscc, Enterprise.registered_at)).all())
    first_consent = dict(
        session.execute(sa.select(Consent.uscc, sa.func.min(Consent.granted_at)).group_by(Consent.uscc)).all()
    )
    first_app = dict(
        session.execute(
            sa.select(Application.uscc, sa.func.min(Application.submitted_at)).group_by(Application.uscc)
        ).all()
    )
    for uscc, at in registered.items():
        assert at <= loaded_at + dt.timedelta(minutes=10)
        assert at < first_consent.get(uscc, at + dt.timedelta(1)), uscc
        assert at < first_app.get(uscc, at + dt.timedelta(1)), uscc
    assert min(registered.values()) < loaded_at - dt.timedelta(days=365)
    # consents last at most a year, so a long-standing firm renewed; those past their expiry are expired
    consents = session.scalars(sa.select(Consent)).all()
    assert all(c.expires_at - c.starts_at <= MAX_TERM for c in consents)
    assert all(c.granted_at < loaded_at + dt.timedelta(minutes=10) for c in consents)
    statuses = {c.status for c in consents}
    assert {"active", "superseded", "expired", "revoked"} <= statuses
    assert not [c.id for c in consents if c.status == "active" and c.expires_at <= clock.now()]
    assert all(c.ended_at == c.expires_at for c in consents if c.status == "expired")
    # written in date order, through the services: the audit chain holds
    assert audit.verify(session).ok


def _assert_same_seed_same_story(app, loaded_at):
    """The same files, seed and moment plan the same history, step for step."""
    out_dir = Path(app.instance_path) / "demo"

    def plan():
        bank_rows, firm_rows, _ = demo._read_registry(out_dir)
        history = demo._History(
            None,
            now=loaded_at,
            seed=app.config["DEMO_SEED"],
            bank_rows=bank_rows,
            firm_rows=firm_rows,
            documents=demo._product_documents(out_dir),
            apps=demo._read_csv(out_dir / "lending" / "applications.csv"),
            loans=demo._read_csv(out_dir / "lending" / "loans.csv"),
        )
        history.plan()
        return [
            (moment, fn.__name__, repr(args)) for moment, _, _, fn, args in sorted(history.steps, key=lambda s: s[:3])
        ]

    assert plan() == plan()
