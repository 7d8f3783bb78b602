"""A partition's inputs survive the trip through one Arrow table and a Parquet file, in any row order: the
features computed from them are bit for bit those computed from the database read."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bank_tax.features import exchange, pipeline

AS_OF = dt.datetime(2026, 7, 20, tzinfo=dt.UTC)


def test_inputs_through_arrow_and_parquet_give_the_same_features(session, province, tmp_path):
    inputs = pipeline.read(session, usccs=province, as_of=AS_OF)
    assert inputs.lists["uscc"].size and inputs.arrears["uscc"].size and inputs.gas["uscc"].size  # every kind
    table = exchange.inputs_table(inputs)
    assert table.schema == exchange.SCHEMA
    pq.write_table(table, tmp_path / "inputs.parquet")
    back = pq.read_table(tmp_path / "inputs.parquet")
    shuffled = back.take(pa.array(np.random.default_rng(1).permutation(back.num_rows)))  # as a shuffle delivers
    again = exchange.table_inputs(shuffled, as_of=AS_OF)
    for name, columns in exchange.TABLES.items():
        a = {"uscc": inputs.usccs, "established": inputs.established} if name == "firms" else getattr(inputs, name)
        b = {"uscc": again.usccs, "established": again.established} if name == "firms" else getattr(again, name)
        for c, kind in columns.items():
            assert b[c].dtype == np.dtype(kind), (name, c)
            assert np.array_equal(a[c], b[c], equal_nan=b[c].dtype.kind in "fM"), (name, c)
    ours, theirs = pipeline.derive(inputs), pipeline.derive(again)
    assert np.array_equal(ours.values, theirs.values, equal_nan=True) and np.array_equal(ours.usccs, theirs.usccs)


def test_an_empty_partition_goes_and_comes_back_empty(session):
    inputs = pipeline.read(session, usccs=[], as_of=AS_OF)
    again = exchange.table_inputs(exchange.inputs_table(inputs), as_of=AS_OF)
    assert again.usccs.size == 0 and pipeline.derive(again).values.shape == (0, len(pipeline.NAMES))


def test_two_inputs_cannot_give_one_column_two_types(monkeypatch):
    monkeypatch.setitem(exchange.TABLES, "odd", {"uscc": "U18", "amount": "int64"})
    with pytest.raises(TypeError, match="amount"):
        exchange._union()
