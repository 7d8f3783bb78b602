"""``flask --app app features snapshot [--as-of DATE]``: compute every firm's features and keep them."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from bank_tax import clock
from bank_tax.db import db
from bank_tax.enterprises.models import Enterprise
from bank_tax.features import pipeline, service

features_cli = AppGroup("features", help="The feature pipeline.")


@features_cli.command("snapshot")
@click.option("--as-of", "as_of", default=None, help="ISO date or time (in China's time unless zoned); default: now")
def snapshot_command(as_of: str | None) -> None:
    """Compute the catalogue's features for every registered firm as of a moment and store the snapshot."""
    moment = clock.now() if as_of is None else clock.parse_moment(as_of)
    with db.scope() as session:
        firms = session.scalars(sa.select(Enterprise.uscc)).all()
        frame = pipeline.compute(session, usccs=firms, as_of=moment)
        snap = service.save(session, frame, as_of=moment)
        click.echo(
            f"snapshot {snap.id}: {snap.n_firms} firms × {len(frame.names)} features as of "
            f"{moment.astimezone(clock.SHANGHAI).isoformat()} ({snap.feature_set_version})"
        )
