"""Storing and reloading feature snapshots (so any score can be reproduced from its exact inputs)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.errors import Conflict, NotFound
from bank_tax.features.catalogue import FEATURE_SET_VERSION
from bank_tax.features.models import FeatureSnapshot
from bank_tax.features.pipeline import FeatureFrame


def save(
    session: Session,
    frame: FeatureFrame,
    *,
    as_of: dt.datetime,
    bank_code: str | None = None,
    purpose: str | None = None,
) -> FeatureSnapshot:
    """Store a computed frame as a snapshot of the current feature-set version."""
    buf = io.BytesIO()
    np.savez_compressed(buf, usccs=frame.usccs, names=np.array(frame.names), values=frame.values)
    data = buf.getvalue()
    snap = FeatureSnapshot(
        as_of=as_of,
        feature_set_version=FEATURE_SET_VERSION,
        bank_code=bank_code,
        purpose=purpose,
        n_firms=int(frame.usccs.shape[0]),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    session.add(snap)
    session.flush()
    return snap


def load(session: Session, snapshot_id: int) -> FeatureFrame:
    """A stored snapshot as a frame; refuses one whose bytes no longer match their hash."""
    snap = session.get(FeatureSnapshot, snapshot_id)
    if snap is None:
        raise NotFound("no such feature snapshot")
    if hashlib.sha256(snap.data).hexdigest() != snap.sha256:
        raise Conflict(f"feature snapshot {snapshot_id} does not match its hash; it was altered")
    with np.load(io.BytesIO(snap.data), allow_pickle=False) as z:
        names = tuple(str(n) for n in z["names"])
        return FeatureFrame(usccs=z["usccs"], names=names, values=z["values"])


def latest(session: Session, *, as_of: dt.datetime, bank_code: str | None = None) -> FeatureSnapshot | None:
    """The newest snapshot of the current feature-set version for exactly this moment (and bank)."""
    return session.scalar(
        sa.select(FeatureSnapshot)
        .where(
            FeatureSnapshot.as_of == as_of,
            FeatureSnapshot.feature_set_version == FEATURE_SET_VERSION,
            FeatureSnapshot.bank_code.is_(None) if bank_code is None else FeatureSnapshot.bank_code == bank_code,
        )
        .order_by(FeatureSnapshot.id.desc())
    )
