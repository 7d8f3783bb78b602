"""Command-line interface: ``flask --app app <group> <command>``. Each domain owns its commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bank_tax import migrate

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision, store_path=current_app.config["STORE_PATH"])
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision", default="base")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: base, an empty database)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision, store_path=current_app.config["STORE_PATH"])
    click.echo(f"database at {revision}")


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    from bank_tax.backup import backup_command, restore_command
    from bank_tax.batch.cli import batch_cli
    from bank_tax.bench.cli import bench_cli
    from bank_tax.consent.cli import consent_cli
    from bank_tax.demo import demo_cli
    from bank_tax.features.cli import features_cli
    from bank_tax.matching.cli import whitelist_cli
    from bank_tax.modelling.cli import model_cli, pipeline_cli
    from bank_tax.reports.cli import report_cli
    from bank_tax.scheduler import scheduler_command
    from bank_tax.security.cli import audit_cli, users_cli
    from bank_tax.sources.cli import inbox_command, ingest_command
    from bank_tax.synth.cli import synth_command
    from bank_tax.taxcredit.cli import taxcredit_cli

    for group in (
        db_cli,
        audit_cli,
        users_cli,
        demo_cli,
        bench_cli,
        consent_cli,
        report_cli,
        features_cli,
        model_cli,
        pipeline_cli,
        batch_cli,
        whitelist_cli,
        taxcredit_cli,
    ):
        app.cli.add_command(group)
    for command in (synth_command, ingest_command, inbox_command, scheduler_command, backup_command, restore_command):
        app.cli.add_command(command)
