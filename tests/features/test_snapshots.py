"""Feature snapshots round-trip exactly through the columnar store and refuse altered bytes."""

import numpy as np
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from bank_tax import store
from bank_tax.errors import Conflict
from bank_tax.features import pipeline, service
from bank_tax.features.models import FeatureSnapshotPart
from tests.features.test_pipeline import AS_OF, firm  # noqa: F401  (fixture)


def test_round_trip_and_tamper(app, session, firm):  # noqa: F811
    """A snapshot is Parquet in the store, reloads bit for bit, and refuses an altered or missing part."""
    frame = pipeline.compute(session, usccs=[firm], as_of=AS_OF)
    with app.app_context():
        snap = service.save(session, frame, as_of=AS_OF)
        again = service.load(session, snap.id)
        assert again.names == frame.names and np.array_equal(again.values, frame.values, equal_nan=True)
        assert again.usccs.tolist() == frame.usccs.tolist()
        assert service.latest(session, as_of=AS_OF).id == snap.id
        (part,) = service.parts(session, snap.id)
        path = store.root() / part.path
        assert path.suffix == ".parquet" and pq.read_table(path).column_names == ["uscc", *frame.names]
        original = path.read_bytes()
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one bit flipped
        with pytest.raises(Conflict):
            service.load(session, snap.id)
        path.write_bytes(original)
        assert service.load(session, snap.id).names == frame.names
        session.execute(sa.delete(FeatureSnapshotPart).where(FeatureSnapshotPart.id == part.id))  # a part dropped
        with pytest.raises(Conflict):
            service.load(session, snap.id)


def test_cli_snapshot(app, session, firm):  # noqa: F811
    result = app.test_cli_runner().invoke(args=["features", "snapshot", "--as-of", "2025-07-15"])
    assert result.exit_code == 0 and "features as of 2025-07-15" in result.output
