"""The columnar pipeline agrees with the plain pandas reference to 1e-9 on a synthetic province."""

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from bank_tax.features import pipeline
from bank_tax.sources.specs import SOURCES
from tests.features import reference


# midnight UTC, and 20:00 UTC on 30 June: already 1 July in China, so June is a full month there
@pytest.mark.parametrize(
    "as_of", ["2026-07-20T00:00:00+00:00", "2025-11-03T00:00:00+00:00", "2026-06-30T20:00:00+00:00"]
)
def test_pipeline_agrees_with_pandas(session, province, as_of):
    moment = dt.datetime.fromisoformat(as_of)
    ours = pipeline.compute(session, usccs=province, as_of=moment)
    ref = reference.compute(session, province, moment).loc[list(ours.usccs)]
    for j, name in enumerate(ours.names):
        a, b = ours.values[:, j], ref[name].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), (name, np.nonzero(np.isnan(a) != np.isnan(b))[0][:5])
        ok = ~np.isnan(a)
        assert np.allclose(a[ok], b[ok], rtol=1e-9, atol=1e-9), (name, a[ok][:5], b[ok][:5])
    assert session.scalar(sa.select(sa.func.count()).select_from(SOURCES["vat_declarations"].table)) > 1000


@pytest.mark.parametrize("as_of", ["2026-07-20", "2025-11-03"])
def test_the_benchmarks_pandas_groupby_version_agrees_too(session, province, as_of):
    """The benchmark's competitor computes the same catalogue (so its timing compares equals)."""
    from bank_tax.bench.features import agree, pandas_features

    moment = dt.datetime.fromisoformat(as_of).replace(tzinfo=dt.UTC)
    inputs = pipeline.read(session, usccs=province, as_of=moment)
    assert agree(pipeline.derive(inputs), pandas_features(inputs))


def test_the_benchmarks_generated_inputs_agree():
    from bank_tax.bench.features import agree, generate_inputs, pandas_features

    inputs = generate_inputs(800, seed=3)
    frame = pipeline.derive(inputs)
    assert agree(frame, pandas_features(inputs))
    assert (~np.isnan(frame.values)).mean() > 0.8  # every category is filled, not a table of NaN


def test_features_do_not_depend_on_the_order_rows_come_in():
    """Rows a firm at a time (looked up once per run) or in any order (each looked up in the hash table),
    with rows of firms not asked about: the same features, bit for bit."""
    from bank_tax.bench.features import generate_inputs

    inputs = generate_inputs(3000, seed=4)
    asked = inputs.usccs[::3]
    grouped = pipeline.derive(
        pipeline.Inputs(**{**vars(inputs), "usccs": asked, "established": inputs.established[::3]})
    )
    rng = np.random.default_rng(0)
    for source in ("vat", "si", "hf", "power", "water", "gas", "arrears", "grades", "lists"):
        rows = getattr(inputs, source)
        order = rng.permutation(rows["uscc"].size)
        setattr(inputs, source, {c: v[order] for c, v in rows.items()})
    shuffled = pipeline.derive(
        pipeline.Inputs(**{**vars(inputs), "usccs": asked, "established": inputs.established[::3]})
    )
    assert np.array_equal(grouped.values, shuffled.values, equal_nan=True)
    assert (~np.isnan(grouped.values)).mean() > 0.8


def test_reads_by_code_range_agree_with_reads_by_list(session, province, monkeypatch):
    """A partition (more firms than a list filter suits) is read by its range of codes: the same features
    as reading the firms by list, for the whole province and for a slice of it."""
    from bank_tax.features import panels

    moment = dt.datetime(2026, 7, 20, tzinfo=dt.UTC)
    codes = sorted(province)
    by_list = pipeline.compute(session, usccs=codes, as_of=moment)
    from bank_tax.sources import service as sources

    monkeypatch.setattr(sources, "PUSHDOWN_FIRMS", 5)  # every read of more than 5 firms goes by range
    for chosen in (codes, codes[10:30], codes[::7]):
        assert panels.firm_filter(np.array(chosen)) == "range"
        by_range = pipeline.compute(session, usccs=chosen, as_of=moment)
        rows = np.searchsorted(by_list.usccs, by_range.usccs)
        assert by_range.usccs.tolist() == sorted(chosen)
        assert np.array_equal(by_range.values, by_list.values[rows], equal_nan=True)
