"""The scoring stage on Apache Spark (local[2], a real session) over a province export gives the features
and scores of the single-machine run, and its results come back as an equal score run."""

import datetime as dt
import os
import shutil

import numpy as np
import pyarrow.dataset as ds
import pytest
import sqlalchemy as sa

from bank_tax import demo, store
from bank_tax.batch import export, runner
from bank_tax.batch.results import import_scores
from bank_tax.db import db
from bank_tax.errors import Conflict
from bank_tax.features import service as snapshots
from bank_tax.features.catalogue import NAMES
from bank_tax.modelling import scoring
from bank_tax.modelling.models import ScoreRunPart
from bank_tax.synth.province import SynthParams, generate
from bank_tax.synth.writers import write_province
from tests import factories

pytestmark = pytest.mark.slow
AS_OF = dt.datetime(2026, 10, 12, 2, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Java under CI: tests/with-java.sh should have installed it")
        pytest.skip("no Java: make test installs it (tests/with-java.sh)")
    from bank_tax.batch.spark import session

    s = session("local[2]", app_name="bank-tax tests")
    yield s
    s.stop()


@pytest.fixture
def province(committing_app, fitted, tmp_path):
    factories.champion_registry(committing_app, fitted, tmp_path / "models")
    params = SynthParams.make(firms=90, months=30, seed=4, end_period="2026-09", faults=False)
    write_province(generate(params), tmp_path / "p")
    with committing_app.app_context(), db.scope() as s:
        demo.load_records(s, tmp_path / "p")
    return committing_app


def _scores(s, run_id):
    t = scoring.run_scores(s, run_id).to_pydict()
    return {u: (p, pts, g, r) for u, p, pts, g, r in zip(*t.values(), strict=True)}


def test_spark_scores_the_export_as_this_machine_does(province, spark, tmp_path):
    from bank_tax.batch.spark import score_export

    with province.app_context():
        local = runner.run("scores", as_of=AS_OF, workers=1, partition_firms=25)
        exported = runner.run("export", as_of=AS_OF, workers=1, partition_firms=25)
        folder = store.root() / export.folder(exported.run_id)
        with db.scope() as s:
            frame = snapshots.load(s, local.snapshot_id)
            ours = _scores(s, local.score_run_id)
    assert exported.status == "done" and exported.partitions == local.partitions == 4 and len(ours) == 90

    manifest = score_export(spark, str(folder), str(tmp_path / "scored"))
    assert [p["part"] for p in manifest["parts"]] == [0, 1, 2, 3]
    assert all(store.digest(folder / p["path"]) == p["sha256"] for p in manifest["parts"])
    theirs = ds.dataset(tmp_path / "scored", partitioning="hive").to_table().sort_by("uscc")
    usccs = theirs.column("uscc").to_numpy(zero_copy_only=False).astype("U18")
    assert np.array_equal(usccs, frame.usccs)
    features = np.column_stack([theirs.column(n).to_numpy() for n in NAMES])
    assert np.isnan(features).sum() == np.isnan(frame.values).sum() > 0  # missing where it was missing
    np.testing.assert_allclose(features, frame.values, rtol=1e-12, atol=1e-12)
    pd_ = theirs.column("pd").to_numpy()
    np.testing.assert_allclose(pd_, [ours[u][0] for u in usccs], rtol=1e-12, atol=1e-12)
    for column, i in (("points", 1), ("grade", 2), ("reasons", 3)):
        assert theirs.column(column).to_pylist() == [ours[u][i] for u in usccs], column

    with province.app_context():
        with db.scope() as s:
            run = import_scores(s, tmp_path / "scored", folder)
            run_id, as_of, n = run.id, run.as_of, run.n_firms
        with db.scope() as s:
            back = _scores(s, run_id)
            again = snapshots.load(s, run.snapshot_id)
    assert as_of == AS_OF and n == 90 and back.keys() == ours.keys()
    assert all(back[u][1:] == ours[u][1:] and back[u][0] == pytest.approx(ours[u][0], abs=1e-12) for u in ours)
    np.testing.assert_allclose(again.values, frame.values, rtol=1e-12, atol=1e-12)

    # results missing a partition are refused whole, and nothing is recorded
    shutil.rmtree(tmp_path / "scored" / "part=2")
    with province.app_context():
        with pytest.raises(Conflict, match="part 2"), db.scope() as s:
            import_scores(s, tmp_path / "scored", folder)
        with db.scope() as s:
            assert s.scalar(sa.select(sa.func.sum(ScoreRunPart.n_firms))) == 2 * 90
