"""``flask --app app bench``: the same benchmark as ``python -m bank_tax.bench``."""

from __future__ import annotations

import click


@click.command("bench")
@click.option("--quick", is_flag=True, help="small sizes, for a smoke run")
def bench_cli(quick: bool) -> None:
    """Run the benchmarks and write bench-results.json."""
    from bank_tax.bench.__main__ import main

    main(["--quick"] if quick else [])
