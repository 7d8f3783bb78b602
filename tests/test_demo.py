"""The demo province loads through the CLI into an empty database, prints working logins, and loads once."""

import re

import pytest
import sqlalchemy as sa

from bank_tax import clock
from bank_tax.banks.models import Bank
from bank_tax.consent.models import Consent
from bank_tax.enterprises.models import Enterprise
from bank_tax.lending import labels
from bank_tax.lending.models import Application, Loan, LoanEvent
from bank_tax.products.models import Product
from bank_tax.sources.models import IngestBatch, VatDeclaration
from bank_tax.sources.specs import SOURCES

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


def test_demo_load_then_login(app, session, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
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
