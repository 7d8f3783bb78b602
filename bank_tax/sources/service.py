"""Reading agency records (as known at any time), the drop folder, and disputes (异议).

Ingestion itself is :mod:`bank_tax.sources.ingest`; a dispute resolved as "corrected" goes through it
too, as a one-row batch, so a correction lands exactly like an agency's own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.errors import Conflict, Invalid, NotFound
from bank_tax.security import audit
from bank_tax.security.roles import Principal
from bank_tax.sources import ingest
from bank_tax.sources.models import Dispute, IngestBatch, QuarantinedRow
from bank_tax.sources.specs import SOURCES, Source

PUSHDOWN_FIRMS = 2000  # above this many firms a list filter costs more than it saves


def current_versions(
    source: Source,
    *,
    as_of: dt.datetime | None = None,
    usccs=None,
    period: tuple[dt.date, dt.date] | None = None,
    code_range: tuple | None = None,
) -> sa.Select:
    """A query for the latest version of every record as known at ``as_of`` (now when None).

    Corrections are later versions with later ``received_at``: asking as of an earlier time gives the
    version that was known then, and nothing received after it. That version is the one received by then
    and not yet superseded then (``superseded_at``, kept by ingestion), so no window ranks versions, and
    the filters below meet the indexes directly: ``usccs`` (a modest list of firms; a longer list narrows
    to its range of codes), ``period`` (first, last) and ``code_range`` (first code, last code; a
    partition of firms). All are safe because every version of a record shares its firm and period.
    """
    t = source.table.__table__
    if as_of is None:
        stmt = sa.select(t).where(t.c.superseded_at.is_(None))
    else:
        stmt = sa.select(t).where(
            t.c.received_at <= as_of, sa.or_(t.c.superseded_at.is_(None), t.c.superseded_at > as_of)
        )
    if isinstance(usccs, sa.BindParameter):  # a cached statement: the list comes with the parameters
        stmt = stmt.where(t.c.uscc.in_(usccs))
    elif usccs is not None and len(usccs) <= PUSHDOWN_FIRMS:
        stmt = stmt.where(t.c.uscc.in_([str(u) for u in usccs]))
    elif usccs is not None and len(usccs):  # a long list: its range of codes (callers keep their own firms)
        codes = [str(u) for u in usccs]
        stmt = stmt.where(t.c.uscc.between(min(codes), max(codes)))
    if code_range is not None:
        stmt = stmt.where(t.c.uscc.between(code_range[0], code_range[1]))
    if period is not None:
        stmt = stmt.where(t.c.period >= period[0], t.c.period <= period[1])
    return stmt


def firm_filter(usccs) -> str:
    """How a read narrows to ``usccs`` (sorted) in SQL: a list of codes for a few firms, else the range from
    the first code to the last (a partition of firms is exactly such a range; rows of firms inside it but
    not asked for are dropped afterwards)."""
    return "list" if usccs.shape[0] <= PUSHDOWN_FIRMS else "range"


def firm_params(usccs, how: str) -> dict:
    """The bound parameters of :func:`firm_filter`'s choice."""
    if how == "list":
        return {"usccs": usccs.tolist()}
    return {"code_first": str(usccs[0]) if usccs.size else "", "code_last": str(usccs[-1]) if usccs.size else ""}


def firm_bind(how: str) -> dict:
    """The ``current_versions`` arguments for :func:`firm_filter`'s choice, as bound parameters."""
    if how == "list":
        return {"usccs": sa.bindparam("usccs", expanding=True)}
    return {"code_range": (sa.bindparam("code_first"), sa.bindparam("code_last"))}


def open_disputes(source: Source, *, as_of: dt.datetime | None = None) -> sa.Select:
    """Ids of this source's records under dispute (left out of features and flagged in reads): open now,
    or — asked as of a moment — opened by then and not yet resolved then."""
    stmt = sa.select(Dispute.record_id).where(Dispute.source == source.name)
    if as_of is None:
        return stmt.where(Dispute.status == "open")
    return stmt.where(Dispute.opened_at <= as_of, sa.or_(Dispute.resolved_at.is_(None), Dispute.resolved_at > as_of))


def records(
    session: Session,
    *,
    source: Source,
    uscc: str,
    as_of: dt.datetime | None = None,
    since: dt.date | None = None,
    limit: int = 500,
) -> list[dict]:
    """One firm's records of ``source`` as known at ``as_of``, newest business date first.

    ``since`` cuts records whose business date (the consent window's field) is older.
    """
    q = current_versions(source, as_of=as_of, usccs=[uscc]).subquery()
    stmt = sa.select(q).where(q.c.uscc == uscc)
    if since is not None:
        stmt = stmt.where(q.c[source.date_field] >= since)
    stmt = stmt.order_by(q.c[source.date_field].desc(), q.c.id.desc()).limit(limit)
    disputed = set(session.scalars(open_disputes(source)))
    out = []
    for row in session.execute(stmt).mappings():
        data = {c: row[c] for c in source.columns if c not in ("uscc", "received_at", "version")}
        out.append(
            {
                "id": row["id"],
                "source": source.name,
                "version": row["version"],
                "received_at": row["received_at"],
                "disputed": row["id"] in disputed,
                "data": data,
            }
        )
    return out


def records_for_reader(
    session: Session, *, source: Source, uscc: str, mask, as_of: dt.datetime | None, limit: int
) -> list[dict]:
    """Records as a reader may see them: a bank (``mask`` given) only the current data inside its consent's
    window; the firm itself and staff (``mask`` None) everything, as known at ``as_of`` if asked."""
    since = None
    if mask is not None:
        since, as_of = window_start(int(mask.window_months[0])), None
    return records(session, source=source, uscc=uscc, as_of=as_of, since=since, limit=limit)


def window_start(months: int, today: dt.date | None = None) -> dt.date:
    """The first day of the month ``months`` months before ``today``'s month (a consent's data window)."""
    today = today or clock.today()
    m = today.year * 12 + today.month - 1 - months
    return dt.date(m // 12, m % 12 + 1, 1)


# ---- the drop folder ------------------------------------------------------------------------------------


def scan_inbox(session_scope, inbox: Path, *, actor: Principal | None = None) -> list[dict]:
    """Ingest every file waiting in ``inbox/SOURCE/``, each in its own transaction.

    Each file moves to ``SOURCE/done/`` or ``SOURCE/failed/`` with ``<name>.report.json`` beside it.
    ``session_scope`` is a context manager yielding a committing session (``db.scope``).
    """
    results = []
    for name, source in SOURCES.items():
        folder = inbox / name
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            try:
                with session_scope() as session:
                    batch, new = ingest.ingest(
                        session, source=source, data=path.read_bytes(), filename=path.name, actor=actor
                    )
                    result = {**ingest.report(session, batch), "new": new}
                outcome = "done"
            except Invalid as exc:
                result, outcome = (
                    {"source": name, "filename": path.name, "error": exc.message, "errors": exc.errors},
                    "failed",
                )
            target = folder / outcome
            target.mkdir(exist_ok=True)
            shutil.move(str(path), target / path.name)
            (target / f"{path.name}.report.json").write_text(
                json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
            results.append({"file": str(path.name), "source": name, "outcome": outcome})
    return results


# ---- disputes -------------------------------------------------------------------------------------------


def records_state() -> list:
    """Scalar subqueries naming the state of every agency record table: the number of batches (which
    commit out of id order on PostgreSQL) and each table's highest id (any other writer). Records are
    insert-only (a correction is a new version, through a batch), so an unchanged state means unchanged
    records; callers add these to one query of their own and cache on the result."""
    records = [sa.select(sa.func.max(s.table.__table__.c.id)).scalar_subquery() for s in SOURCES.values()]
    return [sa.select(sa.func.count()).select_from(IngestBatch).scalar_subquery(), *records]


def record_by_id(session: Session, source: Source, record_id: int) -> dict | None:
    """One stored record (any version) with all its columns, or None."""
    t = source.table.__table__
    row = session.execute(sa.select(t).where(t.c.id == record_id)).mappings().first()
    return dict(row) if row else None


def open_dispute(
    session: Session, *, uscc: str, source: Source, record_id: int, reason: str, actor: Principal
) -> Dispute:
    """A firm disputes one of its records; it is left out of features until resolved. Audited."""
    rec = record_by_id(session, source, record_id)
    if rec is None or rec["uscc"] != uscc:
        raise NotFound("No such record of this firm.")
    if session.scalar(
        sa.select(Dispute.id).where(
            Dispute.source == source.name, Dispute.record_id == record_id, Dispute.status == "open"
        )
    ):
        raise Conflict("This record is already under dispute. 该记录已在异议处理中。")
    dispute = Dispute(uscc=uscc, source=source.name, record_id=record_id, reason=reason, opened_by=actor.username)
    session.add(dispute)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="dispute.open",
        uscc=uscc,
        resource=f"dispute/{dispute.id}",
        details={"source": source.name, "record_id": record_id},
    )
    return dispute


def batches(session: Session, *, limit: int = 200) -> list[IngestBatch]:
    """The latest batches, newest first."""
    return list(session.scalars(sa.select(IngestBatch).order_by(IngestBatch.id.desc()).limit(limit)))


def batch_report(session: Session, batch_id: int) -> dict:
    """One batch's counts and every rejected row with its line, field and reason; 404 when unknown."""
    batch = session.get(IngestBatch, batch_id)
    if batch is None:
        raise NotFound("No such batch.")
    return ingest.report(session, batch)


def disputes(session: Session, *, status: str | None = None, limit: int = 1000) -> list[Dispute]:
    """Disputes to resolve (or of one status), oldest first."""
    stmt = sa.select(Dispute).order_by(Dispute.id)
    if status:
        stmt = stmt.where(Dispute.status == status)
    return list(session.scalars(stmt.limit(limit)))


def disputes_of(session: Session, uscc: str) -> list[Dispute]:
    """A firm's disputes, newest first, with their replies."""
    return list(session.scalars(sa.select(Dispute).where(Dispute.uscc == uscc).order_by(Dispute.id.desc())))


def _as_text(value, kind: str) -> str:
    """A stored value back in the file format (so a correction is ingested like an agency row)."""
    if value is None:
        return ""
    if kind in ("money", "signed_money"):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
    if kind == "period":
        return value.strftime("%Y-%m")
    if kind == "bool":
        return "1" if value else "0"
    if kind == "time":
        return value.astimezone(dt.UTC).isoformat()
    if kind == "date":
        return value.isoformat()
    return str(value)


def correct_record(
    session: Session, *, source: Source, record: dict, changes: dict[str, str], actor: Principal | None, filename: str
) -> int:
    """Land a new version of ``record`` with ``changes`` (fields written as in the agency file) through
    ingestion, like an agency's correction, received now; return the new row's id. 422 when the changed
    row is not valid or changes nothing."""
    kinds = {f.name: f.kind for f in source.fields}
    row = {c: _as_text(record.get(c), kinds[c]) for c in source.columns}
    row.update(changes)
    row["received_at"] = ""  # received now
    t = source.table.__table__
    if source.explicit_version:
        latest = session.scalar(sa.select(sa.func.max(t.c.version)).where(*[t.c[k] == record[k] for k in source.key]))
        row["version"] = str(latest + 1)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, source.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    batch, _ = ingest.ingest(session, source=source, data=buf.getvalue().encode(), filename=filename, actor=actor)
    if batch.rejected:
        problems = session.scalars(sa.select(QuarantinedRow).where(QuarantinedRow.batch_id == batch.id)).all()
        raise Invalid("The correction is not valid.", {"correction": [f"{q.field}: {q.reason}" for q in problems]})
    new_id = session.scalar(sa.select(t.c.id).where(t.c.batch_id == batch.id))
    if new_id is None:
        raise Invalid("The correction changes nothing.", {"correction": ["same content as the record"]})
    return new_id


def resolve_dispute(
    session: Session, *, dispute_id: int, outcome: str, reply: str, correction: dict[str, str], actor: Principal
) -> Dispute:
    """Resolve as ``upheld`` (the record stands) or ``corrected`` (a new version from ``correction``). Audited."""
    dispute = session.get(Dispute, dispute_id, with_for_update=True)
    if dispute is None:
        raise NotFound("No such dispute.")
    if dispute.status != "open":
        raise Conflict(f"The dispute is already {dispute.status}.")
    source = SOURCES[dispute.source]
    if outcome == "corrected":
        if not correction:
            raise Invalid("A correction needs the corrected fields.", {"correction": ["required when corrected"]})
        unknown = sorted(set(correction) - set(source.columns) | (set(correction) & {"uscc", "version", "received_at"}))
        if unknown:
            raise Invalid("These fields cannot be corrected.", {"correction": unknown})
        dispute.correction_id = correct_record(
            session,
            source=source,
            record=record_by_id(session, source, dispute.record_id),
            changes=correction,
            actor=actor,
            filename=f"dispute-{dispute.id}-{clock.now():%Y%m%d%H%M%S%f}.csv",
        )
    dispute.status, dispute.reply = outcome, reply
    dispute.resolved_by, dispute.resolved_at = actor.username, clock.now()
    audit.record(
        session,
        actor=actor,
        action=f"dispute.{outcome}",
        uscc=dispute.uscc,
        resource=f"dispute/{dispute.id}",
        details={"correction_id": dispute.correction_id},
    )
    return dispute


def erroneous_codes(session: Session, *, limit: int = 1000) -> list[dict]:
    """The "erroneous codes" report (重错码): quarantined rows whose USCC failed, newest batch first."""
    rows = session.execute(
        sa.select(
            QuarantinedRow.uscc_raw,
            QuarantinedRow.reason,
            QuarantinedRow.line,
            IngestBatch.id,
            IngestBatch.source,
            IngestBatch.filename,
        )
        .join(IngestBatch, IngestBatch.id == QuarantinedRow.batch_id)
        .where(QuarantinedRow.field == "uscc")
        .order_by(IngestBatch.id.desc(), QuarantinedRow.line)
        .limit(limit)
    ).all()
    return [
        {"uscc": r[0], "reason": r[1], "line": r[2], "batch_id": r[3], "source": r[4], "filename": r[5]} for r in rows
    ]
