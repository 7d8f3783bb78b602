"""``flask --app app batch …``: the province export for Spark, and Spark's results brought back."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bank_tax import clock, store
from bank_tax.batch.options import partition_options, require_done
from bank_tax.db import db
from bank_tax.errors import DomainError

batch_cli = AppGroup("batch", help="The batch beyond this machine: the province export and Spark's results.")


@batch_cli.command("export")
@click.option("--as-of", "as_of", default=None, help="ISO date or time (in China's time unless zoned); default: now")
@click.option("--history", is_flag=True, help="every version of every record known then (for analysts), not the inputs")
@partition_options
def export_command(as_of: str | None, history: bool, workers: int | None, partition_firms: int | None) -> None:
    """Write every partition's inputs as of the moment, with the champion, for the Spark job
    (python -m bank_tax.batch.spark FOLDER --out RESULTS); with --history, the records' full history as
    known then, one Parquet dataset a source. A killed export resumes when run again."""
    from bank_tax.batch import export, runner

    try:
        summary = runner.run(
            "history" if history else "export",
            as_of=clock.parse_moment(as_of) if as_of else None,
            workers=workers,
            partition_firms=partition_firms,
            progress=True,
        )
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    require_done(summary, "export run")
    click.echo(
        f"exported {summary.firms} firms in {summary.partitions} partitions as of {summary.as_of.isoformat()} to "
        f"{store.root() / (export.history_folder if history else export.folder)(summary.run_id)}"
    )


@batch_cli.command("import-scores")
@click.argument("results", type=click.Path(exists=True, file_okay=False))
@click.option("--export", "export_dir", required=True, type=click.Path(exists=True, file_okay=False))
def import_scores_command(results: str, export_dir: str) -> None:
    """Record RESULTS (the Spark job's output for the export at --export) as a score run."""
    from bank_tax.batch.results import import_scores

    try:
        with db.scope() as session:
            run = import_scores(session, results, export_dir)
            click.echo(
                f"score run {run.id}: {run.n_firms} firms as of {run.as_of.isoformat()}, model {run.model_version}"
            )
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
