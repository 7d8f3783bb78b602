"""The demo province loads through the CLI into an empty database, prints working logins, and loads once."""

import re

import sqlalchemy as sa

from bank_tax.banks.models import Bank
from bank_tax.enterprises.models import Enterprise


def test_demo_load_then_login(app, session, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    firms = session.scalar(sa.select(sa.func.count()).select_from(Enterprise))
    assert firms == app.config["DEMO_FIRMS"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Bank)) >= 3
    logins = dict(re.findall(r"^\s+admin\s+(\S+)\s+(\S+)$", result.output, re.M))
    assert "admin" in logins
    resp = client.post("/api/v1/auth/token", json={"username": "admin", "password": logins["admin"]})
    assert resp.status_code == 201
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == firms
