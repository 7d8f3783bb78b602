"""The command-line options every partitioned stage's command takes (imports nothing of ours)."""

from __future__ import annotations

import click


def partition_options(command):
    """``--workers`` and ``--partition-firms``, as every batch command spells them."""
    command = click.option(
        "--partition-firms", type=int, default=None, help="firms per partition (default: BATCH_PARTITION_FIRMS)"
    )(command)
    return click.option(
        "--workers", type=int, default=None, help="worker processes (default: BATCH_WORKERS, 0 = one per core)"
    )(command)


def require_done(summary, what: str = "batch run") -> None:
    """Fail the command, saying how to resume, unless the run it drove finished."""
    if summary.status != "done":
        raise click.ClickException(f"{what} {summary.run_id} is {summary.status}: run it again to resume")
