"""``flask --app app report effect --quarter 2026Q3 [--format json|csv|xlsx] [--out FILE]``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from bank_tax.db import db
from bank_tax.reports import service

report_cli = AppGroup("report", help="Reports.")


@report_cli.command("effect")
@click.option("--quarter", required=True, help="YYYYQn, e.g. 2026Q3")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="write here (default: stdout; xlsx needs it)"
)
def effect_command(quarter: str, fmt: str, out: Path | None) -> None:
    """Compute the quarter's effect report, keep it as an edition, and write it."""
    with db.scope() as session:
        edition = service.produce_effect(session, quarter=quarter, actor=None)
        body = json.loads(edition.body)
    data = {
        "json": lambda b: json.dumps(b, ensure_ascii=False, indent=2).encode(),
        "csv": service.to_csv,
        "xlsx": service.to_xlsx,
    }[fmt](body)
    if out:
        out.write_bytes(data)
        click.echo(f"wrote {out} (edition {edition.id})")
    elif fmt == "xlsx":
        raise click.UsageError("--out is needed for xlsx")
    else:
        click.echo(data.decode("utf-8-sig"))
