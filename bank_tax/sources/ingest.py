"""Batch ingestion: parse a file of one source, validate every row, land the good ones, quarantine the rest.

One batch is one transaction: its good rows, its quarantined rows, its counts and its audit event commit
together or not at all (a crash mid-batch leaves nothing). The same file twice lands nothing the second
time (file hash), and a re-sent row is a duplicate (natural key and content hash), never a second copy.
Columnar throughout: the per-row work is the csv module's, everything after is whole-array numpy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock, faults, metrics
from bank_tax.db import bulk_insert
from bank_tax.errors import Invalid
from bank_tax.security import audit
from bank_tax.security.roles import Principal
from bank_tax.sources import hashing
from bank_tax.sources.fields import NUMERIC_KINDS, parse_column
from bank_tax.sources.models import IngestBatch, QuarantinedRow
from bank_tax.sources.specs import Source

Progress = Callable[[str], None]


@dataclass
class Parsed:
    """A file as columns of text, with each row's line number, and the lines that could not be split."""

    columns: dict[str, np.ndarray]
    lines: np.ndarray
    encoding: str
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw)


def decode(data: bytes) -> tuple[str, str]:
    """Text of an agency file: UTF-8 (with or without BOM), else GB18030 as agencies often send."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as exc:
            raise Invalid(
                "文件编码无法识别（应为 UTF-8 或 GB18030）/ the file is neither UTF-8 nor GB18030", {"file": [str(exc)]}
            ) from exc


def _jsonl_rows(text: str, expected: list[str]) -> tuple[list[list[str]], list[int], list[tuple[int, str, str]]]:
    rows, lines, malformed = [], [], []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            malformed.append((i, f"不是合法的 JSON 对象 / not a JSON object: {exc}", line[:300]))
            continue
        unknown = sorted(set(rec) - set(expected))
        if unknown:
            malformed.append((i, f"未知字段 / unknown fields: {', '.join(unknown)}", line[:300]))
            continue
        rows.append([_text(rec.get(c)) for c in expected])
        lines.append(i)
    return rows, lines, malformed


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _check_header(header: list[str], source: Source) -> None:
    expected = source.columns
    may_omit = {"received_at", *(name for name, _ in source.floors)}
    missing = [c for c in expected if c not in header and c not in may_omit]
    unknown = [c for c in header if c not in expected]
    if missing or unknown:
        errors = {k: v for k, v in (("missing", missing), ("unknown", unknown)) if v}
        raise Invalid(f"表头与 {source.name} 格式不符 / the header does not match the {source.name} format", errors)


def _plain_csv(text: str, source: Source):
    """Fast path for the common file with no quoting: one C-level split, then one array per column.

    Returns None when the file has quotes or ragged lines; the csv module then reads it.
    """
    if '"' in text:
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise Invalid("文件为空 / the file is empty", {"file": ["no header row"]})
    header = [h.strip() for h in lines[0].split(",")]
    _check_header(header, source)
    body = lines[1:]
    width = len(header)
    if (
        body
        and not (np.fromiter(map(str.count, body, repeat(",")), dtype=np.int64, count=len(body)) == width - 1).all()
    ):
        return None
    columns = _loadtxt(text, header, source) if body else None
    if columns is None:
        flat = ",".join(body).split(",") if body else []
        columns = {name: np.array(flat[j::width], dtype=str) for j, name in enumerate(header)}
    return header, columns, np.arange(2, len(body) + 2), []


def _load_width(f) -> str:
    """A text width one longer than any valid value, so a value cut to fit can never pass as valid."""
    if f.kind in ("text",):
        return f"U{f.max_length + 1}"
    if f.kind == "code":
        return f"U{max(len(c) for c in f.choices) + 1}"
    return {"uscc": "U40", "period": "U16", "date": "U16", "time": "U40", "bool": "U8"}[f.kind]


def _loadtxt(text: str, header: list[str], source: Source) -> dict[str, np.ndarray] | None:
    """numpy's C reader for a clean file: numbers parsed to floats in the same pass.

    Any value it cannot read (an empty or malformed number) makes it give up; the text path then
    finds and reports the row. Returns None in that case.
    """
    kinds = {f.name: f for f in source.fields}
    dtype = [(name, "f8" if kinds[name].kind in NUMERIC_KINDS else _load_width(kinds[name])) for name in header]
    try:
        table = np.loadtxt(
            io.StringIO(text), delimiter=",", dtype=dtype, skiprows=1, comments=None, ndmin=1, quotechar=None
        )
    except ValueError:
        return None
    return {name: table[name] for name in header}


def _csv_rows(text: str, source: Source):
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise Invalid("文件为空 / the file is empty", {"file": ["no header row"]}) from None
    _check_header(header, source)
    rows = list(reader)
    width = len(header)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    line_no = np.arange(2, len(rows) + 2)
    ok = lengths == width
    malformed = [
        (
            int(line_no[i]),
            f"应有 {width} 个字段，实际 {int(lengths[i])} 个 / expected {width} fields, got {int(lengths[i])}",
            ",".join(rows[i])[:300],
        )
        for i in np.nonzero(~ok & (lengths > 0))[0]
    ]
    if not ok.all():
        rows = [r for r, good in zip(rows, ok.tolist(), strict=True) if good]
    return header, rows, line_no[ok], malformed


def _columns(header: list[str], rows: list[list[str]]) -> dict[str, np.ndarray]:
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    return {
        name: np.array(col, dtype=str) if n else np.array([], dtype=str) for name, col in zip(header, cols, strict=True)
    }


def read(data: bytes, filename: str, source: Source) -> Parsed:
    """Split a CSV (header row) or JSON Lines file into columns; refuse a file whose columns are wrong."""
    text, encoding = decode(data)
    if filename.lower().endswith((".jsonl", ".ndjson")):
        rows, lines, malformed = _jsonl_rows(text, source.columns)
        columns = _columns(source.columns, rows)
    else:
        plain = _plain_csv(text, source)
        if plain is not None:
            _, columns, lines, malformed = plain
        else:
            header, rows, lines, malformed = _csv_rows(text, source)
            columns = _columns(header, rows)
    n = len(lines)
    for name in source.columns:
        columns.setdefault(name, np.full(n, "", dtype=str))
    return Parsed(columns=columns, lines=np.asarray(lines, dtype=np.int64), encoding=encoding, malformed=malformed)


# ---- validation -----------------------------------------------------------------------------------


@dataclass
class Validated:
    """Typed columns for every row, which rows are rejected, and why (one entry per field that failed)."""

    values: dict[str, np.ndarray]
    bad: np.ndarray
    errors: list[tuple[np.ndarray, str, np.ndarray]]  # (row indexes, field, reasons for those rows)


def validate(parsed: Parsed, source: Source) -> Validated:
    """Parse every field of every row and apply the source's cross-field rules."""
    n = parsed.lines.shape[0]
    values: dict[str, np.ndarray] = {}
    bad = np.zeros(n, dtype=bool)
    errors = []
    for f in source.fields:
        typed, wrong, reason, blank = parse_column(parsed.columns[f.name], f)
        if f.name == "received_at":
            typed = np.where(blank, np.datetime64(clock.now().replace(tzinfo=None), "us"), typed)
        values[f.name] = typed
        if wrong.any():
            idx = np.nonzero(wrong)[0]
            errors.append((idx, f.name, np.broadcast_to(np.asarray(reason, dtype=object), (n,))[idx]))
            bad |= wrong
    for rule in source.rules:
        hit, name, reason = rule(values)
        hit = hit & ~bad  # a row already wrong in a field is not judged on rules over that field
        if hit.any():
            idx = np.nonzero(hit)[0]
            errors.append((idx, name, np.full(idx.shape[0], reason, dtype=object)))
            bad |= hit
    return Validated(values=values, bad=bad, errors=errors)


def apply_floors(source: Source, values: dict[str, np.ndarray]) -> None:
    """Raise each floored column (the statutory filing deadline) to its floor, and fill its blanks: after
    the rows are hashed, so a row's content hash stays that of what the agency sent (a file sent before
    and after a calendar change, or before this rule, is still recognised as the same)."""
    for name, floor in source.floors:
        low = floor(values)  # NaT where the row is bad
        sent = values[name]
        values[name] = np.where(np.isnat(sent) | (sent < low), low, sent)


# ---- duplicates, corrections and versions ---------------------------------------------------------------

INSERTED, CORRECTED, DUPLICATE, CONFLICT = 0, 1, 2, 3


def _key_codes(batch: list[np.ndarray], stored: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One int64 per row for the key columns, equal iff the keys are, for batch rows and stored rows alike.

    Each key column is numbered by its distinct values (over both sets) and the numbers combined in mixed
    radix, so matching is integer sorting rather than string sorting.
    """
    n = batch[0].shape[0]
    code_b = np.zeros(n, dtype=np.int64)
    code_s = np.zeros(stored[0].shape[0] if stored else 0, dtype=np.int64)
    for b, st in zip(batch, stored or [np.array([], dtype=c.dtype) for c in batch], strict=True):
        if b.dtype.kind == "M":
            b, st = b.astype("datetime64[D]").astype(np.int64), st.astype("datetime64[D]").astype(np.int64)
        values, inverse = np.unique(np.concatenate([b, st]), return_inverse=True)  # strings widen, never cut
        code_b = code_b * values.shape[0] + inverse[:n]
        code_s = code_s * values.shape[0] + inverse[n:]
    return code_b, code_s


def _existing(session: Session, source: Source, values: dict[str, np.ndarray], idx: np.ndarray):
    """(key text, version, row hash) of stored records that rows ``idx`` may collide with."""
    table = source.table.__table__
    empty = ([], np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    if idx.size == 0 or session.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None:
        return empty
    first = source.key[0]
    conds = []
    if source.period_field:
        p = values[source.period_field][idx]
        conds.append(table.c[source.period_field].between(p.min().item(), p.max().item()))
    cols = [table.c[k] for k in source.key] + [table.c.version, table.c.row_hash]
    found = []
    for chunk in np.array_split(np.unique(values[first][idx]), max(1, int(np.ceil(idx.size / 500)))):
        if chunk.size:
            found.extend(session.execute(sa.select(*cols).where(table.c[first].in_(chunk.tolist()), *conds)).all())
    if not found:
        return empty
    arrays = list(zip(*found, strict=True))
    key_cols = []
    for k, col in zip(source.key, arrays[: len(source.key)], strict=True):
        kind = values[k].dtype.kind
        key_cols.append(np.array(col, dtype="datetime64[D]") if kind == "M" else np.array(col))
    return key_cols, np.array(arrays[-2], dtype=np.int64), np.array(arrays[-1], dtype=np.int64)


def classify(
    session: Session,
    source: Source,
    values: dict[str, np.ndarray],
    hashes: np.ndarray,
    good: np.ndarray,
    lines: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For the good rows: their status (inserted / corrected / duplicate / conflict) and stored version."""
    idx = np.nonzero(good)[0]
    status = np.full(idx.size, INSERTED, dtype=np.int64)
    version = np.ones(idx.size, dtype=np.int64)
    if idx.size == 0:
        return status, version
    ex_cols, ex_version, ex_hash = _existing(session, source, values, idx)
    key, ex_key = _key_codes([values[k][idx] for k in source.key], ex_cols)
    h = hashes[idx]
    if source.explicit_version:
        version = values["version"][idx].astype(np.int64)
        kv = key * 100 + version  # versions are 1–99
        _, first, inv = np.unique(kv, return_index=True, return_inverse=True)
        is_first = np.zeros(idx.size, dtype=bool)
        is_first[first] = True
        same = h == h[first][inv]
        status[~is_first] = np.where(same[~is_first], DUPLICATE, CONFLICT)
        if ex_key.size:
            ex_kv = ex_key * 100 + ex_version
            order = np.argsort(ex_kv)
            pos = np.minimum(np.searchsorted(ex_kv[order], kv), ex_kv.size - 1)
            hit = is_first & (ex_kv[order][pos] == kv)
            status[hit] = np.where(ex_hash[order][pos][hit] == h[hit], DUPLICATE, CONFLICT)
        # a correction is any version after the first one known for the key (stored or in this batch)
        new = status == INSERTED
        all_keys = np.concatenate([ex_key, key[new]])
        all_versions = np.concatenate([ex_version, version[new]])
        uk, inv_all = np.unique(all_keys, return_inverse=True)
        lowest = np.full(uk.size, np.iinfo(np.int64).max)
        np.minimum.at(lowest, inv_all, all_versions)
        first_version = lowest[np.searchsorted(uk, key)]
        status[new & (version > first_version)] = CORRECTED
        return status, version
    # Platform-assigned versions: order each key's rows by arrival, skip repeats of the previous content.
    order = np.lexsort((lines[idx], values["received_at"][idx], key))
    k, hs = key[order], h[order]
    start = np.r_[True, k[1:] != k[:-1]]
    group = np.cumsum(start) - 1
    base_version = np.zeros(group[-1] + 1, dtype=np.int64)
    base_hash = np.zeros(group[-1] + 1, dtype=np.int64)
    has_base = np.zeros(group[-1] + 1, dtype=bool)
    if ex_key.size:
        latest = np.lexsort((ex_version, ex_key))  # by key, then version: the last of each key is the latest
        ek, ev, eh = ex_key[latest], ex_version[latest], ex_hash[latest]
        last = np.r_[ek[1:] != ek[:-1], True]
        ek, ev, eh = ek[last], ev[last], eh[last]
        gk = k[start]
        pos = np.minimum(np.searchsorted(ek, gk), ek.size - 1)
        has_base = ek[pos] == gk
        base_version = np.where(has_base, ev[pos], 0)
        base_hash = np.where(has_base, eh[pos], 0)
    prev_hash = np.r_[0, hs[:-1]]
    has_prev = ~start
    prev_hash = np.where(start, base_hash[group], prev_hash)
    has_prev = has_prev | (start & has_base[group])
    dup = has_prev & (hs == prev_hash)
    fresh = (~dup).astype(np.int64)
    csum = np.cumsum(fresh)
    before_group = (csum - fresh)[start]
    v_sorted = base_version[group] + csum - before_group[group]
    s_sorted = np.where(dup, DUPLICATE, np.where(v_sorted > 1, CORRECTED, INSERTED))
    status[order], version[order] = s_sorted, v_sorted
    return status, version


# ---- the batch ------------------------------------------------------------------------------------------

CHUNK = 50_000


def _content_columns(source: Source, values: dict[str, np.ndarray], idx: np.ndarray) -> list[np.ndarray]:
    skip = {"received_at", "version"}
    return [values[f.name][idx] for f in source.fields if f.name not in skip]


def find_batch(session: Session, source: Source, sha256: str) -> IngestBatch | None:
    """A batch of this source already made from a file with this hash."""
    return session.scalar(
        sa.select(IngestBatch)
        .where(IngestBatch.source == source.name, IngestBatch.file_sha256 == sha256)
        .order_by(IngestBatch.id)
    )


def ingest(
    session: Session,
    *,
    source: Source,
    data: bytes,
    filename: str,
    actor: Principal | None,
    progress: Progress | None = None,
) -> tuple[IngestBatch, bool]:
    """Ingest one file of ``source`` in the caller's transaction; return (batch, whether it is new).

    A file already ingested (same SHA-256) returns its earlier batch and lands nothing. A file whose
    header does not match the source's format is refused whole (:class:`Invalid`). Otherwise every
    row lands, is recognised as a duplicate, or is quarantined with its line, field and reason.
    """
    say = progress or (lambda _msg: None)
    sha = hashlib.sha256(data).hexdigest()
    earlier = find_batch(session, source, sha)
    if earlier is not None:
        return earlier, False
    say("parsing")
    parsed = read(data, filename, source)
    batch = IngestBatch(
        source=source.name,
        filename=filename[:255],
        file_sha256=sha,
        encoding=parsed.encoding,
        actor=actor.username if actor else audit.SYSTEM,
    )
    session.add(batch)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # one batch of a source at a time lands: versions are numbered, and superseded ones noted, from
        # what is stored (SQLite writes one transaction at a time anyway)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"ingest:{source.name}"))))
    say("validating")
    checked = validate(parsed, source)
    good = ~checked.bad
    all_idx = np.arange(parsed.lines.shape[0])
    hashes = np.zeros(all_idx.shape[0], dtype=np.int64)
    if good.any():
        hashes[good] = hashing.row_hash(_content_columns(source, checked.values, np.nonzero(good)[0]))
    apply_floors(source, checked.values)
    say("matching keys and versions")
    status, version = classify(session, source, checked.values, hashes, good, parsed.lines)
    good_idx = np.nonzero(good)[0]
    conflict = good_idx[status == CONFLICT]
    land = status <= CORRECTED
    rows = good_idx[land]
    record = {name: checked.values[name][rows] for name in source.columns if name != "version"}
    record["version"] = version[land]
    record["batch_id"] = np.full(rows.shape[0], batch.id, dtype=np.int64)
    record["row_hash"] = hashes[rows]
    table = source.table.__table__
    for start in range(0, rows.shape[0], CHUNK):
        say(f"storing rows {start + 1}–{min(start + CHUNK, rows.shape[0])} of {rows.shape[0]}")
        bulk_insert(session, table, {k: v[start : start + CHUNK] for k, v in record.items()})
        faults.checkpoint("ingest.rows")
    # the firms whose records gained a later version: a correction, or (versions sent by the agency, which
    # may come out of order) any version
    touched = land & ((status == CORRECTED) | source.explicit_version)
    if touched.any():
        say("noting superseded versions")
        supersede(session, source, checked.values, good_idx[touched])
    say("quarantining rejected rows")
    rejected_rows = _quarantine(session, batch, source, parsed, checked, conflict)
    batch.received = int(parsed.lines.shape[0] + len(parsed.malformed))
    batch.inserted = int((status == INSERTED).sum())
    batch.corrected = int((status == CORRECTED).sum())
    batch.duplicate = int((status == DUPLICATE).sum())
    batch.rejected = rejected_rows
    batch.finished_at = clock.now()
    metrics.count(metrics.INGESTED, batch.received - rejected_rows, source=source.name, outcome="accepted")
    metrics.count(metrics.INGESTED, rejected_rows, source=source.name, outcome="rejected")
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="ingest.batch",
        resource=f"ingest_batch/{batch.id}",
        details={"source": source.name, "file": filename, "sha256": sha, **counts(batch)},
    )
    return batch, True


SUPERSEDE_FIRMS = 500  # firms per update statement


def supersede(session: Session, source: Source, values: dict, rows: np.ndarray) -> None:
    """Note on every version of the records sent in ``rows`` (of the batch's ``values``) when its first
    later version was received (``superseded_at``; NULL for the latest): what lets a read as of any moment
    take the versions known then without ranking them. Recomputed whole for those records (by firm, or by
    the record's own key where the key does not hold the firm), so it is right whatever order versions
    arrived in."""
    t = source.table.__table__
    by = "uscc" if "uscc" in source.key or len(source.key) != 1 else source.key[0]
    keys = [str(v) for v in np.unique(values[by][rows])]
    for lo in range(0, len(keys), SUPERSEDE_FIRMS):
        # each version's note is the earliest receipt among the versions after it: a window over the
        # record's versions, newest first, up to the one before it, set-wise for these firms (a correlated
        # subquery per row cost 20 times the insert itself on PostgreSQL); only rows whose note changes are
        # written (a record's only version, most of a month's file, is left alone)
        v = (
            sa.select(
                t.c.id,
                sa.func.min(t.c.received_at)
                .over(partition_by=[t.c[k] for k in source.key], order_by=t.c.version.desc(), rows=(None, -1))
                .label("next_at"),
            )
            .where(t.c[by].in_(keys[lo : lo + SUPERSEDE_FIRMS]))
            .subquery()
        )
        session.execute(
            sa.update(t)
            .where(t.c.id == v.c.id, t.c.superseded_at.is_distinct_from(v.c.next_at))
            .values(superseded_at=v.c.next_at)
        )


def counts(batch: IngestBatch) -> dict[str, int]:
    """The batch's counts, as the report gives them."""
    return {k: getattr(batch, k) for k in ("received", "inserted", "corrected", "duplicate", "rejected")}


def _quarantine(session, batch, source, parsed, checked, conflict) -> int:
    """Store every rejected row with its line, field and reason; return how many rows were rejected."""
    parts_idx, parts_field, parts_reason = [], [], []
    for idx, name, reasons in checked.errors:
        parts_idx.append(idx)
        parts_field.append(np.full(idx.shape[0], name, dtype=object))
        parts_reason.append(np.asarray(reasons, dtype=object))
    if conflict.size:
        parts_idx.append(conflict)
        parts_field.append(np.full(conflict.shape[0], "version", dtype=object))
        parts_reason.append(
            np.full(
                conflict.shape[0],
                "与已接收的同一版本内容不一致 / differs from the same version "
                "already received (send a new version to correct it)",
                dtype=object,
            )
        )
    data: dict[str, list] = {k: [] for k in ("batch_id", "line", "field", "reason", "value", "uscc_raw", "raw")}
    if parts_idx:
        idx = np.concatenate(parts_idx)
        names = np.concatenate(parts_field)
        cols = parsed.columns
        raw = cols[source.columns[0]][idx].astype(str)
        for name in source.columns[1:]:
            raw = np.char.add(np.char.add(raw, ","), cols[name][idx].astype(str))
        value = np.array(
            [cols[f][i] if f in cols else "" for f, i in zip(names.tolist(), idx.tolist(), strict=True)], dtype=object
        )
        data["line"] = parsed.lines[idx].tolist()
        data["field"] = names.tolist()
        data["reason"] = [str(r)[:300] for r in np.concatenate(parts_reason).tolist()]
        data["value"] = [str(v)[:300] for v in value.tolist()]
        data["uscc_raw"] = [str(v)[:64] for v in cols["uscc"][idx].astype(str).tolist()]
        data["raw"] = raw.tolist()
    for line, reason, raw_line in parsed.malformed:
        data["line"].append(line)
        data["field"].append("")
        data["reason"].append(reason[:300])
        data["value"].append("")
        data["uscc_raw"].append("")
        data["raw"].append(raw_line)
    data["batch_id"] = [batch.id] * len(data["line"])
    if data["line"]:
        bulk_insert(session, QuarantinedRow.__table__, {k: np.array(v, dtype=object) for k, v in data.items()})
    rows = set(data["line"])
    return len(rows)


def report(session: Session, batch: IngestBatch, *, limit: int = 1000) -> dict:
    """The batch report: counts, and every rejected row (up to ``limit``) with line, field and reason."""
    q = session.scalars(
        sa.select(QuarantinedRow)
        .where(QuarantinedRow.batch_id == batch.id)
        .order_by(QuarantinedRow.line, QuarantinedRow.id)
        .limit(limit)
    ).all()
    return {
        "batch_id": batch.id,
        "source": batch.source,
        "filename": batch.filename,
        "sha256": batch.file_sha256,
        "encoding": batch.encoding,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        **counts(batch),
        "rejections": [{"line": r.line, "field": r.field, "reason": r.reason, "value": r.value} for r in q],
        "erroneous_codes": sorted({r.uscc_raw for r in q if r.field == "uscc"}),
    }
