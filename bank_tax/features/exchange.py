"""A partition's inputs as one Arrow table, and back: the form in which they leave the database for another
process or machine (the province export, a Spark task) and come back unchanged.

One long table per partition: a ``table`` column names what a row is (``firms`` for the partition's firms
with their founding day, then each of :class:`~bank_tax.features.pipeline.Inputs`' sources), ``row`` keeps
the order rows were read in (a shuffle may reorder them; sums are then added in the same order and come out
bit for bit equal), and the union of the sources' columns follows, null where a source has no such column.
Floats keep their NaN, dates are ``date32`` (a month is its first day), codes are strings.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bank_tax.features.pipeline import INPUT_COLUMNS, Inputs

_ARROW = {"f": pa.float64(), "i": pa.int64(), "U": pa.string(), "M": pa.date32()}
FIRMS = {"uscc": "U18", "established": "datetime64[D]"}
TABLES = {"firms": FIRMS, **INPUT_COLUMNS}


def _union() -> dict[str, str]:
    """Every column of every table with its numpy type, refusing a name two tables type differently."""
    out: dict[str, str] = {}
    for columns in TABLES.values():
        for name, kind in columns.items():
            if out.setdefault(name, kind) != kind:
                raise TypeError(f"column {name} is {out[name]} in one input and {kind} in another")
    return out


COLUMNS = _union()
SCHEMA = pa.schema(
    [pa.field("table", pa.string(), nullable=False), pa.field("row", pa.int64(), nullable=False)]
    + [pa.field(name, _ARROW[np.dtype(kind).kind]) for name, kind in COLUMNS.items()]
)


def _arrow(values: np.ndarray, kind: str) -> pa.Array:
    if np.dtype(kind).kind == "M":
        return pa.array(np.asarray(values).astype("datetime64[D]"), pa.date32())
    if np.dtype(kind).kind == "U":
        return pa.array(np.asarray(values).astype(str), pa.string())
    return pa.array(np.asarray(values, dtype=kind), _ARROW[np.dtype(kind).kind])


def inputs_table(inp: Inputs) -> pa.Table:
    """The inputs of one partition as one Arrow table of :data:`SCHEMA` (see the module docstring)."""
    pieces, start = [], 0
    for name, columns in TABLES.items():
        rows = {"uscc": inp.usccs, "established": inp.established} if name == "firms" else getattr(inp, name)
        n = len(rows.get("uscc", ()))
        arrays = {"table": pa.array([name] * n, pa.string()), "row": pa.array(np.arange(start, start + n))}
        for column, field in zip(COLUMNS, list(SCHEMA)[2:], strict=True):
            arrays[column] = _arrow(rows[column], columns[column]) if column in columns else pa.nulls(n, field.type)
        pieces.append(pa.table(arrays, schema=SCHEMA))
        start += n
    return pa.concat_tables(pieces)


def _numpy(column: pa.ChunkedArray, kind: str) -> np.ndarray:
    values = column.to_numpy(zero_copy_only=False)
    return values.astype(kind)


def table_inputs(table: pa.Table, *, as_of: dt.datetime) -> Inputs:
    """The inverse of :func:`inputs_table`: rows in their original order whatever order they arrive in;
    columns beyond :data:`SCHEMA` (a Spark partition column) are ignored."""
    table = table.sort_by("row")
    kinds = table.column("table")
    parts = {}
    for name, columns in TABLES.items():
        rows = table.filter(pc.equal(kinds, name))
        parts[name] = {c: _numpy(rows.column(c), k) for c, k in columns.items()}
    firms = parts.pop("firms")
    return Inputs(usccs=firms["uscc"], as_of=as_of, established=firms["established"], **parts)
