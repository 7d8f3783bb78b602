"""``flask --app app ingest SOURCE FILE`` (with a progress bar) and ``flask --app app ingest-inbox``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from bank_tax.db import db
from bank_tax.errors import Invalid
from bank_tax.sources import ingest, service
from bank_tax.sources.specs import SOURCES

STAGES = 6


@click.command("ingest")
@with_appcontext
@click.argument("source", type=click.Choice(sorted(SOURCES)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="write the JSON report here"
)
def ingest_command(source: str, file: Path, report_path: Path | None) -> None:
    """Ingest FILE as SOURCE: good rows land, bad rows are quarantined; prints the batch report."""
    bar = tqdm(total=STAGES, desc=f"{source}", unit="step", file=sys.stderr)

    def progress(message: str) -> None:
        bar.set_postfix_str(message)
        if not message.startswith("storing"):
            bar.update(1)

    try:
        with db.scope() as session:
            batch, new = ingest.ingest(
                session,
                source=SOURCES[source],
                data=file.read_bytes(),
                filename=file.name,
                actor=None,
                progress=progress,
            )
            result = {**ingest.report(session, batch), "new": new}
    except Invalid as exc:
        bar.close()
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors, ensure_ascii=False)}") from exc
    bar.update(STAGES - bar.n)
    bar.close()
    if not new:
        click.echo(f"{file.name} was ingested before (batch {batch.id}): nothing landed")
    click.echo(" ".join(f"{k}={result[k]}" for k in ("received", "inserted", "corrected", "duplicate", "rejected")))
    for r in result["rejections"][:20]:
        click.echo(f"  line {r['line']}: {r['field']}: {r['reason']}")
    if result["rejected"] > 20:
        click.echo(f"  … {result['rejected'] - 20} more rejected rows in the report")
    if report_path:
        report_path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


@click.command("ingest-inbox")
@with_appcontext
def inbox_command() -> None:
    """Ingest every file waiting in instance/inbox/SOURCE/ (what the scheduled job does)."""
    inbox = Path(current_app.config.get("INBOX_PATH") or Path(current_app.instance_path) / "inbox")
    for r in service.scan_inbox(db.scope, inbox):
        click.echo(f"{r['source']}/{r['file']}: {r['outcome']}")
