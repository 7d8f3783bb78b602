"""``flask --app app whitelist generate``: whitelist editions from the command line (and for the demo)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from bank_tax.banks.models import Bank
from bank_tax.db import db
from bank_tax.errors import DomainError
from bank_tax.matching import service
from bank_tax.matching.models import WhitelistEdition

whitelist_cli = AppGroup("whitelist", help="Bank whitelists.")


@whitelist_cli.command("generate")
@click.option("--bank", "banks", multiple=True, help="bank code (repeatable); default: every bank")
@click.option("--if-none", is_flag=True, help="only for banks that have no edition yet")
def generate_command(banks: tuple[str, ...], if_none: bool) -> None:
    """Generate a whitelist edition for banks now."""
    with db.scope() as session:
        codes = list(banks) or session.scalars(sa.select(Bank.code).order_by(Bank.code)).all()
        have = set(session.scalars(sa.select(WhitelistEdition.bank_code).distinct())) if if_none else set()
    for code in codes:
        if code in have:
            click.echo(f"{code}: has an edition already")
            continue
        try:
            with db.scope() as session:
                edition = service.generate(session, bank_code=code, actor=None, trigger="cli")
                click.echo(f"{code}: edition {edition.id} with {edition.n_firms} firms ({edition.n_products} products)")
        except DomainError as exc:
            raise click.ClickException(f"{code}: {exc.message}") from exc
