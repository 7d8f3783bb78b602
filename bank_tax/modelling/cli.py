"""``flask --app app model …`` (train, bootstrap, list, card, promote, retire) and ``pipeline run``."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from bank_tax import clock
from bank_tax.batch.options import partition_options
from bank_tax.db import db
from bank_tax.errors import DomainError
from bank_tax.modelling import service

model_cli = AppGroup("model", help="The scoring model registry.")
pipeline_cli = AppGroup("pipeline", help="Ingest → features → scores.")


def _moment(text: str | None) -> dt.datetime:
    """A moment from the command line (a date or time without a zone is China's), or now."""
    return clock.now() if text is None else clock.parse_moment(text)


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message) from exc


@model_cli.command("train")
@click.option("--observation", default=None, help="labels as known on this date (default: today)")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--promote", "alias", type=click.Choice(["champion", "challenger"]), default="challenger", show_default=True
)
def train_command(observation: str | None, seed: int, alias: str) -> None:
    """Train on the loans of this database, register the version and point ALIAS at it."""
    day = clock.business_date(_moment(observation))
    try:
        with db.scope() as session:
            fitted, card = service.train_from_database(session, observation=day, seed=seed, progress=True)
    except DomainError as exc:
        _fail(exc)
    reg = service.registry()
    version = reg.register(fitted.model, card)
    reg.promote(version, alias)
    t = fitted.report["test"]
    click.echo(f"{version} registered as {alias}: out-of-time AUC {t['auc']:.3f}, KS {t['ks']:.3f}, ECE {t['ece']:.4f}")


@model_cli.command("bootstrap")
def bootstrap_command() -> None:
    """Train the first champion (on a generated synthetic province) when the registry has none."""
    version = service.bootstrap(progress=True)
    if version is None:
        click.echo(f"champion present: {service.registry().resolve('champion')}")


@model_cli.command("list")
def list_command() -> None:
    """Every version with its aliases, status and out-of-time AUC / ECE."""
    rows = service.registry().versions()
    if not rows:
        click.echo("no models registered")
    for r in rows:
        auc = "–" if r["auc"] is None else f"{r['auc']:.3f}"
        ece = "–" if r["ece"] is None else f"{r['ece']:.4f}"
        click.echo(f"{r['version']:<16} {r['status']:<10} {','.join(r['aliases']) or '-':<20} AUC {auc}  ECE {ece}")


@model_cli.command("card")
@click.argument("ref", default="champion")
def card_command(ref: str) -> None:
    """Print a version's model card (Markdown)."""
    reg = service.registry()
    try:
        version = reg.resolve(ref)
    except DomainError as exc:
        _fail(exc)
    click.echo((reg.root / version / "card.md").read_text(encoding="utf-8"))


@model_cli.command("promote")
@click.argument("version")
@click.option("--as", "alias", type=click.Choice(["champion", "challenger"]), default="champion", show_default=True)
def promote_command(version: str, alias: str) -> None:
    """Make VERSION the champion (or the challenger)."""
    try:
        service.registry().promote(version, alias)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{version} is now the {alias}")


@model_cli.command("retire")
@click.argument("version")
def retire_command(version: str) -> None:
    """Retire VERSION (kept for audit, never scored with again)."""
    try:
        service.registry().retire(version)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{version} retired")


@pipeline_cli.command("run")
@click.option("--as-of", "as_of", default=None, help="ISO date or time (in China's time unless zoned); default: now")
@click.option("--no-ingest", is_flag=True, help="skip the drop folder")
@partition_options
def pipeline_run_command(as_of: str | None, no_ingest: bool, workers: int | None, partition_firms: int | None) -> None:
    """Ingest the drop folder, compute every firm's features as of the moment, score them all, one
    partition of firms at a time (a killed run resumes where it stopped when run again)."""
    from bank_tax import pipeline

    try:
        result = pipeline.run(
            as_of=clock.parse_moment(as_of) if as_of else None,
            ingest=not no_ingest,
            progress=True,
            workers=workers,
            partition_firms=partition_firms,
        )
    except DomainError as exc:
        _fail(exc)
    click.echo(
        f"pipeline as of {result['as_of']}: {result['files']} files ingested; partitions {result['partitions_done']} "
        f"done, {result['partitions_resumed']} resumed, {result['partitions_failed']} failed, "
        f"{result['partitions_retried']} retried; snapshot {result['snapshot_id']}, score run {result['run_id']} "
        f"({result['firms']} firms, model {result['model_version']}, peak {result['peak_rss_mb']:.0f} MB)"
    )
    if result["status"] != "done":
        raise click.ClickException(
            f"batch run {result['batch_run_id']} is {result['status']}: run it again (--as-of {result['as_of']}, or"
            " without --as-of today) to resume"
        )
