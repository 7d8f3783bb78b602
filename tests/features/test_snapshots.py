"""Feature snapshots round-trip exactly and refuse altered bytes."""

import numpy as np
import pytest
import sqlalchemy as sa

from bank_tax.errors import Conflict
from bank_tax.features import pipeline, service
from bank_tax.features.models import FeatureSnapshot
from tests.features.test_pipeline import AS_OF, firm  # noqa: F401  (fixture)


def test_round_trip_and_tamper(session, firm):  # noqa: F811
    frame = pipeline.compute(session, usccs=[firm], as_of=AS_OF)
    snap = service.save(session, frame, as_of=AS_OF)
    again = service.load(session, snap.id)
    assert again.names == frame.names and np.array_equal(again.values, frame.values, equal_nan=True)
    assert service.latest(session, as_of=AS_OF).id == snap.id
    session.execute(sa.update(FeatureSnapshot).where(FeatureSnapshot.id == snap.id).values(data=snap.data[:-1] + b"x"))
    session.expire_all()
    with pytest.raises(Conflict):
        service.load(session, snap.id)


def test_cli_snapshot(app, session, firm):  # noqa: F811
    result = app.test_cli_runner().invoke(args=["features", "snapshot", "--as-of", "2025-07-15"])
    assert result.exit_code == 0 and "features as of 2025-07-15" in result.output
