"""Commands of the security domain: verify the audit chain, create users."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from bank_tax.db import db
from bank_tax.security import audit, service
from bank_tax.security.roles import Role

audit_cli = AppGroup("audit", help="The hash-chained audit log.")
users_cli = AppGroup("users", help="User accounts.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the audit chain; exit 1 and name the first broken link if a row was altered or deleted."""
    with db.scope() as session:
        result = audit.verify(session)
    if result.ok:
        click.echo(f"audit log OK: {result.checked} events, chain intact")
        return
    click.echo(
        f"audit log BROKEN at event {result.broken_at}: {result.reason} ({result.checked} events verified before it)",
        err=True,
    )
    sys.exit(1)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--uscc", default=None, help="the firm of an enterprise user")
@click.option("--bank", "bank_code", default=None, help="the bank of a bank user")
@click.password_option()
def users_create(username: str, role: str, uscc: str | None, bank_code: str | None, password: str) -> None:
    """Create a user (the first admin of a new installation comes from here)."""
    with db.scope() as session:
        user = service.create_user(
            session,
            username=username,
            password=password,
            role=role,
            uscc=uscc,
            bank_code=bank_code,
            actor=None,
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            cost=current_app.config["PASSWORD_HASH_N"],
        )
        click.echo(f"created {user.role} {user.username} (id {user.id})")
