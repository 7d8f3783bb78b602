"""The append-only, hash-chained audit log.

Each event's ``hash`` is SHA-256 over its own fields and the previous event's hash, so editing or
deleting any row breaks the chain from that row on; :func:`verify` names the first broken link.
Appends are serialized by locking the single ``audit_head`` row (PostgreSQL ``FOR UPDATE``; on SQLite
every write transaction already holds the database's write lock), and ``prev_hash`` is unique, so the
chain can never fork. Events commit or roll back with the change they describe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock, requestlog
from bank_tax.security.models import AuditEvent, AuditHead
from bank_tax.security.roles import Principal

GENESIS = "0" * 64
SYSTEM = "system"


def canonical_json(value) -> str:
    """JSON with sorted keys and no whitespace: the form that is hashed and signed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _digest(fields: dict, prev_hash: str) -> str:
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode()).hexdigest()


def _fields(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "actor": event.actor,
        "actor_role": event.actor_role,
        "action": event.action,
        "uscc": event.uscc,
        "bank_code": event.bank_code,
        "resource": event.resource,
        "purpose": event.purpose,
        "details": event.details,
    }


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    uscc: str | None = None,
    bank_code: str | None = None,
    resource: str | None = None,
    purpose: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction and return it.

    ``actor`` None means the platform itself (a job, the CLI, or an anonymous self-registration);
    ``bank_code`` defaults to the actor's bank so that bank reads are attributable.
    """
    request_id = requestlog.current()
    if request_id is not None:  # the request's log line and its audit events share the id
        details = {**(details or {}), "request_id": request_id}
    head = session.execute(sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    event = AuditEvent(
        id=head.last_id + 1,
        at=clock.now(),
        actor=actor.username if actor else SYSTEM,
        actor_role=str(actor.role) if actor else SYSTEM,
        action=action,
        uscc=uscc,
        bank_code=bank_code if bank_code is not None else (actor.bank_code if actor else None),
        resource=resource,
        purpose=purpose,
        details=canonical_json(details or {}),
        prev_hash=head.last_hash,
        hash="",
    )
    event.hash = _digest(_fields(event), head.last_hash)
    head.last_id, head.last_hash = event.id, event.hash
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify`: ``ok``, how many events were checked, and the first broken link."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


def _check(events: Iterable[AuditEvent], head: AuditHead) -> Verification:
    prev_hash, expected_id, checked = GENESIS, 1, 0
    for event in events:
        if event.id != expected_id:
            return Verification(False, checked, expected_id, f"event {expected_id} is missing (next is {event.id})")
        if event.prev_hash != prev_hash:
            return Verification(False, checked, event.id, "prev_hash does not match the previous event's hash")
        if _digest(_fields(event), prev_hash) != event.hash:
            return Verification(False, checked, event.id, "the event's content does not match its hash")
        prev_hash, expected_id, checked = event.hash, expected_id + 1, checked + 1
    if head.last_id != checked or head.last_hash != prev_hash:
        return Verification(
            False, checked, checked + 1, f"the chain ends at {checked} but the head names {head.last_id}"
        )
    return Verification(True, checked)


def verify(session: Session, *, batch: int = 5000) -> Verification:
    """Walk the whole chain in id order and report the first event that was altered or deleted."""
    head = session.get(AuditHead, 1)
    result = session.execute(sa.select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch))
    try:
        return _check(result.scalars(), head)
    finally:
        result.close()  # a broken link stops the walk early: release the server-side cursor
