"""Dense firm × month panels of agency records, exactly as they were known at an as-of moment.

A panel holds, for the firms asked about and the ``months`` calendar months ending with the last full
month before ``as_of``, one float64 matrix per column (NaN where no record). Only records received by
``as_of`` count, each at the latest version known then, and records under dispute then are left out.
This is the one shape the feature pipeline computes on: windows become slices and cumulative sums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.db import fetch_columns
from bank_tax.sources.service import (  # noqa: F401 (firm_filter is read from here too)
    PUSHDOWN_FIRMS,
    current_versions,
    firm_bind,
    firm_filter,
    firm_params,
    open_disputes,
)
from bank_tax.sources.specs import Source


@dataclass(frozen=True)
class Panel:
    """Firms (sorted), the months covered, and one (firms × months) matrix per column."""

    usccs: np.ndarray
    months: np.ndarray  # datetime64[M], oldest first
    values: dict[str, np.ndarray]

    def __getitem__(self, column: str) -> np.ndarray:
        return self.values[column]


def month_range(as_of: dt.datetime, months: int) -> np.ndarray:
    """The ``months`` calendar months ending with the last full month before ``as_of``."""
    last = np.datetime64(clock.business_date(as_of), "M") - 1
    return np.arange(last - months + 1, last + 1)


def _numeric(values, kind: str) -> np.ndarray:
    """A fetched column as float64: dates (fetched as ISO text) as day numbers, NULL as NaN."""
    if kind == "date":
        days = np.array(["NaT" if v is None else v for v in values], dtype="datetime64[D]")
        return np.where(np.isnat(days), np.nan, days.astype(np.int64).astype(np.float64))
    return np.array(values, dtype=np.float64)  # None becomes NaN


def as_text(column, kind: str):
    """Dates are fetched as ISO text: numpy parses text in C, while driver date objects cost a Python
    object per value (the same text on SQLite and PostgreSQL)."""
    return sa.cast(column, sa.String).label(column.name) if kind == "date" else column


_STATEMENTS: dict[tuple, sa.Select] = {}


def _monthly_statement(source: Source, columns: tuple[str, ...], how: str, equals) -> sa.Select:
    """The query of :func:`read_monthly`, built once per shape with bound parameters (``as_of``,
    ``first``, ``last`` and the firms, by list or range): building SQLAlchemy statements costs more than
    running them for a single firm."""
    key = (source.name, columns, how, equals)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        as_of = sa.bindparam("as_of")
        q = current_versions(
            source, as_of=as_of, period=(sa.bindparam("first"), sa.bindparam("last")), **firm_bind(how)
        ).subquery()
        kinds = {f.name: f.kind for f in source.fields}
        stmt = sa.select(
            q.c.uscc, as_text(q.c.period, "date"), *[as_text(q.c[c], kinds.get(c, "")) for c in columns]
        ).where(q.c.id.not_in(open_disputes(source, as_of=as_of)))
        if equals is not None:
            stmt = stmt.where(q.c[equals[0]] == equals[1])
        _STATEMENTS[key] = stmt
    return stmt


def read_monthly(
    session: Session,
    *,
    source: Source,
    columns: list[str],
    usccs: np.ndarray,
    as_of: dt.datetime,
    months: int = 36,
    equals: tuple[str, str] | None = None,
) -> dict[str, np.ndarray]:
    """The long rows of a monthly source for ``usccs`` within the ``months`` before ``as_of``, as known then.

    Returns ``uscc`` (U18), ``month`` (datetime64[M]) and each of ``columns`` as float64 (NaN for NULL;
    date columns as day numbers, days since 1970-01-01). ``equals`` (column, value) narrows rows further
    (e.g. one utility).
    """
    usccs = np.unique(np.asarray(usccs, dtype="U18"))
    span = month_range(as_of, months)
    how = firm_filter(usccs)
    stmt = _monthly_statement(source, tuple(columns), how, equals)
    params = {
        "as_of": as_of,
        "first": span[0].astype("datetime64[D]").item(),
        "last": span[-1].astype("datetime64[D]").item(),
        **firm_params(usccs, how),
    }
    cols = fetch_columns(session, stmt, params)  # in bulk: COPY on PostgreSQL, no row objects
    kinds = {f.name: f.kind for f in source.fields}
    if not len(cols[0]):
        return {"uscc": np.array([], dtype="U18"), "month": np.array([], dtype="datetime64[M]")} | {
            c: np.array([], dtype=np.float64) for c in columns
        }
    out = {
        "uscc": np.array(cols[0], dtype="U18"),
        "month": np.array(cols[1], dtype="datetime64[D]").astype("datetime64[M]"),
    }
    for c, col in zip(columns, cols[2:], strict=True):
        out[c] = _numeric(col, kinds.get(c, ""))
    return out


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit reaches every output bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _words(codes: np.ndarray) -> np.ndarray | None:
    """Each code as three 64-bit words (its characters as bytes, eight to a word): equal codes, equal
    words. Read straight from numpy's fixed-width text (one 32-bit code point a character), no text
    conversion; None for codes this cannot hold exactly (longer than 24 characters, or not ASCII)."""
    a = np.ascontiguousarray(np.asarray(codes, dtype=str))
    width = a.dtype.itemsize // 4
    if width > 24:
        return None
    chars = a.view(np.uint32).reshape(a.shape[0], width)
    if chars.size and chars.max() > 127:
        return None
    out = np.zeros((a.shape[0], 24), dtype=np.uint8)
    out[:, :width] = chars
    return out.view(np.uint64)


def _key(words: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _mix(_mix(_mix(words[:, 0]) ^ words[:, 1]) ^ words[:, 2])


def _neighbours_differ(codes: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """``codes[1:] != codes[:-1]``, comparing fixed-width text as machine words: the exclusive or of each
    word with its neighbour's, or-ed across a code, a chunk at a time (so it stays in cache); up to twice
    as fast as numpy's text comparison."""
    a = np.ascontiguousarray(codes)
    if a.dtype.kind != "U" or a.dtype.itemsize % 8 or a.shape[0] < 2:
        return a[1:] != a[:-1]
    words = a.view(np.uint64).reshape(a.shape[0], -1)
    n, width = a.shape[0] - 1, words.shape[1]
    out = np.empty(n, dtype=bool)
    x, acc = np.empty((min(chunk, n), width), dtype=np.uint64), np.empty(min(chunk, n), dtype=np.uint64)
    for start in range(0, n, chunk):
        k = min(chunk, n - start)
        np.bitwise_xor(words[start + 1 : start + 1 + k], words[start : start + k], out=x[:k])
        acc[:k] = x[:k, 0]
        for j in range(1, width):
            np.bitwise_or(acc[:k], x[:k, j], out=acc[:k])
        np.not_equal(acc[:k], 0, out=out[start : start + k])
    return out


def _run_starts(codes: np.ndarray) -> np.ndarray | None:
    """Where each run of equal adjacent codes starts, when the codes come in runs (a source's rows as read,
    a firm's months together); None when a sample of them shows no runs worth finding."""
    sample = codes[:1024]
    if sample.shape[0] < 2 or np.count_nonzero(sample[1:] != sample[:-1]) > sample.shape[0] // 2:
        return None
    starts = np.empty(np.count_nonzero(changes := _neighbours_differ(codes)) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = np.flatnonzero(changes) + 1
    return starts


def firm_positions(usccs: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row of each of ``codes`` in ``usccs`` (distinct codes) and whether it is one of them.

    Codes in runs (a firm's rows together, as the sources are read and generated) are looked up once per
    run: comparing neighbours costs a fraction of hashing every row. Codes in any other order (a month's
    file at a time, say) are each looked up in a hash table, exactly (:func:`_search`).
    """
    codes = np.asarray(codes)
    starts = _run_starts(codes)
    if starts is not None and starts.shape[0] < codes.shape[0] // 2:
        heads = codes[starts]
        if heads.shape[0] <= usccs.shape[0] and np.array_equal(heads, usccs[: heads.shape[0]]):
            # the firms themselves, in order (or the first of them): every source of a whole partition
            pos, hit = np.arange(heads.shape[0]), np.ones(heads.shape[0], dtype=bool)
        else:
            pos, hit = _search(usccs, heads)
        lengths = np.diff(np.r_[starts, codes.shape[0]])
        return np.repeat(pos, lengths), np.repeat(hit, lengths)
    return _search(usccs, codes)


def _table(keys: np.ndarray) -> tuple[np.ndarray, int] | None:
    """An open-addressing hash table of distinct 64-bit ``keys``: slot → row (-1 empty), at most half full,
    a key's first slot its top bits, collisions probing the next slots; None should two keys be equal.

    Built a round at a time over the rows still unplaced (of rows aiming at one free slot one wins, the
    others try the next slot), so every slot from a key's first to its own is taken, as a lookup needs."""
    bits = max(4, (2 * keys.shape[0]).bit_length())
    mask = (1 << bits) - 1
    home = (keys >> np.uint64(64 - bits)).astype(np.int64)
    table = np.full(1 << bits, -1, dtype=np.int64)
    pending, step = np.arange(keys.shape[0]), 0
    while pending.size:
        slot = (home[pending] + step) & mask
        free = table[slot] < 0
        table[slot[free]] = pending[free]
        holder = table[slot]  # a row placed before, or the one of this round that won the slot
        placed = holder == pending
        if (keys[holder[~placed]] == keys[pending[~placed]]).any():
            return None
        pending, step = pending[~placed], step + 1
    return table, bits


def _lookup(table: np.ndarray, bits: int, ukeys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The row of each of ``keys`` in :func:`_table`'s table of ``ukeys`` (-1 when absent): one gather per
    key for nearly all of them, where a binary search makes a cache miss at every step."""
    mask = (1 << bits) - 1
    home = (keys >> np.uint64(64 - bits)).astype(np.int64)
    at = table[home]  # the first slot, for every key at once: no row is filtered out in this round
    found = ukeys[at] == keys  # (an empty slot reads the last key; ``at >= 0`` below rules it out)
    pos = np.where(found & (at >= 0), at, -1)
    pending, step = np.flatnonzero(~found & (at >= 0)), 1
    while pending.size:  # keys whose first slot holds another key: the next slots, for those alone
        at = table[(home[pending] + step) & mask]
        occupied = at >= 0
        pending, at = pending[occupied], at[occupied]
        match = ukeys[at] == keys[pending]
        pos[pending[match]] = at[match]
        pending, step = pending[~match], step + 1
    return pos


def _search(usccs: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`firm_positions` code by code.

    Codes are compared as machine words, not as strings: each is hashed to one 64-bit key and looked up
    in a hash table of the firms' keys (hashing and gathering integers is many times faster than numpy's
    unicode comparisons). The answer is exact: a hit is confirmed word by word, and should two of
    ``usccs`` share a key (never seen, but possible) the search falls back to comparing text."""
    if usccs.size == 0:
        return np.zeros(codes.shape[0], dtype=np.int64), np.zeros(codes.shape[0], dtype=bool)
    wu, wc = _words(usccs), _words(codes)
    if wu is not None and wc is not None:
        ku = _key(wu)
        built = _table(ku)
        if built is not None:
            pos = _lookup(*built, ku, _key(wc))
            hit = pos >= 0
            pos[~hit] = 0
            for j in range(wu.shape[1]):  # word by word: a shared key is not a shared code
                hit &= wu[:, j][pos] == wc[:, j]
            return pos, hit
    by_text = np.argsort(usccs, kind="stable")  # not plain codes, or a shared key: compare as text
    at = np.minimum(np.searchsorted(usccs[by_text], codes), usccs.shape[0] - 1)
    pos = by_text[at]
    return pos, usccs[pos] == codes


@dataclass
class Cells:
    """Where each long row of a monthly source falls in the firms × months panel of a span.

    Found once per source (the firm of each row is the costly part), then any column, or a condition
    computed on the rows, is scattered into a panel of just the last months a feature reads: filling wide
    float panels of every column cost more than computing the features from them. A row of a firm not
    asked about or of a month outside the span lands nowhere; of two rows of one cell the later wins.
    """

    firms: int
    months: int
    firm: np.ndarray  # each row's firm (its row in the sorted firms)
    month: np.ndarray  # each row's month in the span (0 = the oldest), -1 for a row that lands nowhere
    _index: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, rows: dict[str, np.ndarray], *, usccs: np.ndarray, span: np.ndarray) -> Cells:
        """The cells of long ``rows`` (as :func:`read_monthly` returns them) for ``usccs`` (sorted) × ``span``."""
        n, m = usccs.shape[0], span.shape[0]
        if not (rows["uscc"].size and n):
            empty = np.zeros(0, dtype=np.int64)
            return cls(firms=n, months=m, firm=empty, month=empty)
        firm, known = firm_positions(usccs, rows["uscc"])
        month = np.asarray(rows["month"], dtype="datetime64[M]").view(np.int64) - span[0].astype(np.int64)
        month[~(known & (month >= 0) & (month < m))] = -1
        return cls(firms=n, months=m, firm=firm, month=month)

    def index(self, months: int) -> np.ndarray:
        """Each row's flat cell in the panel of the last ``months`` months of the span; a row that lands
        nowhere points at one spare cell past the end (no row is filtered out, so no column is copied)."""
        at = self._index.get(months)
        if at is None:
            first = self.months - months
            at = np.where(self.month >= first, self.firm * months + (self.month - first), self.firms * months)
            self._index[months] = at
        return at

    def panel(self, values: np.ndarray, months: int | None = None, *, fill=np.nan) -> np.ndarray:
        """``values`` (one per row: a column, or a condition on the rows) as a (firms × ``months``) panel of
        the last months of the span (all of it by default), ``fill`` where no row lands."""
        months = self.months if months is None else months
        values = np.asarray(values)
        out = np.full(self.firms * months + 1, fill, dtype=values.dtype)
        if values.size:
            out[self.index(months)] = values
        return out[:-1].reshape(self.firms, months)


def to_panel(rows: dict[str, np.ndarray], *, usccs: np.ndarray, span: np.ndarray, columns: list[str]) -> Panel:
    """Scatter long rows (as :func:`read_monthly` returns them) into firms × months matrices.

    Rows of firms not in ``usccs`` (sorted) or of months outside ``span`` are ignored.
    """
    cells = Cells.of(rows, usccs=usccs, span=span)
    return Panel(usccs=usccs, months=span, values={c: cells.panel(rows[c]) for c in columns})


def monthly(
    session: Session,
    *,
    source: Source,
    columns: list[str],
    usccs: np.ndarray,
    as_of: dt.datetime,
    months: int = 36,
    equals: tuple[str, str] | None = None,
) -> Panel:
    """A panel of ``columns`` of a monthly source (keyed by uscc and period) as known at ``as_of``."""
    usccs = np.unique(np.asarray(usccs, dtype="U18"))
    rows = read_monthly(session, source=source, columns=columns, usccs=usccs, as_of=as_of, months=months, equals=equals)
    return to_panel(rows, usccs=usccs, span=month_range(as_of, months), columns=columns)
