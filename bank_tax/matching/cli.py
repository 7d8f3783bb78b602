"""``flask --app app whitelist generate``: whitelist editions from the command line (and for the demo)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from bank_tax.banks.models import Bank
from bank_tax.batch import daily
from bank_tax.batch.options import partition_options, require_done
from bank_tax.db import db
from bank_tax.errors import DomainError
from bank_tax.matching.models import WhitelistEdition

whitelist_cli = AppGroup("whitelist", help="Bank whitelists.")


@whitelist_cli.command("generate")
@click.option("--bank", "banks", multiple=True, help="bank code (repeatable); default: every bank")
@click.option("--if-none", is_flag=True, help="only for banks that have no edition yet")
@partition_options
def generate_command(banks: tuple[str, ...], if_none: bool, workers: int | None, partition_firms: int | None) -> None:
    """Generate a whitelist edition for banks now, in one batch run: each partition of firms is read once
    for every bank and committed on its own (a killed run resumes when run again)."""
    with db.scope() as session:
        codes = list(banks) or session.scalars(sa.select(Bank.code).order_by(Bank.code)).all()
        unknown = sorted(set(codes) - set(session.scalars(sa.select(Bank.code).where(Bank.code.in_(codes)))))
        have = (
            set(session.scalars(sa.select(WhitelistEdition.bank_code).where(WhitelistEdition.digest != "").distinct()))
            if if_none
            else set()
        )
    if unknown:
        raise click.ClickException(f"no such bank: {', '.join(unknown)}")
    for code in codes:
        if code in have:
            click.echo(f"{code}: has an edition already")
    todo = [c for c in codes if c not in have]
    if not todo:
        return
    try:
        summary = daily.whitelists(bank_codes=todo, workers=workers, partition_firms=partition_firms, progress=True)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    require_done(summary)
    with db.scope() as session:
        for edition in session.scalars(
            sa.select(WhitelistEdition)
            .where(WhitelistEdition.batch_run_id == summary.run_id)
            .order_by(WhitelistEdition.bank_code)
        ):
            click.echo(
                f"{edition.bank_code}: edition {edition.id} with {edition.n_firms} firms"
                f" ({edition.n_products} products)"
            )
