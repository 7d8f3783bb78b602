"""``flask --app app consent expire``: the expiry job, by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bank_tax.consent import service
from bank_tax.db import db

consent_cli = AppGroup("consent", help="Consents.")


@consent_cli.command("expire")
def expire() -> None:
    """Mark consents past their expiry as expired (reads refuse them already; this records it)."""
    with db.scope() as session:
        n = service.expire_due(session)
    click.echo(f"{n} consent(s) marked expired")
