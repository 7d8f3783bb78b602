"""``flask --app app features snapshot [--as-of DATE]``: compute every firm's features and keep them."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from bank_tax.db import db, utcnow
from bank_tax.enterprises.models import Enterprise
from bank_tax.features import pipeline, service

features_cli = AppGroup("features", help="The feature pipeline.")


@features_cli.command("snapshot")
@click.option("--as-of", "as_of", default=None, help="ISO date or time (UTC); default: now")
def snapshot_command(as_of: str | None) -> None:
    """Compute the catalogue's features for every registered firm as of a moment and store the snapshot."""
    moment = utcnow() if as_of is None else dt.datetime.fromisoformat(as_of).replace(tzinfo=dt.UTC)
    with db.scope() as session:
        firms = session.scalars(sa.select(Enterprise.uscc)).all()
        frame = pipeline.compute(session, usccs=firms, as_of=moment)
        snap = service.save(session, frame, as_of=moment)
        click.echo(
            f"snapshot {snap.id}: {snap.n_firms} firms × {len(frame.names)} features as of "
            f"{moment.isoformat()} ({snap.feature_set_version})"
        )
