"""The records' full history for one partition of firms, as Arrow tables: every version of every agency
record that had arrived by a moment, with when it arrived, the batch it came in and when a later
version superseded it (as known at that moment). It is what an analyst needs to rebuild any past
point in time, or audit a correction, without the database: the province's history export
(:class:`bank_tax.batch.stages.History`) writes these tables as Parquet, partition by partition.

Columns are the record table's own, typed from the table (codes as strings, money in 分 as int64, days
as date32, moments as UTC timestamps), less the internal change-detection hash. Rows are ordered by
firm, then id, so the same moment gives the same file."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.db import fetch_columns
from bank_tax.sources.service import firm_bind, firm_filter, firm_params, open_disputes
from bank_tax.sources.specs import SOURCES, Source

HIDDEN = ("row_hash",)  # the ingester's own: not part of the record
DISPUTED = "under_dispute"


def arrow_type(column: sa.Column) -> pa.DataType:
    """The Arrow type of a record column."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):  # BigInteger and Integer
        return pa.int64()
    if isinstance(kind, sa.Float):
        return pa.float64()
    if isinstance(kind, sa.DateTime) or getattr(kind, "impl", None) is not None and isinstance(kind.impl, sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Date):
        return pa.date32()
    return pa.string()


def schema(spec: Source) -> pa.Schema:
    """The history table's schema of one source: the table's columns, then ``under_dispute`` (the firm
    contested the record and the dispute was open at the moment: the features then left it out)."""
    return pa.schema(
        [
            pa.field(c.name, arrow_type(c), nullable=c.nullable or c.name == "superseded_at")
            for c in spec.table.__table__.columns
            if c.name not in HIDDEN
        ]
        + [pa.field(DISPUTED, pa.bool_(), nullable=False)]
    )


def _array(values, kind: pa.DataType) -> pa.Array:
    if isinstance(values, np.ndarray) and values.dtype.kind == "f" and not pa.types.is_floating(kind):
        return pa.array(values, type=kind, from_pandas=True)  # PostgreSQL's nullable integers come as NaN
    if (pa.types.is_timestamp(kind) or pa.types.is_date32(kind)) and any(isinstance(v, str) for v in values):
        return pa.array(list(values), pa.string()).cast(kind)  # ISO text (PostgreSQL's COPY writes moments so)
    return pa.array(list(values) if isinstance(values, np.ndarray) and values.dtype == object else values, kind)


def partition(session: Session, *, usccs: list[str], as_of: dt.datetime) -> dict[str, pa.Table]:
    """Every source's history for the firms ``usccs`` (sorted) as known at ``as_of``: one table per source.
    Many firms (a partition) are read as the range of their codes and cut to them
    (:func:`bank_tax.sources.service.firm_filter`, as the feature reads do)."""
    codes = np.asarray(usccs, dtype=str)
    how = firm_filter(codes)
    params = {"as_of": as_of, **firm_params(codes, how)}
    asked = pa.array(codes.tolist(), pa.string())
    out = {}
    for name, spec in SOURCES.items():
        target = schema(spec)
        values = fetch_columns(session, _statement(spec, how), params)
        table = pa.table([_array(v, f.type) for v, f in zip(values, target, strict=True)], schema=target)
        if how == "range":
            table = table.filter(pc.is_in(table.column("uscc"), value_set=asked))
        out[name] = table
    return out


def _statement(spec: Source, how: str) -> sa.Select:
    table = spec.table.__table__
    superseded = table.c.superseded_at
    as_of = sa.bindparam("as_of")
    shown = []
    for f in schema(spec):
        if f.name == DISPUTED:
            disputed = table.c.id.in_(open_disputes(spec, as_of=as_of))
            shown.append(sa.case((disputed, sa.true()), else_=sa.false()).label(f.name))
            continue
        column = table.c[f.name]
        if f.name == "superseded_at":  # a version superseded after the moment was still current then
            shown.append(sa.case((superseded <= as_of, superseded), else_=None).label(f.name))
        elif pa.types.is_date32(f.type):
            shown.append(sa.cast(column, sa.String).label(f.name))  # ISO text, parsed by Arrow, on both databases
        else:
            shown.append(column)
    bound = firm_bind(how)
    if "usccs" in bound:
        firms = table.c.uscc.in_(bound["usccs"])
    else:
        firms = table.c.uscc.between(*bound["code_range"])
    return sa.select(*shown).where(firms, table.c.received_at <= as_of).order_by(table.c.uscc, table.c.id)
