"""Storing and reloading feature snapshots (so any score can be reproduced from its exact inputs), as
Parquet parts in the columnar store (:mod:`bank_tax.store`)."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import store
from bank_tax.errors import Conflict, NotFound
from bank_tax.features.catalogue import FEATURE_SET_VERSION
from bank_tax.features.models import FeatureSnapshot, FeatureSnapshotPart
from bank_tax.features.pipeline import FeatureFrame


def frame_table(frame: FeatureFrame) -> pa.Table:
    """A frame as an Arrow table: ``uscc`` then one float64 column per feature (NaN where missing)."""
    cols = {"uscc": pa.array(frame.usccs.astype(str), pa.string())}
    for j, name in enumerate(frame.names):
        cols[name] = pa.array(np.ascontiguousarray(frame.values[:, j]), pa.float64())
    return pa.table(cols)


def table_frame(table: pa.Table) -> FeatureFrame:
    """The inverse of :func:`frame_table`."""
    names = tuple(n for n in table.column_names if n != "uscc")
    usccs = np.asarray(table.column("uscc").to_numpy(zero_copy_only=False), dtype="U18")
    values = np.column_stack([table.column(n).to_numpy() for n in names]) if names else np.empty((len(usccs), 0))
    return FeatureFrame(usccs=usccs, names=names, values=values.reshape(len(usccs), len(names)))


def combined_digest(digests: list[str]) -> str:
    """The snapshot's digest: over its parts' digests, in part order."""
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def begin(
    session: Session, *, as_of: dt.datetime, bank_code: str | None = None, purpose: str | None = None
) -> FeatureSnapshot:
    """A new, empty snapshot to which parts are added (:func:`add_part`) and which :func:`finish` seals."""
    snap = FeatureSnapshot(
        as_of=as_of,
        feature_set_version=FEATURE_SET_VERSION,
        bank_code=bank_code,
        purpose=purpose,
        n_firms=0,
        sha256="",
    )
    session.add(snap)
    session.flush()
    return snap


def add_part(session: Session, snap: FeatureSnapshot, part: int, frame: FeatureFrame) -> FeatureSnapshotPart:
    """Write one partition's frame to the store and record it as part ``part`` of the snapshot."""
    stored = store.write(frame_table(frame), store.new_name("features"))
    row = FeatureSnapshotPart(snapshot_id=snap.id, part=part, **store.part_columns(stored, frame.usccs))
    session.add(row)
    session.flush()
    return row


def parts(session: Session, snapshot_id: int) -> list[FeatureSnapshotPart]:
    """The snapshot's parts in order."""
    return list(
        session.scalars(
            sa.select(FeatureSnapshotPart)
            .where(FeatureSnapshotPart.snapshot_id == snapshot_id)
            .order_by(FeatureSnapshotPart.part)
        )
    )


def finish(session: Session, snap: FeatureSnapshot) -> FeatureSnapshot:
    """Seal the snapshot: its firm count and the digest over its parts."""
    ps = parts(session, snap.id)
    snap.n_firms = sum(p.n_firms for p in ps)
    snap.sha256 = combined_digest([p.sha256 for p in ps])
    session.flush()
    return snap


def save(
    session: Session,
    frame: FeatureFrame,
    *,
    as_of: dt.datetime,
    bank_code: str | None = None,
    purpose: str | None = None,
) -> FeatureSnapshot:
    """Store a computed frame as a one-part snapshot of the current feature-set version."""
    snap = begin(session, as_of=as_of, bank_code=bank_code, purpose=purpose)
    add_part(session, snap, 0, frame)
    return finish(session, snap)


def load(session: Session, snapshot_id: int) -> FeatureFrame:
    """A stored snapshot as a frame; refuses one whose parts no longer match their digests."""
    snap = session.get(FeatureSnapshot, snapshot_id)
    if snap is None:
        raise NotFound("no such feature snapshot")
    ps = parts(session, snapshot_id)
    if combined_digest([p.sha256 for p in ps]) != snap.sha256:
        raise Conflict(f"feature snapshot {snapshot_id}: its parts do not match its digest; they were altered")
    tables = [store.read(p.path, p.sha256) for p in ps]
    if not tables:
        return FeatureFrame(usccs=np.array([], dtype="U18"), names=(), values=np.empty((0, 0)))
    return table_frame(pa.concat_tables(tables))


def latest(session: Session, *, as_of: dt.datetime, bank_code: str | None = None) -> FeatureSnapshot | None:
    """The newest snapshot of the current feature-set version for exactly this moment (and bank)."""
    return session.scalar(
        sa.select(FeatureSnapshot)
        .where(
            FeatureSnapshot.as_of == as_of,
            FeatureSnapshot.feature_set_version == FEATURE_SET_VERSION,
            FeatureSnapshot.bank_code.is_(None) if bank_code is None else FeatureSnapshot.bank_code == bank_code,
            FeatureSnapshot.sha256 != "",  # sealed: every part is in
        )
        .order_by(FeatureSnapshot.id.desc())
    )
