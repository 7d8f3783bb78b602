"""The benchmark's DuckDB query computes the same catalogue as ``derive`` (so its timing compares equals)."""

import datetime as dt

import numpy as np
import pytest

from bank_tax.features import pipeline
from bank_tax.features.catalogue import NAMES

pytest.importorskip("duckdb")


@pytest.mark.parametrize(
    "as_of", [None, dt.datetime(2026, 6, 30, 20, tzinfo=dt.UTC)], ids=["generated", "china-new-month"]
)
def test_duckdb_features_equal_derive(as_of):
    """Every feature of the catalogue, to 1e-9 with the same missing cells, on generated inputs (firms with
    no rows of a source, gaps, late filings, arrears and listings)."""
    from bank_tax.bench.duckdb_features import arrow_tables, connect, duckdb_features, parameters
    from bank_tax.bench.features import generate_inputs

    inputs = generate_inputs(800, seed=3) if as_of is None else generate_inputs(800, seed=5, as_of=as_of)
    ours = pipeline.derive(inputs)
    theirs = duckdb_features(connect(arrow_tables(inputs)), parameters(inputs))
    assert theirs.names == ours.names == NAMES
    assert theirs.usccs.tolist() == ours.usccs.tolist()
    for j, name in enumerate(NAMES):
        a, b = ours.values[:, j], theirs.values[:, j]
        assert np.array_equal(np.isnan(a), np.isnan(b)), (name, np.nonzero(np.isnan(a) != np.isnan(b))[0][:5])
        ok = ~np.isnan(a)
        assert np.allclose(a[ok], b[ok], rtol=1e-9, atol=1e-9), (name, a[ok][:5], b[ok][:5])
    assert (~np.isnan(ours.values)).mean() > 0.8


def test_duckdb_features_of_a_partition_without_records():
    """Firms with no record of any source: counts 0, sums and ratios missing, as ``derive`` has them."""
    from bank_tax.bench.duckdb_features import arrow_tables, connect, duckdb_features, parameters
    from bank_tax.bench.features import generate_inputs

    inputs = generate_inputs(50, seed=2)
    for source in ("vat", "si", "hf", "power", "water", "gas", "arrears", "grades", "lists"):
        rows = getattr(inputs, source)
        setattr(inputs, source, {c: v[:0] for c, v in rows.items()})
    ours = pipeline.derive(inputs)
    theirs = duckdb_features(connect(arrow_tables(inputs)), parameters(inputs))
    assert np.array_equal(ours.values, theirs.values, equal_nan=True)
