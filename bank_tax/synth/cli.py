"""``flask --app app synth``: write a synthetic province in the agencies' file formats."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("synth")
@click.option("--firms", default=400, show_default=True, type=click.IntRange(10, 2_000_000))
@click.option("--months", default=36, show_default=True, type=click.IntRange(12, 120))
@click.option("--seed", default=20260101, show_default=True, type=int)
@click.option("--end", "end_period", default=None, help="last month simulated, YYYY-MM (default: last full month)")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
def synth_command(firms: int, months: int, seed: int, end_period: str | None, out_dir: Path) -> None:
    """Simulate FIRMS firms over MONTHS months and write them to OUT (deterministic for a seed)."""
    from bank_tax.synth.province import SynthParams, generate
    from bank_tax.synth.writers import write_province

    params = SynthParams.make(firms=firms, months=months, seed=seed, end_period=end_period)
    province = generate(params, progress=True)
    manifest = write_province(province, out_dir, progress=True)
    click.echo(f"wrote {len(manifest['files'])} files to {out_dir}")
    for key, value in manifest["summary"].items():
        click.echo(f"  {key}: {value}")
