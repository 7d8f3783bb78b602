"""``flask --app app features snapshot [--as-of DATE]``: compute every firm's features and keep them, by
partitions of firms."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bank_tax import clock
from bank_tax.batch.options import partition_options, require_done
from bank_tax.db import db
from bank_tax.features.catalogue import NAMES
from bank_tax.features.models import FeatureSnapshot

features_cli = AppGroup("features", help="The feature pipeline.")


@features_cli.command("snapshot")
@click.option("--as-of", "as_of", default=None, help="ISO date or time (in China's time unless zoned); default: now")
@partition_options
def snapshot_command(as_of: str | None, workers: int | None, partition_firms: int | None) -> None:
    """Compute the catalogue's features for every registered firm as of a moment and store the snapshot,
    one partition of firms at a time (a killed run resumes when run again)."""
    from bank_tax.batch import runner

    summary = runner.run(
        "features",
        as_of=clock.parse_moment(as_of) if as_of else None,
        workers=workers,
        partition_firms=partition_firms,
        progress=True,
    )
    require_done(summary)
    with db.scope() as session:
        snap = session.get(FeatureSnapshot, summary.snapshot_id)
        click.echo(
            f"snapshot {snap.id}: {snap.n_firms} firms × {len(NAMES)} features as of "
            f"{summary.as_of.astimezone(clock.SHANGHAI).isoformat()} ({snap.feature_set_version}), "
            f"{summary.partitions} partitions"
        )
